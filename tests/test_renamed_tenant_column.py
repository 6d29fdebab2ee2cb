"""ORG204 in the code: a query that still names a tenant column a migration renamed."""

from __future__ import annotations

from pathlib import Path

import pytest

from orgscope_lint.config import config_from_mapping
from orgscope_lint.engine import run
from orgscope_lint.findings import Severity

RENAME = (
    "create table projects (id int, client_id text not null);\n"
    "alter table projects rename column client_id to org_id;\n"
)
BUILDER = (
    "def projects(sb, x):\n"
    '    return sb.table("projects").select("*").eq("client_id", x).execute()\n'
)
SERVICE = 'def projects(db, x):\n    return db.select("projects", {"client_id": x})\n'


def _run(tmp_path: Path, sql: str, code: str, paths: list[str] | None = None) -> list:
    (tmp_path / "migrations").mkdir(exist_ok=True)
    (tmp_path / "migrations" / "001.sql").write_text(sql)
    (tmp_path / "api.py").write_text(code)
    settings = config_from_mapping({}, source=tmp_path / "orgscope.toml")
    given = [tmp_path / p for p in paths] if paths else [tmp_path]
    result = run(given, settings, cwd=tmp_path, use_cache=False)
    return [f for f in result.active if f.path == "api.py"]


@pytest.mark.parametrize("code", [BUILDER, SERVICE], ids=["builder", "service"])
def test_the_old_name_in_a_filter_is_one_finding_at_the_query(tmp_path: Path, code: str) -> None:
    found = _run(tmp_path, RENAME, code)
    assert [(f.code, f.line) for f in found] == [("ORG204", 2)]  # not ORG010 or ORG001 too
    [finding] = found
    assert "`client_id`, which migrations/001.sql:2 renamed to `org_id`" in finding.message
    assert [(r.path, r.line) for r in finding.related] == [("migrations/001.sql", 2)]
    # The query fails for every tenant: a bug, not a leak, so never an error.
    assert finding.severity is Severity.WARNING


def test_an_insert_naming_the_old_column(tmp_path: Path) -> None:
    code = 'def add(db, x):\n    db.insert("projects", {"id": 1, "client_id": x})\n'
    assert [f.code for f in _run(tmp_path, RENAME, code)] == ["ORG204"]


def test_the_tenant_key_renamed_to_no_tenant_name(tmp_path: Path) -> None:
    sql = (
        "create table calls (id int, clerk_org_id text not null);\n"
        "alter table calls rename column clerk_org_id to owner_ref;\n"
    )
    code = 'def f(db, org):\n    return db.select("calls", {"clerk_org_id": org})\n'
    assert [f.code for f in _run(tmp_path, sql, code)] == ["ORG204"]


@pytest.mark.parametrize(
    ("sql", "code"),
    [
        pytest.param(RENAME, BUILDER.replace('"client_id"', '"org_id"'), id="new-name"),
        pytest.param(
            RENAME + "alter table projects rename column org_id to client_id;\n",
            SERVICE,
            id="renamed-back",
        ),
        pytest.param(
            RENAME + "alter table projects add column client_id text;\n", SERVICE, id="re-added"
        ),
        pytest.param(RENAME + "drop table projects;\n", SERVICE, id="table-dropped"),
        pytest.param(
            "create table projects (id int, org_id text not null, title text);\n"
            "alter table projects rename column title to name;\n",
            'def f(db, org):\n    return db.select("projects", {"org_id": org, "title": 1})\n',
            id="no-tenant-column",
        ),
    ],
)
def test_silent(tmp_path: Path, sql: str, code: str) -> None:
    assert [f.code for f in _run(tmp_path, sql, code) if f.code == "ORG204"] == []


def test_partial_runs_report_it_as_the_full_run_does(tmp_path: Path) -> None:
    """The finding depends on the file and the migrations, which every run replays
    whole: a hook given the file reports it, one given only the migration does not
    report on code it was not given."""
    full = _run(tmp_path, RENAME, BUILDER)
    hook = _run(tmp_path, RENAME, BUILDER, ["api.py"])
    assert [(f.code, f.line, f.message) for f in hook] == [
        (f.code, f.line, f.message) for f in full
    ]
    assert _run(tmp_path, RENAME, BUILDER, ["migrations/001.sql"]) == []
