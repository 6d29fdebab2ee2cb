"""A table named through a class or instance attribute bound to one string resolves."""

from __future__ import annotations

import ast
import textwrap

import pytest

from orgscope_lint.analysis import analyze_module
from orgscope_lint.config import Config


def tables(source: str) -> list[str]:
    text = textwrap.dedent(source)
    facts = analyze_module("repo.py", text, ast.parse(text), Config(tenant_key="org_id"))
    assert facts.error is None, facts.error
    return [q.table for q in facts.queries]


def repo(binding: str, *, module: str = "", method: str = "") -> str:
    """A repository class whose `delete` names its table through `self.table`."""
    return f"""
    PROJECTS = "projects"
    {module}

    class ProjectRepo:
        {binding}

        def __init__(self, client, name="tasks"):
            self.client = client
            {method}

        async def delete(self, project_id):
            return await self.client.table(self.table).delete().eq("id", project_id).execute()
    """


RESOLVED = {
    "class-attribute-literal": repo('table = "projects"'),
    "annotated-class-attribute": repo('table: str = "projects"'),
    "class-attribute-constant": repo("table = PROJECTS"),
    "instance-attribute-literal": repo("pass", method='self.table = "projects"'),
    "instance-attribute-constant": repo("pass", method="self.table = PROJECTS"),
    "class-and-instance-agree": repo("table = PROJECTS", method='self.table = "projects"'),
}


@pytest.mark.parametrize("source", RESOLVED.values(), ids=RESOLVED.keys())
def test_attribute_bound_to_one_string_names_the_table(source: str) -> None:
    assert tables(source) == ["projects"]


UNRESOLVED = {
    "rebound-to-another-table": repo('table = "projects"', method='self.table = "tasks"'),
    "instance-rebound": repo(
        "pass", method='self.table = "projects"\n            self.table = "tasks"'
    ),
    "bound-to-a-parameter": repo("pass", method="self.table = name"),
    "class-literal-then-parameter": repo('table = "projects"', method="self.table = name"),
    "bound-to-a-call": repo("table = table_name()"),
    "constant-reassigned": repo("table = PROJECTS", module="PROJECTS = compute()"),
    "unpacked": repo("pass", method='self.table, self.other = "projects", "x"'),
    "augmented": repo('table = "projects"', method='self.table += "_archive"'),
    "never-bound": repo("pass"),
}


@pytest.mark.parametrize("source", UNRESOLVED.values(), ids=UNRESOLVED.keys())
def test_attribute_without_one_string_stays_unknown(source: str) -> None:
    assert tables(source) == []


def test_a_methods_local_name_is_not_a_class_attribute() -> None:
    source = """
    class ProjectRepo:
        def __init__(self, client):
            self.client = client

        def purge(self, project_id):
            table = "projects"
            return self.client.table(self.table).delete().eq("id", project_id).execute()
    """
    assert tables(source) == []


def test_a_subclass_overrides_the_attribute() -> None:
    source = """
    class Base:
        table = "projects"

    class TaskRepo(Base):
        table = "tasks"

        def __init__(self, client):
            self.client = client

        def delete(self, task_id):
            return self.client.table(self.table).delete().eq("id", task_id).execute()
    """
    assert tables(source) == ["tasks"]


def test_the_unscoped_delete_is_reported(tmp_path) -> None:
    from orgscope_lint.config import load_config
    from orgscope_lint.engine import run

    (tmp_path / "pyproject.toml").write_text('[tool.orgscope-lint]\ntenant-key = "org_id"\n')
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "001.sql").write_text(
        "create table projects (id uuid primary key, org_id uuid not null);\n"
    )
    (tmp_path / "repo.py").write_text(textwrap.dedent(RESOLVED["class-attribute-literal"]))
    result = run([tmp_path], load_config(start=tmp_path), cwd=tmp_path, use_cache=False)
    assert [(f.code, f.table, f.operation) for f in result.findings] == [
        ("ORG001", "projects", "delete")
    ]
