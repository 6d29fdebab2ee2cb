"""Router modules the app never mounts (`mounted_routers.py`): their routes and what
only they call are system context, and nothing else is."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from orgscope_lint.analysis.module_links import module_links
from orgscope_lint.cli import cli
from orgscope_lint.imports import is_module, resolved, sources_of

SCHEMA = "create table documents (id uuid primary key, tenant_id uuid, body text);\n"

MAIN = """
from fastapi import FastAPI
from app.routes import documents

app = FastAPI()
app.include_router(documents.router)
"""

DOCUMENTS = """
from fastapi import APIRouter, Depends
from app.db import db

router = APIRouter()


@router.get("/documents/{doc_id}")
def get_document(doc_id: str, current_user=Depends(get_current_user)):
    return db.table("documents").select("*").eq("id", doc_id).execute()
"""

SEARCH = """
from fastapi import APIRouter, Depends
from app.db import db
from app.services import recent

router = APIRouter()


@router.get("/search/{doc_id}")
def search_documents(doc_id: str, current_user=Depends(get_current_user)):
    recent()
    return db.table("documents").select("*").eq("id", doc_id).execute()
"""

SERVICES = """
from app.db import db


def recent():
    return db.table("documents").select("body").limit(5).execute()
"""

UNMOUNTED = "route never mounted: no module imports `app/routes/search.py`"


def _project(root: Path, files: dict[str, str] | None = None) -> Path:
    """A project whose app mounts `documents` only; `files` adds or replaces modules."""
    modules = {
        "app/main.py": MAIN,
        "app/db.py": "db = None\n",
        "app/routes/__init__.py": "",
        "app/routes/documents.py": DOCUMENTS,
        "app/routes/search.py": SEARCH,
        "app/services.py": SERVICES,
    }
    modules.update(files or {})
    for name, text in modules.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text), encoding="utf-8")
    (root / "migrations").mkdir()
    (root / "migrations" / "001.sql").write_text(SCHEMA, encoding="utf-8")
    config = '[tool.orgscope-lint]\ntenant-key = "tenant_id"\nprincipal-names = ["current_user"]\n'
    (root / "pyproject.toml").write_text(config, encoding="utf-8")
    return root


def _findings(root: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> dict[str, str]:
    """`path:line` -> why it is suppressed ("" when reported), for every error."""
    monkeypatch.chdir(root)
    result = CliRunner().invoke(cli, ["check", *(args or (".",)), "--no-cache", "-v"])
    found: dict[str, str] = {}
    for line in result.stdout.splitlines():
        if ": ORG0" in line:
            found[":".join(line.split(":")[:2])] = ""
    for line in result.stderr.splitlines():
        if line.startswith("  suppressed ORG0"):
            where, why = line.split(" at ", 1)[1].split(": ", 1)
            found[where] = why
    return found


def test_routes_of_a_module_no_one_imports_are_system_context(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    found = _findings(_project(tmp_path), monkeypatch)
    assert found["app/routes/documents.py:10"] == ""  # mounted: still a leak
    assert found["app/routes/search.py:12"] == f"system context: {UNMOUNTED}"
    assert found["app/services.py:6"] == (
        f"system context: called only from `search_documents` ({UNMOUNTED})"
    )


def test_a_hook_run_on_the_router_alone_decides_as_a_full_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    found = _findings(_project(tmp_path), monkeypatch, "app/routes/search.py")
    assert found == {"app/routes/search.py:12": f"system context: {UNMOUNTED}"}


@pytest.mark.parametrize(
    "files",
    [
        # mounted after all: imported by the app, relatively or by a shorter name
        {
            "app/main.py": MAIN
            + "from app.routes import search\napp.include_router(search.router)\n"
        },
        {
            "app/main.py": MAIN
            + "from .routes.search import router as search_router\n"
            + "app.include_router(search_router)\n"
        },
        {"app/routes/__init__.py": "from . import search\n"},
        {"app/api.py": "from routes.search import router\nROUTERS = [router]\n"},
        {
            "app/factory.py": (
                "def create():\n    from app.routes.search import router\n    return router\n"
            )
        },
        # named in `__all__`, or imported by a module that mentions no router at all
        {"app/api.py": "from app.routes.search import router\n__all__ = ['router']\n"},
        {"app/registry.py": "from app.routes import search\n"},
        # the module mounts its router itself, on a parent imported from elsewhere
        {
            "app/main.py": MAIN + "from app.routes import search  # registers its routes\n",
            "app/routes/search.py": SEARCH
            + "from app.api import parent\nparent.include_router(router)\n",
        },
        # modules loaded by a computed name may be any of them
        {"app/plugins.py": "import importlib\nfor n in NAMES:\n    importlib.import_module(n)\n"},
        {"app/plugins.py": "import builtins\nloader = builtins.__import__\n"},
        # the analysed files build no app: its entry point lies elsewhere
        {"app/main.py": "from app.routes import documents\n"},
        # the module builds an app itself: served by name, never imported
        {"app/routes/search.py": SEARCH + "app = FastAPI()\napp.include_router(router)\n"},
    ],
)
def test_what_keeps_a_router_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str]
) -> None:
    found = _findings(_project(tmp_path, files), monkeypatch)
    assert found["app/routes/search.py:12"] == ""
    assert found["app/services.py:6"] == ""


@pytest.mark.parametrize(
    "files",
    [
        {"tests/test_search.py": "from app.routes.search import router\n"},
        {"app/log.py": 'log = __import__("logging").getLogger(__name__)\n'},
        {"app/other.py": "from app.services.search import thing\n"},
    ],
)
def test_what_does_not_mount_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str]
) -> None:
    found = _findings(_project(tmp_path, files), monkeypatch)
    assert found["app/routes/search.py:12"] == f"system context: {UNMOUNTED}"


def test_a_function_also_called_from_a_mounted_route_stays_request_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    documents = DOCUMENTS.replace("from app.db import db", "from app.db import db\n") + (
        "\n\n@router.get('/d/{doc_id}/body')\n"
        "def body(doc_id: str, current_user=Depends(get_current_user)):\n"
        "    from app.services import recent\n"
        "    return recent()\n"
    )
    found = _findings(_project(tmp_path, {"app/routes/documents.py": documents}), monkeypatch)
    assert found["app/services.py:6"] == ""


def test_module_links_read_every_import() -> None:
    import ast

    source = textwrap.dedent(
        """
        import os, app.db
        from . import search
        from ..core.auth import verify as v
        try:
            from fastapi import FastAPI
        except ImportError:
            import json
        def create():
            if True:
                from app.routes import documents
        class A:
            import re
        match x:
            case 1:
                import csv
        """
    )
    links = module_links(ast.parse(source), source)
    assert set(links.imports) == {
        "os", "app.db", ".search", "..core.auth", "..core.auth.verify", "fastapi",
        "fastapi.FastAPI", "json", "app.routes", "app.routes.documents", "re", "csv",
    }  # fmt: skip
    assert not links.app and not links.dynamic


def test_relative_imports_resolve_against_the_importing_file() -> None:
    assert resolved(".search", "src/api/routes/__init__.py") == ("src", "api", "routes", "search")
    assert resolved("..routes.search", "src/api/v1/app.py") == ("src", "api", "routes", "search")
    assert resolved("app.routes", "src/x.py") == ("app", "routes")


def test_where_a_file_imports_a_name_from() -> None:
    links = module_links(
        __import__("ast").parse(
            "from app.core.settings import check\nfrom ..auth import who\nimport app.core.db\n"
        ),
        "",
    )
    assert sources_of("check", "app/api/x.py", links) == [("app", "core", "settings")]
    assert sources_of("who", "app/api/v1/x.py", links) == [("app", "api", "auth")]
    assert sources_of("db", "app/api/x.py", links) == [("app", "core")]
    assert sources_of("missing", "app/api/x.py", links) == []
    assert is_module("backend/app/core/settings.py", ("app", "core", "settings"))
    assert is_module("app/auth/__init__.py", ("app", "auth"))
    assert not is_module("app/core/settings.py", ("other", "settings"))


IMPORTED_UNUSED = (
    "route never mounted: `app/routes/search.py` is imported only where its name goes unused"
)


@pytest.mark.parametrize(
    "files",
    [
        # the include_router line commented out, the import left behind
        {
            "app/main.py": MAIN
            + "from app.routes import search\n# app.include_router(search.router)\n"
        },
        {"app/main.py": MAIN + "from .routes.search import router as search_router\n"},
    ],
)
def test_an_import_whose_name_goes_unused_mounts_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str]
) -> None:
    found = _findings(_project(tmp_path, files), monkeypatch)
    assert found["app/routes/search.py:12"] == f"system context: {IMPORTED_UNUSED}"
    assert found["app/routes/documents.py:10"] == ""


def test_module_links_name_the_imports_a_file_never_uses() -> None:
    import ast

    source = textwrap.dedent(
        """
        from fastapi import APIRouter
        from app.routes import documents, search
        import app.jobs
        from .plugins import loader as plugin_loader
        router = APIRouter()
        router.include_router(documents.router)
        """
    )
    links = module_links(ast.parse(source), source)
    assert links.unused == (".plugins", ".plugins.loader", "app.jobs", "app.routes.search")
