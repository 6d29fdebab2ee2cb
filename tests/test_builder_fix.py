"""`--fix` on Supabase query-builder chains, the builder-style fixture, and the rule pages'
Fix examples.

`fixtures/builder_backend/before` is a small FastAPI + Supabase backend (repository
classes, dependency-injected async clients, tenant key `org_id`); `after/` is the same
tree with exactly the edits `--fix` must make. What is left in `after/` needs a human.
"""

from __future__ import annotations

import re
import shutil
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from orgscope_lint.cli import cli
from orgscope_lint.config import load_config
from orgscope_lint.engine import run
from orgscope_lint.fix import edits_for, fixed_text
from orgscope_lint.rules import ALL_RULES

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "builder_backend"
PYPROJECT = '[tool.orgscope-lint]\ntenant-key = "org_id"\n'
MIGRATION = "create table projects (id uuid primary key, org_id uuid, name text);\n"


def fix_source(tmp_path: Path, source: str, pyproject: str = PYPROJECT) -> str:
    """The module after one round of fixes (the source itself when nothing applies)."""
    (tmp_path / "pyproject.toml").write_text(pyproject)
    (tmp_path / "migrations").mkdir(exist_ok=True)
    (tmp_path / "migrations" / "001.sql").write_text(MIGRATION)
    text = textwrap.dedent(source)
    (tmp_path / "api.py").write_text(text)
    result = run([tmp_path], load_config(start=tmp_path), cwd=tmp_path, use_cache=False)
    edits = edits_for(result.findings).get("api.py", [])
    return fixed_text(text, edits) or text


def body(lines: str) -> str:
    """A route whose `org_id` provably holds the principal's tenant id."""
    indented = textwrap.indent(textwrap.dedent(lines), "    ")
    head = (
        'async def route(project_id, current_user, client):\n    org_id = current_user["org_id"]\n'
    )
    return head + indented


FIXED = {
    "one-line-select": (
        'client.table("projects").select("*").eq("id", project_id).execute()\n',
        'client.table("projects").select("*").eq("id", project_id)'
        '.eq("org_id", org_id).execute()\n',
    ),
    "awaited-update": (
        'await client.table("projects").update({"name": "x"}).eq("id", project_id).execute()\n',
        'await client.table("projects").update({"name": "x"}).eq("id", project_id)'
        '.eq("org_id", org_id).execute()\n',
    ),
    "delete-with-in": (
        'client.table("projects").delete().in_("id", [project_id]).execute()\n',
        'client.table("projects").delete().in_("id", [project_id])'
        '.eq("org_id", org_id).execute()\n',
    ),
    "before-the-modifiers": (
        'client.table("projects").select("id").eq("a", 1).order("name").limit(5)'
        ".single().execute()\n",
        'client.table("projects").select("id").eq("a", 1).eq("org_id", org_id).order("name")'
        ".limit(5).single().execute()\n",
    ),
    "one-call-per-line-with-comments": (
        """\
        row = await (
            client.table("projects")
            .select("*")
            .eq("id", project_id)  # the path's project
            # exactly one
            .single()
            .execute()
        )
        """,
        """\
        row = await (
            client.table("projects")
            .select("*")
            .eq("id", project_id)  # the path's project
            .eq("org_id", org_id)
            # exactly one
            .single()
            .execute()
        )
        """,
    ),
    "insert-record-literal": (
        'client.table("projects").insert({"name": "x"}).execute()\n',
        'client.table("projects").insert({"name": "x", "org_id": org_id}).execute()\n',
    ),
    "multi-line-upsert-record": (
        """\
        client.table("projects").upsert(
            {
                "id": project_id,
                "name": "x",
            },
            on_conflict="id",
        ).execute()
        """,
        """\
        client.table("projects").upsert(
            {
                "id": project_id,
                "name": "x",
                "org_id": org_id,
            },
            on_conflict="id",
        ).execute()
        """,
    ),
}


@pytest.mark.parametrize(("before", "after"), FIXED.values(), ids=FIXED.keys())
def test_chain_is_scoped_keeping_its_layout(tmp_path: Path, before: str, after: str) -> None:
    assert fix_source(tmp_path, body(before)) == body(after)


UNTOUCHED = {
    "continued-through-a-variable": (
        'q = client.table("projects").select("*")\nq = q.eq("id", project_id)\nq.execute()\n'
    ),
    "unfamiliar-call-before-running": (
        'client.table("projects").select("*").eq("id", project_id).returns(dict).execute()\n'
    ),
    "record-in-a-variable": 'rec = {"name": "x"}\nclient.table("projects").insert(rec).execute()\n',
    "list-of-records": 'client.table("projects").insert([{"name": "x"}]).execute()\n',
    "no-filter-at-all": 'client.table("projects").select("*").execute()\n',
    "run-elsewhere": 'to_thread(client.table("projects").delete().eq("id", project_id).execute)\n',
    "already-scoped": (
        'client.table("projects").delete().eq("id", project_id).eq("org_id", org_id).execute()\n'
    ),
}


@pytest.mark.parametrize("lines", UNTOUCHED.values(), ids=UNTOUCHED.keys())
def test_chain_the_fix_cannot_prove_is_left_alone(tmp_path: Path, lines: str) -> None:
    source = body(lines)
    assert fix_source(tmp_path, source) == source


@pytest.mark.parametrize(
    "source",
    [
        # The tenant id comes from a header: no variable holds the principal's.
        "def route(project_id, client, org_id=Header(None)):\n"
        '    client.table("projects").delete().eq("id", project_id).execute()\n',
        # A parameter of a repository method: not provably the principal's.
        "async def purge(client, project_id, org_id):\n"
        '    await client.table("projects").delete().eq("id", project_id).execute()\n',
        # Two candidates: which one is meant is not for a tool to decide.
        "def route(project_id, current_user, client):\n"
        '    org_id = current_user["org_id"]\n'
        '    tenant_id = current_user["org_id"]\n'
        '    client.table("projects").delete().eq("id", project_id).execute()\n',
    ],
    ids=["request-header", "repository-parameter", "two-candidates"],
)
def test_without_one_provable_tenant_variable_nothing_is_guessed(
    tmp_path: Path, source: str
) -> None:
    assert fix_source(tmp_path, source) == source


def test_a_table_scoped_by_another_key_is_not_fixed(tmp_path: Path) -> None:
    source = body('client.table("projects").delete().eq("id", project_id).execute()\n')
    pyproject = PYPROJECT + 'table-keys = { projects = "workspace_id" }\n'
    assert fix_source(tmp_path, source, pyproject) == source


# ---------------------------------------------------------------- the builder fixture


def _tree(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
        and not any(p == "__pycache__" or p.startswith(".") for p in path.relative_to(root).parts)
    }


def _check(root: Path, *args: str):
    return CliRunner().invoke(cli, ["check", str(root), "--no-cache", *args])


def _findings(root: Path) -> list:
    return run([root], load_config(start=root), cwd=root, use_cache=False).active


def test_fix_on_the_builder_fixture_makes_exactly_the_after_tree(tmp_path: Path) -> None:
    work = tmp_path / "backend"
    shutil.copytree(FIXTURE / "before", work)
    before = _findings(work)
    fixable = [f for f in before if f.fix]
    assert fixable, "the fixture must hold fixable findings"
    assert any(f.fix["kind"] == "add-filter" for f in fixable)
    assert any(f.fix["kind"] == "add-record-key" for f in fixable)

    first = _check(work, "--fix")
    assert first.exit_code == 1, first.output  # what needs a human stays reported
    assert f"({len(fixable)} fixed)" in first.output
    assert _tree(work) == _tree(FIXTURE / "after")

    # Nothing else: what is left is exactly what offered no fix.
    def identity(f) -> tuple:
        return (f.path, f.code, f.table, f.operation, f.snippet)

    assert sorted(map(identity, _findings(work))) == sorted(
        identity(f) for f in before if not f.fix
    )

    second = _check(work, "--fix")
    assert second.exit_code == 1
    assert "fixed" not in second.output
    assert _tree(work) == _tree(FIXTURE / "after")


def test_the_after_tree_offers_no_fix() -> None:
    assert [f for f in _findings(FIXTURE / "after") if f.fix] == []


# ---------------------------------------------------------------- the rule pages


def _fix_examples() -> list:
    cases = []
    for rule in ALL_RULES:
        section = re.search(r"## Fix\n(.*?)(?:\n    ## |\Z)", rule.doc, re.S)
        if section is None:
            continue
        blocks = re.findall(r"```python\n(.*?)```", textwrap.dedent(section.group(1)), re.S)
        assert len(blocks) == 2, f"{rule.code}: a Fix section shows one before and one after"
        cases.append(pytest.param(rule.code, *blocks, id=rule.code))
    return cases


def test_the_fixable_rules_document_their_fix() -> None:
    assert [case.values[0] for case in _fix_examples()] == ["ORG001", "ORG003", "ORG004"]


@pytest.mark.parametrize(("code", "before", "after"), _fix_examples())
def test_a_rule_pages_fix_example_is_what_fix_does(
    tmp_path: Path, code: str, before: str, after: str
) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "api.py").write_text(before)
    codes = {f.code for f in _findings(tmp_path) if f.fix}
    assert code in codes
    result = _check(tmp_path, "--fix")
    assert "fixed" in result.output
    assert (tmp_path / "api.py").read_text() == after
