"""ORG203 through a column the caller can write: a policy that takes its tenant id from
`profiles.org_id` (or a membership row) is only as good as what stops the caller from
changing that column."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from orgscope_lint.config import config_from_mapping
from orgscope_lint.engine import run
from orgscope_lint.rls.model import RlsModel
from orgscope_lint.rls.replay import RlsReplay
from orgscope_lint.rls.writable import caller_writable
from orgscope_lint.schema import split_statements_at

PROFILES = (
    "create table profiles (id uuid primary key, org_id text not null, name text);\n"
    "create table invoices (id uuid, org_id text not null);\n"
    "alter table invoices enable row level security;\n"
    "create policy member on invoices\n"
    "  using (org_id = (select org_id from profiles where id = auth.uid()));\n"
)
MEMBERS = (
    "create table members (user_id uuid not null, org_id text not null);\n"
    "create table invoices (id uuid, org_id text not null);\n"
    "alter table invoices enable row level security;\n"
    "create policy member on invoices using (org_id in\n"
    "  (select m.org_id from members m where m.user_id = auth.uid()));\n"
)
RLS_ON = "alter table profiles enable row level security;\n"
OWN_UPDATE = "create policy own on profiles for update to authenticated using (id = auth.uid());\n"


def replay(sql: str) -> RlsModel:
    state = RlsReplay()
    for line, statement in split_statements_at(sql):
        state.observe(statement, "m.sql", line)
    return state.result()


def writable(sql: str) -> set[tuple[str, str]]:
    return set(caller_writable(replay(sql)))


def findings(tmp_path: Path, sql: str) -> list[tuple[int, str]]:
    (tmp_path / "migrations").mkdir(exist_ok=True)
    (tmp_path / "migrations" / "001.sql").write_text(sql)
    settings = config_from_mapping({"tenant-key": "org_id"}, source=tmp_path / "orgscope.toml")
    result = run([tmp_path], settings, cwd=tmp_path, use_cache=False)
    return [(f.line, f.message) for f in result.active if f.code == "ORG203"]


@pytest.mark.parametrize(
    "extra",
    [
        pytest.param(RLS_ON + OWN_UPDATE, id="update-own-row-no-check"),
        pytest.param(
            RLS_ON + "create policy own on profiles for all using (id = auth.uid());\n",
            id="all-policy",
        ),
        pytest.param(
            RLS_ON + "create policy own on profiles for insert with check (id = auth.uid());\n",
            id="insert-policy",
        ),
        pytest.param(
            RLS_ON + OWN_UPDATE + "revoke update (org_id) on profiles from authenticated;\n",
            id="column-revoke-while-table-update-held",
        ),
        pytest.param(
            RLS_ON
            + OWN_UPDATE
            + "revoke update on profiles from anon, authenticated;\n"
            + "grant update (org_id, name) on profiles to authenticated;\n",
            id="column-grant-includes-the-key",
        ),
        pytest.param(
            RLS_ON
            + "create policy own on profiles for update using (id = auth.uid())"
            + " with check (true);\n",
            id="check-true",
        ),
        pytest.param("", id="rls-off-with-default-grants"),
        pytest.param(
            RLS_ON + "alter table profiles disable row level security;\n", id="rls-disabled-later"
        ),
    ],
)
def test_a_column_the_caller_writes(extra: str) -> None:
    assert writable(PROFILES + extra) == {("profiles", "org_id")}


@pytest.mark.parametrize(
    "extra",
    [
        pytest.param(RLS_ON, id="no-policy-on-the-source"),
        pytest.param(
            RLS_ON + "create policy own on profiles for select using (id = auth.uid());\n",
            id="select-only",
        ),
        pytest.param(
            RLS_ON
            + "create policy own on profiles for update using (id = auth.uid())\n"
            + "  with check (org_id = (select org_id from profiles where id = auth.uid()));\n",
            id="check-pins-the-column",
        ),
        pytest.param(
            RLS_ON
            + OWN_UPDATE
            + "create policy keep on profiles as restrictive for update\n"
            + "  with check (org_id =\n"
            + "    (select p.org_id from profiles p where p.id = auth.uid()));\n",
            id="restrictive-policy-pins-it",
        ),
        pytest.param(
            RLS_ON
            + OWN_UPDATE
            + "revoke update on profiles from anon, authenticated;\n"
            + "grant update (name) on profiles to authenticated;\n",
            id="only-other-columns-granted",
        ),
        pytest.param(
            RLS_ON + OWN_UPDATE + "revoke update, insert on profiles from anon, authenticated;\n",
            id="update-revoked",
        ),
        pytest.param(
            RLS_ON + "create policy own on profiles for update to service_role using (true);\n",
            id="policy-for-service-role-only",
        ),
        pytest.param(
            RLS_ON + "create policy own on profiles for update using (false);\n",
            id="update-policy-admits-no-row",
        ),
        pytest.param(
            "revoke all on profiles from anon, authenticated;\n", id="rls-off-no-api-grants"
        ),
        pytest.param(
            RLS_ON
            + OWN_UPDATE
            + "do $$ declare t text; begin\n"
            + "  for t in select tablename from pg_tables loop\n"
            + "    execute format('alter table %I disable row level security', t);\n"
            + "  end loop; end $$;\n",
            id="dynamic-sql-makes-it-unknown",
        ),
    ],
)
def test_a_column_the_caller_cannot_write(extra: str) -> None:
    assert writable(PROFILES + extra) == set()


def test_a_table_no_migration_created_is_never_guessed_writable() -> None:
    sql = (
        "create table invoices (id uuid, org_id text not null);\n"
        "alter table invoices enable row level security;\n"
        "create policy member on invoices\n"
        "  using (org_id = (select org_id from profiles where id = auth.uid()));\n"
        "alter table profiles enable row level security;\n" + OWN_UPDATE
    )
    assert writable(sql) == set()


def test_membership_insert_and_correlated_exists() -> None:
    join = (
        "alter table members enable row level security;\n"
        "create policy join on members for insert to authenticated"
        " with check (user_id = auth.uid());\n"
    )
    assert writable(MEMBERS + join) == {("members", "org_id")}
    exists = MEMBERS.replace(
        "using (org_id in\n  (select m.org_id from members m where m.user_id = auth.uid()))",
        "using (exists (select 1 from members m\n"
        "  where m.org_id = invoices.org_id and m.user_id = auth.uid()))",
    )
    assert writable(exists + join) == {("members", "org_id")}
    admins_only = join.replace(
        "with check (user_id = auth.uid())",
        "with check (org_id in (select org_id from members where user_id = auth.uid()"
        " and role = 'admin'))",
    )
    assert writable(MEMBERS + admins_only) == set()


def test_reported_at_the_policy_naming_the_column_and_the_writer(tmp_path: Path) -> None:
    got = findings(tmp_path, PROFILES + RLS_ON + OWN_UPDATE)
    assert len(got) == 1
    line, message = got[0]
    assert line == 4
    assert "`profiles.org_id`" in message
    assert "policy `own` lets the caller update `profiles` (migrations/001.sql:7)" in message


def test_rls_off_on_the_source_is_named(tmp_path: Path) -> None:
    [(line, message)] = findings(tmp_path, PROFILES)
    assert line == 4
    assert "row-level security is off on `profiles`" in message


def test_silent_when_the_source_is_protected(tmp_path: Path) -> None:
    sql = PROFILES + RLS_ON + "create policy own on profiles for select using (id = auth.uid());\n"
    assert findings(tmp_path, sql) == []


def test_the_policy_no_longer_counts_as_scoping_for_the_code(tmp_path: Path) -> None:
    """A query through an RLS-respecting client is defence in depth only when the
    policy really scopes: one trusting a writable column leaves the error standing."""
    (tmp_path / "api.py").write_text(
        "def f(sb):\n    return sb.table('invoices').select('*').execute()\n"
    )
    (tmp_path / "migrations").mkdir()
    settings = config_from_mapping(
        {"tenant-key": "org_id", "rls-clients": ["sb"]}, source=tmp_path / "orgscope.toml"
    )

    def severity() -> str:
        result = run([tmp_path], settings, cwd=tmp_path, use_cache=False)
        [finding] = [f for f in result.active if f.path == "api.py"]
        return finding.severity.value

    (tmp_path / "migrations" / "001.sql").write_text(PROFILES + RLS_ON + OWN_UPDATE)
    assert severity() == "error"
    safe = PROFILES + RLS_ON + "create policy own on profiles for select using (id = auth.uid());\n"
    (tmp_path / "migrations" / "001.sql").write_text(safe)
    assert severity() == "warning"


def test_a_remembered_judgement_depends_on_the_writable_columns() -> None:
    # Judgements are memoised per process and cached per migrations: a key without the
    # writable columns once served one project's verdict to another.
    from dataclasses import replace

    from orgscope_lint.rls.policies import Context, Scope, judge

    expression = "clerk_org_id = (select clerk_org_id from profiles where id = auth.uid())"
    closed = Context("clerk_org_id", frozenset(), frozenset(), frozenset())
    open_ = replace(closed, writable=frozenset({("profiles", "clerk_org_id")}))
    assert judge(expression, closed) is not Scope.CALLER
    assert judge(expression, open_) is Scope.CALLER


# --- what the caller may write is stored with the schema ---

# Prints whether a run imported sqlglot, after `check` has run in this process.
_IMPORTS_SQLGLOT = (
    "import sys\n"
    "from orgscope_lint.cli import cli\n"
    "try:\n"
    "    cli(sys.argv[1:], standalone_mode=False)\n"
    "finally:\n"
    "    print('sqlglot' in sys.modules, file=sys.stderr)\n"
)


def _imports_sqlglot(root: Path, *args: str) -> bool:
    command = [sys.executable, "-c", _IMPORTS_SQLGLOT, "check", *args]
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=120)
    return done.stderr.strip().splitlines()[-1] == "True"


def test_a_warm_run_never_imports_sqlglot(tmp_path: Path) -> None:
    """Which columns the caller may write depends on the migrations alone: a run whose
    schema comes from the cache neither parses a policy again nor imports sqlglot."""
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "001.sql").write_text(PROFILES + RLS_ON + OWN_UPDATE)
    (tmp_path / "orgscope.toml").write_text('tenant-key = "org_id"\n')
    api = tmp_path / "api.py"
    api.write_text('def f(db, i):\n    db.delete("invoices", {"id": i})\n')
    assert _imports_sqlglot(tmp_path, "."), "the first run replays the migrations"
    # Edited since the complete run: the rules run on it and judge the table's policies.
    api.write_text(api.read_text() + "# edited\n")
    _imports_sqlglot(tmp_path, "api.py")
    assert not _imports_sqlglot(tmp_path, "api.py")


@pytest.mark.parametrize(
    ("create", "unique"),
    [
        ("create table t (id uuid primary key, org_id text);", {"id"}),
        ("create table t (id uuid not null unique, org_id text);", {"id"}),
        ("create table t (id uuid, org_id text, primary key (id));", {"id"}),
        ("create table t (id uuid, org_id text, constraint u unique (org_id));", {"org_id"}),
        # A word in a check's literal is no constraint.
        ("create table t (id uuid, kind text check (kind in ('unique', 'shared')));", set()),
        # A key over two columns lets each of them repeat.
        ("create table t (id uuid, org_id text, primary key (id, org_id));", set()),
        (
            "create table t (id uuid primary key, org_id text);\nalter table t drop column id;\n"
            "alter table t add column id uuid;",
            set(),
        ),
        (
            "create table t (id uuid primary key, org_id text);\n"
            "alter table t rename column id to key;",
            {"key"},
        ),
    ],
)
def test_the_columns_no_two_rows_share(create: str, unique: set[str]) -> None:
    assert set(replay(create).tables["t"].unique) == unique
