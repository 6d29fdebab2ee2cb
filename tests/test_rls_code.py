"""Code findings that know the database's row-level security: a missing filter through
an RLS-respecting client on a table whose policy scopes the operation is a warning that
names the policy; through a client that bypasses RLS it stays an error."""

from __future__ import annotations

from pathlib import Path

import pytest

from orgscope_lint.config import config_from_mapping
from orgscope_lint.engine import run
from orgscope_lint.findings import Finding, Severity

SCOPED = (
    "create table calls (id int, clerk_org_id text not null);\n"
    "alter table calls enable row level security;\n"
    "create policy org_calls on calls to authenticated\n"
    "    using (clerk_org_id = auth.jwt() ->> 'org_id');\n"
)
USER = (
    "from app.db import DatabaseService\n\n"
    "def f(token, i):\n"
    "    db = DatabaseService(token=token)\n"
    '    db.delete("calls", {"id": i})\n'
)
ADMIN = USER.replace("DatabaseService", "DatabaseAdminService")


def _findings(tmp_path: Path, sql: str, code: str, settings: dict | None = None) -> list[Finding]:
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "001.sql").write_text(sql, encoding="utf-8")
    (tmp_path / "api.py").write_text(code, encoding="utf-8")
    config = config_from_mapping(settings or {}, source=tmp_path / "orgscope.toml")
    result = run([tmp_path], config, cwd=tmp_path, use_cache=False)
    return [f for f in result.active if f.path == "api.py"]


def test_a_policy_scoped_table_through_the_user_client_is_defence_in_depth(
    tmp_path: Path,
) -> None:
    (finding,) = _findings(tmp_path, SCOPED, USER)
    assert (finding.code, finding.severity) == ("ORG001", Severity.WARNING)
    assert "`org_calls` (migrations/001.sql:3)" in finding.message
    assert "defence in depth" in finding.message


def test_a_client_that_bypasses_rls_keeps_the_error_and_says_why(tmp_path: Path) -> None:
    (finding,) = _findings(tmp_path, SCOPED, ADMIN)
    assert (finding.code, finding.severity) == ("ORG001", Severity.ERROR)
    assert "`org_calls` on `calls` does not apply" in finding.message


@pytest.mark.parametrize(
    "sql",
    [
        # RLS off.
        SCOPED.replace("alter table calls enable row level security;\n", ""),
        # A policy that lets every row through.
        SCOPED.replace("(clerk_org_id = auth.jwt() ->> 'org_id')", "(true)"),
        # A second permissive policy ORs the scoped one away for deletes.
        SCOPED + "create policy cleanup on calls for delete using (auth.uid() is not null);\n",
        # Disabled again later.
        SCOPED + "alter table calls disable row level security;\n",
    ],
)
def test_without_a_policy_scoping_the_operation_the_error_stays(tmp_path: Path, sql: str) -> None:
    (finding,) = _findings(tmp_path, sql, USER)
    assert (finding.code, finding.severity) == ("ORG001", Severity.ERROR)
    assert "defence in depth" not in finding.message


def test_no_policy_for_the_operation_denies_it(tmp_path: Path) -> None:
    (finding,) = _findings(tmp_path, SCOPED.replace("on calls to", "on calls for select to"), USER)
    assert finding.severity is Severity.WARNING
    assert "lets the API roles delete no row" in finding.message


def test_an_unknown_client_is_not_assumed_to_respect_rls(tmp_path: Path) -> None:
    code = 'def f(db, i):\n    db.delete("calls", {"id": i})\n'
    (finding,) = _findings(tmp_path, SCOPED, code)
    assert finding.severity is Severity.ERROR


BUILDERS = (
    "def f(supabase, admin_client, i):\n"
    '    supabase.table("calls").delete().eq("id", i).execute()\n'
    '    admin_client.table("calls").delete().eq("id", i).execute()\n'
)


def test_a_builder_client_declared_in_rls_clients_is_defence_in_depth(tmp_path: Path) -> None:
    user, admin = _findings(tmp_path, SCOPED, BUILDERS, {"rls-clients": ["supabase"]})
    assert (user.line, user.severity) == (2, Severity.WARNING)
    assert "defence in depth" in user.message
    assert (admin.line, admin.severity) == (3, Severity.ERROR)
    assert "does not apply" in admin.message


def test_an_undeclared_builder_client_keeps_the_error_and_names_the_policy(
    tmp_path: Path,
) -> None:
    user, admin = _findings(tmp_path, SCOPED, BUILDERS)
    assert (user.line, user.severity) == (2, Severity.ERROR)
    assert "applies only if `supabase` carries the user's token" in user.message
    assert admin.severity is Severity.ERROR


def test_an_insert_is_judged_by_the_policy_check(tmp_path: Path) -> None:
    code = USER.replace('db.delete("calls", {"id": i})', 'db.insert("calls", {"id": i})')
    (finding,) = _findings(tmp_path, SCOPED, code)
    assert (finding.code, finding.severity) == ("ORG003", Severity.WARNING)
    insert_only_open = (
        SCOPED + "create policy anyone_inserts on calls for insert with check (true);\n"
    )
    (tmp_path / "again").mkdir()
    (finding,) = _findings(tmp_path / "again", insert_only_open, code)
    assert finding.severity is Severity.ERROR
