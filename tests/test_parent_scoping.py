"""Child tables scoped through a foreign key to a tenant table."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from orgscope_lint.analysis import analyze_module
from orgscope_lint.analysis.parent_scoping import ChildVerdict, judge_child
from orgscope_lint.config import Config, config_from_mapping
from orgscope_lint.project import build_project
from orgscope_lint.schema import Schema, load_schema

PARENT = "CREATE TABLE companies (id uuid PRIMARY KEY, organization_id uuid NOT NULL);\n"


def replay(tmp_path: Path, sql: str) -> Schema:
    (tmp_path / "migrations").mkdir(exist_ok=True)
    (tmp_path / "migrations" / "001.sql").write_text(sql, encoding="utf-8")
    return load_schema(tmp_path, Config().schema)


@pytest.mark.parametrize(
    "ddl",
    [
        "CREATE TABLE contacts (id uuid, company_id uuid NOT NULL REFERENCES companies(id));",
        "CREATE TABLE contacts (id uuid,"
        " company_id uuid REFERENCES public.companies ON DELETE CASCADE);",
        "CREATE TABLE contacts (id uuid, company_id uuid,"
        " CONSTRAINT fk FOREIGN KEY (company_id) REFERENCES companies(id));",
        "CREATE TABLE contacts (id uuid, company_id uuid);\n"
        "ALTER TABLE ONLY public.contacts ADD CONSTRAINT fk FOREIGN KEY (company_id)"
        " REFERENCES public.companies(id) ON DELETE CASCADE;",
        "CREATE TABLE contacts (id uuid);\n"
        "ALTER TABLE contacts ADD COLUMN company_id uuid REFERENCES companies(id);",
        # sqlglot gives up on the storage parameter: the text fallback reads the rest.
        "CREATE TABLE contacts (id uuid);\n"
        "ALTER TABLE contacts ADD COLUMN company_id uuid REFERENCES companies(id),"
        " SET (fillfactor = 50);",
    ],
)
def test_foreign_keys_are_learned_from_every_ddl_form(tmp_path: Path, ddl: str) -> None:
    schema = replay(tmp_path, PARENT + ddl)
    assert schema.tables["contacts"].references == (("company_id", "companies"),)
    assert schema.tables["companies"].references == ()


def test_foreign_keys_follow_renames_and_drops(tmp_path: Path) -> None:
    schema = replay(
        tmp_path,
        PARENT + "CREATE TABLE contacts (id uuid, cid uuid REFERENCES companies(id),"
        " note_id uuid REFERENCES notes(id));\n"
        "ALTER TABLE contacts RENAME COLUMN cid TO company_id;\n"
        "ALTER TABLE companies RENAME TO firms;\n"
        "ALTER TABLE contacts DROP COLUMN note_id;\n",
    )
    assert schema.tables["contacts"].references == (("company_id", "firms"),)


def test_multi_column_foreign_keys_are_not_parent_links(tmp_path: Path) -> None:
    schema = replay(
        tmp_path,
        PARENT + "CREATE TABLE contacts (a uuid, b uuid,"
        " FOREIGN KEY (a, b) REFERENCES companies(id, organization_id));",
    )
    assert schema.tables["contacts"].references == ()


def project_for(tmp_path: Path, sql: str, **settings: object):
    config = config_from_mapping({"tenant-key": "organization_id", **settings})
    return build_project(config, replay(tmp_path, sql))


def test_a_child_of_a_tenant_table_is_scoped_through_it(tmp_path: Path) -> None:
    project = project_for(
        tmp_path,
        PARENT + "CREATE TABLE contacts (id uuid, company_id uuid REFERENCES companies(id));\n"
        "CREATE TABLE tags (id uuid, label text);\n"
        "CREATE TABLE deals (id uuid, organization_id uuid,"
        " company_id uuid REFERENCES companies);\n"
        "CREATE TABLE plans (id uuid);\n"
        "CREATE TABLE plan_items (id uuid, plan_id uuid REFERENCES plans(id));\n",
    )
    assert set(project.parents) == {"contacts"}
    link = project.parents["contacts"]
    assert (link.column, link.parent, link.describe()) == (
        "company_id",
        "companies",
        "company_id -> companies",
    )
    # A table with a key of its own is judged by it; a parent that is not a tenant table
    # (or a child of a global table) scopes nothing.
    assert project.scoping_column("deals") == "organization_id"
    assert project.scoping_column("contacts") == "company_id"
    assert project.scoping_column("plan_items") is None


def test_a_global_table_is_never_a_child(tmp_path: Path) -> None:
    project = project_for(
        tmp_path,
        PARENT + "CREATE TABLE contacts (id uuid, company_id uuid REFERENCES companies(id));\n",
        **{"global-tables": ["contacts"]},
    )
    assert project.parents == {}


def child_query(source: str):
    text = textwrap.dedent(source)
    module_facts = analyze_module("m.py", text, ast.parse(text), Config())
    return [q for q in module_facts.queries if q.table == "contacts"][-1]


_LOOKUP = """\
@router.get("/companies/{company_id}/contacts")
def f(company_id: str, current_user=None):
    org = current_user["organization_id"]
    found = sb.table("companies").select("id").eq("id", company_id).eq("organization_id", org)
    found = found.execute()
"""


@pytest.mark.parametrize(
    ("guard", "expected"),
    [
        ("    if not found.data:\n        raise HTTPException(404)\n", ChildVerdict.SCOPED),
        ("    if found.data is None:\n        return []\n", ChildVerdict.SCOPED),
        ("    if not found.data[0]:\n        raise HTTPException(404)\n", ChildVerdict.SCOPED),
        # A check that does not stop the code proves nothing.
        ("    if not found.data:\n        print('missing')\n", ChildVerdict.UNTRUSTED),
        ("", ChildVerdict.UNTRUSTED),
    ],
)
def test_a_parent_lookup_that_stops_the_code_verifies_the_id(guard: str, expected) -> None:
    query = child_query(
        _LOOKUP
        + guard
        + '    return sb.table("contacts").select("*").eq("company_id", company_id).execute()\n'
    )
    assert judge_child(query, "company_id", lambda ref: ref == "q0") is expected


@pytest.mark.parametrize(
    ("rows", "guard", "expected"),
    [
        ("found.data or []", "    if not rows:\n        raise HTTPException(404)\n", "SCOPED"),
        ("found.data", "    if not rows:\n        raise HTTPException(404)\n", "SCOPED"),
        # A fallback with a row of its own is not the lookup's result any more.
        ("found.data or [{}]", "    if not rows:\n        raise HTTPException(404)\n", "UNTRUSTED"),
        ("found.data or []", "    if not rows:\n        rows = []\n", "UNTRUSTED"),
    ],
)
def test_the_rows_of_a_lookup_bound_to_a_name_are_its_guard(
    rows: str, guard: str, expected: str
) -> None:
    query = child_query(
        _LOOKUP
        + f"    rows = {rows}\n"
        + guard
        + '    return sb.table("contacts").select("*").eq("company_id", company_id).execute()\n'
    )
    assert judge_child(query, "company_id", lambda ref: ref == "q0").name == expected


def test_an_unscoped_parent_lookup_leaves_the_child_to_its_root() -> None:
    query = child_query(
        _LOOKUP
        + "    if not found.data:\n        raise HTTPException(404)\n"
        + '    return sb.table("contacts").select("*").eq("company_id", company_id).execute()\n'
    )
    assert judge_child(query, "company_id", lambda ref: False) is ChildVerdict.UNJUDGED


def test_a_parent_id_of_unknown_origin_is_not_judged() -> None:
    query = child_query(
        "def contacts_of(sb, company_id):\n"
        '    return sb.table("contacts").select("*").eq("company_id", company_id).execute()\n'
    )
    assert judge_child(query, "company_id", lambda ref: True) is ChildVerdict.UNJUDGED


CASE = Path(__file__).resolve().parent.parent / "fixtures" / "cases" / "parent_scoped_children"


def test_verbose_and_audit_show_the_child_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from orgscope_lint.audit.model import build_report
    from orgscope_lint.cli import cli
    from orgscope_lint.config import load_config
    from orgscope_lint.engine import run

    monkeypatch.chdir(CASE)
    result = CliRunner().invoke(cli, ["check", "--no-cache", "-v", "-q", "."])
    assert "company_contacts: through company_id -> companies  (migrations/001_crm.sql)" in (
        result.stderr
    )
    assert "company_notes: through company_id -> companies" in result.stderr

    report = build_report(run([CASE], load_config(start=CASE), cwd=CASE, use_cache=False))
    keys = {table.name: table.key for table in report.tenant_model.tables}
    assert keys["company_contacts"] == "through company_id -> companies"
    cells = {(c.table, c.operation): c for c in report.coverage}
    contacts = cells[("company_contacts", "read")]
    assert (contacts.scoped, contacts.unscoped) == (1, 2)


def test_the_table_the_tenant_key_references_is_the_tenant_row(tmp_path: Path) -> None:
    project = project_for(
        tmp_path,
        "CREATE TABLE organizations (id uuid PRIMARY KEY, name text);\n"
        "CREATE TABLE companies (id uuid,"
        " organization_id uuid REFERENCES organizations(id));\n"
        "CREATE TABLE contacts (id uuid, company_id uuid REFERENCES companies(id));\n"
        "CREATE TABLE plans (id uuid, name text);\n",
    )
    assert set(project.tenant_rows) == {"organizations"}
    assert "companies.organization_id references it" in project.tenant_rows["organizations"]
    assert project.scoping_column("organizations") == "id"
    assert set(project.parents) == {"contacts"}  # the tenant row is nobody's child


def test_init_proposes_neither_tenant_rows_nor_children_as_global(tmp_path: Path) -> None:
    from orgscope_lint.init_config import propose

    replay(
        tmp_path,
        "CREATE TABLE organizations (id uuid PRIMARY KEY, name text);\n"
        "CREATE TABLE companies (id uuid,"
        " organization_id uuid REFERENCES organizations(id));\n"
        "CREATE TABLE contacts (id uuid, company_id uuid REFERENCES companies(id));\n"
        "CREATE TABLE plans (id uuid, name text);\n",
    )
    assert propose(tmp_path).global_candidates == ("plans",)
