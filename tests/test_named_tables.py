"""A table a caller names (`client.table(table)`): never a tenant table of its own, judged
where a call names it with a string literal."""

from __future__ import annotations

from pathlib import Path

from orgscope_lint.analysis.builder_api import TABLE_PARAM
from orgscope_lint.config import load_config
from orgscope_lint.engine import RunResult, run

HELPERS = """
from app.db import client

def fetch(table, row_id):
    return client.table(table).select("*").eq("id", row_id).execute().data

def fetch_named(name, row_id):
    table = name
    return client.table(table).select("*").eq("id", row_id).execute().data
"""


def _run(tmp_path: Path, migrations: bool) -> RunResult:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "p"\n[tool.orgscope-lint]\ntenant-key = "org_id"\n'
        'db-receivers = ["client"]\n',
        encoding="utf-8",
    )
    if migrations:
        (tmp_path / "migrations").mkdir()
        (tmp_path / "migrations" / "001.sql").write_text(
            "create table orgs (id uuid primary key);\n"
            "create table cases (id uuid primary key, org_id uuid references orgs (id));\n",
            encoding="utf-8",
        )
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "helpers.py").write_text(HELPERS, encoding="utf-8")
    return run([tmp_path], load_config(start=tmp_path), cwd=tmp_path, jobs=1, use_cache=False)


def test_a_parameter_as_given_names_the_table_its_callers_pass(tmp_path: Path) -> None:
    result = _run(tmp_path, migrations=True)
    tables = {q.function: q.table for f in result.facts for q in f.queries}
    assert tables["fetch"] == TABLE_PARAM + "table"
    assert tables["fetch_named"] == TABLE_PARAM + "name"  # `table = name`: the parameter


def test_without_migrations_every_table_is_a_tenant_table_but_a_named_one(
    tmp_path: Path,
) -> None:
    result = _run(tmp_path, migrations=False)
    assert result.project.key_for("cases") == "org_id"
    assert result.project.key_for(TABLE_PARAM + "table") is None
    assert TABLE_PARAM + "table" not in result.project.inferred_tables
    assert not result.active


def test_the_audit_lists_no_named_table_among_the_tables(tmp_path: Path) -> None:
    from orgscope_lint.audit.model import build_report

    report = build_report(_run(tmp_path, migrations=True))
    assert not [t for t in report.tenant_model.other_tables if t.startswith(TABLE_PARAM)]
