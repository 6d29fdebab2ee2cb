"""The RLS replay against a real PostgreSQL: apply each migration history of the corpus
to a throwaway server and compare the replayed model with the database's own catalog
(`pg_class.relrowsecurity`/`relforcerowsecurity`, `pg_policies`, column nullability,
table, column and function privileges, views' `security_invoker`). Any disagreement is a bug in
the replay.

The server comes from `pgserver` (PostgreSQL binaries in a wheel; built for Linux and
macOS on x86-64 and arm64, not Windows): one server for the session, one database per
history, cloned from a template holding a stub of Supabase's `auth` schema and roles.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from orgscope_lint.rls.model import TABLE_PRIVILEGES, RlsModel
from orgscope_lint.rls.policies import Context, caller_settings, judge
from orgscope_lint.schema import load_schema

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "data" / "rls_corpus"
FIXTURES = HERE.parent / "fixtures" / "clerk_backend"
HISTORIES = [
    *sorted(p for p in CORPUS.iterdir() if p.is_dir()),
    FIXTURES / "before" / "migrations",
    FIXTURES / "after" / "migrations",
]
PLATFORM = f"{sys.platform}/{platform.machine()}"

ROLES = """
do $$
begin
    create role anon nologin;
    create role authenticated nologin;
    create role service_role nologin bypassrls;
exception when duplicate_object then null;
end
$$;
"""
# The part of Supabase's `auth` schema migrations use, and its default privileges.
AUTH_STUB = """
create schema auth;
create function auth.jwt() returns jsonb language sql stable as $$
    select coalesce(nullif(current_setting('request.jwt.claims', true), ''), '{}')::jsonb
$$;
create function auth.uid() returns uuid language sql stable as $$
    select nullif(auth.jwt() ->> 'sub', '')::uuid
$$;
create function auth.role() returns text language sql stable as $$
    select auth.jwt() ->> 'role'
$$;
create table auth.users (id uuid primary key, raw_user_meta_data jsonb, raw_app_meta_data jsonb);
grant usage on schema public, auth to anon, authenticated, service_role;
alter default privileges in schema public
    grant all on tables to anon, authenticated, service_role;
alter default privileges in schema public
    grant all on functions to anon, authenticated, service_role;
"""
# Extensions are no part of what is compared, and the server package ships none.
_EXTENSION = re.compile(r"^\s*create\s+extension\b[^;]*;", re.IGNORECASE | re.MULTILINE)
CONTEXT_KEY = "clerk_org_id"
API = ("anon", "authenticated")


@dataclass
class Server:
    directory: Path
    admin: Any

    def connect(self, database: str) -> Any:
        import pg8000.native

        socket = os.path.join(self.directory, ".s.PGSQL.5432")
        return pg8000.native.Connection("postgres", unix_sock=socket, database=database)


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    reason = f"pgserver cannot run PostgreSQL here ({PLATFORM})"
    pgserver = pytest.importorskip("pgserver", reason=f"pgserver is not installed: {reason}")
    pytest.importorskip("pg8000.native", reason="pg8000 is not installed")
    # Not under pytest's private temporary directory: run as root, pgserver runs the
    # server as an unprivileged user, which must be able to reach its data directory.
    directory = Path(tempfile.mkdtemp(prefix="orgscope-pg-"))
    directory.chmod(0o755)
    try:
        handle = pgserver.get_server(directory, cleanup_mode="stop")
    except Exception as exc:  # the wheel's binaries do not run on this platform
        pytest.skip(f"{reason}: {exc}")
    running = Server(directory, None)
    try:
        running.admin = running.connect("postgres")
        # A throwaway server: durability only costs time (each CREATE DATABASE syncs).
        for setting in ("fsync", "synchronous_commit", "full_page_writes"):
            running.admin.run(f"alter system set {setting} = off")
        running.admin.run("select pg_reload_conf()")
        running.admin.execute_simple(ROLES)
        running.admin.run("create database rls_template")
        template = running.connect("rls_template")
        template.execute_simple(AUTH_STUB)
        template.close()
        yield running
    finally:
        if running.admin is not None:
            running.admin.close()
        handle.cleanup()
        shutil.rmtree(directory, ignore_errors=True)


def _apply(server: Server, name: str, history: Path) -> Any:
    database = "h_" + re.sub(r"\W", "_", name).lower()
    server.admin.run(f"drop database if exists {database}")
    server.admin.run(f"create database {database} template rls_template")
    connection = server.connect(database)
    for migration in sorted(history.glob("*.sql")):
        sql = _EXTENSION.sub("", migration.read_text(encoding="utf-8"))
        try:
            connection.execute_simple(sql)
        except Exception as exc:
            connection.close()
            pytest.fail(f"{migration} is not valid PostgreSQL: {exc}")
    return connection


def _replay(history: Path) -> RlsModel:
    schema = load_schema(history, ["*.sql"])
    assert schema.rls is not None
    return schema.rls


# --- the catalog -----------------------------------------------------------------------

TABLES = """
select lower(c.relname), c.relrowsecurity, c.relforcerowsecurity
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where n.nspname = 'public' and c.relkind in ('r', 'p')
"""
POLICIES = """
select lower(tablename), policyname, permissive = 'PERMISSIVE', cmd,
       array_to_string(roles, ','), qual, with_check
from pg_policies where schemaname = 'public'
"""
NOT_NULL = """
select lower(c.relname), a.attname
from pg_attribute a join pg_class c on c.oid = a.attrelid
join pg_namespace n on n.oid = c.relnamespace
where n.nspname = 'public' and c.relkind in ('r', 'p') and a.attnum > 0
  and not a.attisdropped and a.attnotnull
"""
GRANTS = """
select lower(c.relname), r.rolname, a.privilege_type
from pg_class c join pg_namespace n on n.oid = c.relnamespace,
     aclexplode(c.relacl) a join pg_roles r on r.oid = a.grantee
where n.nspname = 'public' and c.relkind in ('r', 'p', 'v', 'm')
  and r.rolname in ('anon', 'authenticated')
"""
# What the API roles may do to each column: table-level privileges, column-level ones
# and PUBLIC's, as PostgreSQL itself decides.
COLUMN_PRIVILEGES = """
select lower(c.relname), a.attname, r.role, p.privilege,
       has_column_privilege(r.role, c.oid, a.attnum, p.privilege)
from pg_class c join pg_namespace n on n.oid = c.relnamespace
join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped,
     (values ('anon'), ('authenticated')) r(role),
     (values ('SELECT'), ('INSERT'), ('UPDATE')) p(privilege)
where n.nspname = 'public' and c.relkind in ('r', 'p')
"""
VIEWS = """
select lower(c.relname), c.relkind = 'm',
       coalesce(c.reloptions::text[] && array['security_invoker=true', 'security_invoker=on',
                                             'security_invoker=1', 'security_invoker=yes'], false)
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where n.nspname = 'public' and c.relkind in ('v', 'm')
"""
FUNCTIONS = """
select lower(p.proname), p.prosecdef,
       has_function_privilege('anon', p.oid, 'EXECUTE'),
       has_function_privilege('authenticated', p.oid, 'EXECUTE')
from pg_proc p join pg_namespace n on n.oid = p.pronamespace
where n.nspname = 'public' and p.prokind in ('f', 'p')
"""


def _disagreements(model: RlsModel, connection: Any) -> tuple[list[str], int]:
    """What the catalog says and the replay does not, and how many facts were compared."""
    problems: list[str] = []
    compared = 0

    def same(what: str, replayed: object, catalog: object) -> None:
        nonlocal compared
        compared += 1
        if replayed != catalog:
            problems.append(f"{what}: replay {replayed!r}, catalog {catalog!r}")

    rows = connection.run(TABLES)
    same("tables", sorted(model.tables), sorted(r[0] for r in rows))
    for name, enabled, forced in rows:
        table = model.tables.get(name)
        if table is None or table.enabled is None:
            continue  # reported as unknown: never guessed
        same(f"{name} RLS enabled", table.enabled, enabled)
        same(f"{name} RLS forced", table.forced, forced)

    context = Context(
        CONTEXT_KEY, frozenset({"client_id"}), frozenset({"user_id"}), caller_settings(model)
    )
    catalog_policies: dict[tuple[str, str], tuple] = {
        (r[0], r[1]): tuple(r[2:]) for r in connection.run(POLICIES)
    }
    replayed_policies = {
        (table.name, p.name): p for table in model.tables.values() for p in table.policies
    }
    same("policies", sorted(replayed_policies), sorted(catalog_policies))
    for key, (permissive, command, roles, qual, check) in catalog_policies.items():
        policy = replayed_policies.get(key)
        if policy is None:
            continue
        same(f"{key} permissive", policy.permissive, permissive)
        same(f"{key} command", policy.command, command)
        same(f"{key} roles", sorted(policy.roles), sorted(roles.split(",")))
        for part, replayed, deparsed in (
            ("using", policy.using, qual),
            ("check", policy.check, check),
        ):
            same(f"{key} has {part}", replayed is not None, deparsed is not None)
            if replayed is not None and deparsed is not None:
                # The same expression, as written and as PostgreSQL prints it back.
                same(f"{key} {part} scope", judge(replayed, context), judge(deparsed, context))

    catalog_not_null: dict[str, set[str]] = {}
    for table, column in connection.run(NOT_NULL):
        catalog_not_null.setdefault(table, set()).add(column)
    for name, table in model.tables.items():
        if table.columns_known and name in {r[0] for r in rows}:
            same(
                f"{name} NOT NULL columns",
                sorted(table.not_null),
                sorted(catalog_not_null.get(name, ())),
            )

    catalog_grants: dict[tuple[str, str], set[str]] = {}
    for relation, role, privilege in connection.run(GRANTS):
        if privilege in TABLE_PRIVILEGES:
            catalog_grants.setdefault((relation, role), set()).add(privilege)
    relations = {**model.tables, **model.views}
    for name, relation in relations.items():
        for role in API:
            same(
                f"{name} privileges of {role}",
                sorted(relation.grants.get(role, ())),
                sorted(catalog_grants.get((name, role), ())),
            )

    for table_name, column, role, privilege, held in connection.run(COLUMN_PRIVILEGES):
        table = model.tables.get(table_name)
        if table is not None and column in table.columns:
            holders = table.roles_holding(privilege, column, (role, "public"))
            same(f"{table_name}.{column} {privilege} of {role}", bool(holders), held)

    views = {r[0]: (r[1], r[2]) for r in connection.run(VIEWS)}
    same("views", sorted(model.views), sorted(views))
    for name, (materialized, invoker) in views.items():
        if name in model.views:
            view = model.views[name]
            same(
                f"view {name}", (view.materialized, view.security_invoker), (materialized, invoker)
            )

    functions = {r[0]: tuple(r[1:]) for r in connection.run(FUNCTIONS)}
    same("functions", sorted(model.functions), sorted(functions))
    for name, (definer, anon, authenticated) in functions.items():
        if name in model.functions:
            function = model.functions[name]
            callers = function.executable_by
            same(
                f"function {name}",
                (
                    function.security_definer,
                    bool(callers & {"anon", "public"}),
                    bool(callers & {"authenticated", "public"}),
                ),
                (definer, anon, authenticated),
            )
    return problems, compared


@pytest.mark.parametrize(
    "history", HISTORIES, ids=lambda p: p.name if p.parent == CORPUS else p.parent.name
)
def test_replay_agrees_with_postgresql(server: Server, history: Path) -> None:
    model = _replay(history)
    assert model.problems == (), f"the replay could not read: {model.problems}"
    name = history.name if history.parent == CORPUS else f"fixture_{history.parent.name}"
    connection = _apply(server, name, history)
    try:
        problems, compared = _disagreements(model, connection)
    finally:
        connection.close()
    assert compared > 0
    assert not problems, f"{history}:\n" + "\n".join(problems)


def test_the_corpus_is_large_enough() -> None:
    assert len([p for p in HISTORIES if p.parent == CORPUS]) >= 40
