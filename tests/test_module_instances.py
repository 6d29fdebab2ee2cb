"""Module-level instances: which class a route's `document_service.get(...)` reaches."""

from __future__ import annotations

import ast
import textwrap

from orgscope_lint.analysis.module_links import module_links
from orgscope_lint.config import Config
from orgscope_lint.facts import FileFacts
from orgscope_lint.project import Project
from orgscope_lint.schema import Schema


def _links(source: str):
    text = textwrap.dedent(source)
    return module_links(ast.parse(text), text)


def test_module_level_instances_are_named_with_their_class() -> None:
    links = _links(
        """
        import services
        document_service = DocumentService()
        lease_service: LeaseService = services.LeaseService(client)
        settings = get_settings()
        def build():
            local_service = TaskService()
        """
    )
    assert links.instances == (
        ("document_service", "DocumentService"),
        ("lease_service", "LeaseService"),
    )


def test_a_name_bound_twice_is_no_known_instance() -> None:
    links = _links(
        """
        service = DocumentService()
        service = LeaseService()
        """
    )
    assert links.instances == ()


def _project(files: dict[str, str]) -> Project:
    schema = Schema(tables={}, files=(), unreadable=(), fingerprint="")
    project = Project(config=Config(), schema=schema, tables={})
    project.file_facts = [
        FileFacts(path=path, links=_links(source)) for path, source in files.items()
    ]
    return project


def test_an_imported_instance_resolves_to_its_class() -> None:
    project = _project(
        {
            "app/services/documents.py": "document_service = DocumentService()\n",
            "app/routes/documents.py": "from app.services.documents import document_service\n",
            "app/routes/relative.py": "from ..services.documents import document_service\n",
            "app/routes/elsewhere.py": "from vendor.documents import document_service\n",
        }
    )
    assert (
        project.instance_class("document_service", "app/routes/documents.py") == "DocumentService"
    )
    assert project.instance_class("document_service", "app/routes/relative.py") == "DocumentService"
    assert project.instance_class("document_service", "app/routes/elsewhere.py") is None
    assert (
        project.instance_class("document_service", "app/services/documents.py") == "DocumentService"
    )
