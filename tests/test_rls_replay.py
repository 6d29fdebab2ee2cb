"""Row-level security replayed from migrations: switches, policies, grants, views,
functions and DO blocks, in migration order."""

from __future__ import annotations

from pathlib import Path

import pytest

from orgscope_lint.rls.model import RlsModel
from orgscope_lint.rls.replay import RlsReplay
from orgscope_lint.schema import load_schema, split_statements_at


def replay(sql: str, source: str = "m.sql") -> RlsModel:
    state = RlsReplay()
    for line, statement in split_statements_at(sql):
        state.observe(statement, source, line)
    return state.result()


def test_statements_carry_the_line_they_start_on() -> None:
    sql = (
        "-- head\n\ncreate table a (id int);\n/* x\n */ alter table a\n  enable row level security;"
    )
    assert [line for line, _ in split_statements_at(sql)] == [3, 5]


def test_enable_disable_force_in_order() -> None:
    model = replay(
        "create table a (id int);\n"
        "alter table a enable row level security, force row level security;\n"
        "alter table public.a disable row level security;\n"
    )
    table = model.tables["a"]
    assert (table.enabled, table.forced) == (False, True)
    assert table.switched is not None and table.switched.line == 3
    assert table.created is not None and table.created.line == 1


def test_policy_clauses_are_read() -> None:
    model = replay(
        "create table a (id int, org text);\n"
        'create policy "Org read" on public.a as restrictive for select to anon, authenticated\n'
        "  using ((org = (auth.jwt() ->> 'org_id'))) with check (true);\n"
    )
    (policy,) = model.tables["a"].policies
    assert policy.name == "Org read"
    assert (policy.command, policy.permissive, policy.roles) == (
        "SELECT",
        False,
        ("anon", "authenticated"),
    )
    assert policy.using == "(org = (auth.jwt() ->> 'org_id'))"
    assert policy.check == "true"
    assert policy.location.line == 2


def test_policy_defaults_alter_rename_and_drop() -> None:
    model = replay(
        "create table a (id int);\n"
        "create policy p on a using (true);\n"
        "alter policy p on a to authenticated using (false);\n"
        "alter policy p on a rename to q;\n"
        "create policy r on a for insert with check (true);\n"
        "drop policy if exists r on a;\n"
    )
    (policy,) = model.tables["a"].policies
    assert (policy.name, policy.command, policy.roles, policy.using) == (
        "q",
        "ALL",
        ("authenticated",),
        "false",
    )


def test_renamed_table_keeps_its_policies_and_renamed_column_rewrites_them() -> None:
    model = replay(
        "create table a (id int, client_id text not null);\n"
        "alter table a enable row level security;\n"
        "create policy p on a using (client_id = auth.jwt() ->> 'client_id');\n"
        "alter table a rename to b;\n"
        "alter table b rename column client_id to clerk_org_id;\n"
    )
    assert "a" not in model.tables
    table = model.tables["b"]
    assert table.enabled is True
    assert table.policies[0].using == "clerk_org_id = auth.jwt() ->> 'client_id'"
    assert "clerk_org_id" in table.not_null
    assert [(w.kind, w.column, w.policies) for w in model.weakenings] == [
        ("rename", "client_id", ("p",))
    ]


def test_drop_column_cascade_drops_the_policies_using_it() -> None:
    model = replay(
        "create table a (id int, org text);\n"
        "create policy p on a using (org = 'x');\n"
        "create policy q on a using (id > 0);\n"
        "alter table a drop column org cascade;\n"
    )
    assert [p.name for p in model.tables["a"].policies] == ["q"]
    assert model.weakenings[0].policies == ("p",)


def test_nullability_follows_create_alter_and_primary_keys() -> None:
    model = replay(
        "create table a (id int, org text not null, b text, primary key (id));\n"
        "alter table a alter column org drop not null, alter column b set not null;\n"
        "alter table a add column c text not null default '';\n"
    )
    assert model.tables["a"].not_null == frozenset({"id", "b", "c"})
    assert [(w.kind, w.column) for w in model.weakenings] == [("nullable", "org")]


def test_grants_default_to_supabase_roles_and_follow_grant_revoke() -> None:
    model = replay(
        "create table a (id int);\n"
        "create table b (id int);\n"
        "revoke all on table a, b from anon;\n"
        "grant select, insert on a to anon;\n"
        "revoke all on all tables in schema public from authenticated;\n"
        "alter default privileges in schema public revoke all on tables from anon;\n"
        "create table c (id int);\n"
        "grant select (id) on c to anon;\n"
    )
    assert model.tables["a"].grants["anon"] == frozenset({"SELECT", "INSERT"})
    assert "anon" not in model.tables["b"].grants
    assert "authenticated" not in model.tables["a"].grants
    assert "anon" not in model.tables["c"].grants  # a column grant is no table grant
    assert model.tables["c"].reachable_by_api()  # authenticated by default


def test_do_block_loop_over_literal_array_is_unrolled() -> None:
    model = replay(
        "create table a (id int, org text);\n"
        "create table b (id int, org text);\n"
        "create table c (id int, org text);\n"
        "do $$\n"
        "declare t text; tables text[] := array['a', 'public.b'];\n"
        "begin\n"
        "  foreach t in array tables loop\n"
        "    execute format('alter table %s enable row level security', t);\n"
        "    execute format('create policy %I on %s using (org = auth.jwt() ->> ''org_id'')',\n"
        "                   t || '_org', t);\n"
        "  end loop;\n"
        "  for t in select unnest(array['c']) loop\n"
        "    execute 'alter table ' || quote_ident(t) || ' force row level security';\n"
        "  end loop;\n"
        "  if not exists (select 1 from pg_policies where policyname = 'x') then\n"
        "    create policy x on c for select using (true);\n"
        "  end if;\n"
        "end $$;\n"
    )
    assert model.tables["a"].enabled and model.tables["b"].enabled
    assert model.tables["c"].enabled is False and model.tables["c"].forced is True
    assert [p.name for p in model.tables["c"].policies] == ["x"]
    assert [p.name for p in model.tables["b"].policies] == ["public.b_org"]
    assert model.tables["a"].policies[0].using == "org = auth.jwt() ->> 'org_id'"
    assert all(t.switched and t.switched.line == 4 for t in (model.tables["a"], model.tables["b"]))
    assert model.unknown == ()


def test_a_dollar_quoted_statement_executed_is_read_as_written() -> None:
    model = replay(
        "create table a (id int, org text);\n"
        "do $$ begin\n"
        "  if exists (select 1 from pg_tables where tablename = 'a') then\n"
        "    execute $p$\n"
        "      create policy own on a for select using (org = auth.jwt() ->> 'org_id');\n"
        "    $p$;\n"
        "  end if;\n"
        "end $$;\n"
    )
    assert [p.name for p in model.tables["a"].policies] == ["own"]
    assert model.unknown == ()


def test_dynamic_sql_it_cannot_evaluate_makes_those_tables_unknown() -> None:
    model = replay(
        "create table a (id int);\n"
        "create table b (id int);\n"
        "do $$ declare t text; begin\n"
        "  foreach t in array array['a'] loop\n"
        "    execute format('create policy %I on %I using (true)', replace(t, 'x', ''), t);\n"
        "  end loop;\n"
        "end $$;\n"
    )
    assert model.tables["a"].enabled is None
    assert model.tables["b"].enabled is False
    assert len(model.unknown) == 1


def test_loop_over_the_catalog_is_unknown_never_guessed() -> None:
    model = replay(
        "create table a (id int);\n"
        "do $$ declare r record; begin\n"
        "  for r in select tablename from pg_tables where schemaname = 'public' loop\n"
        "    execute format('alter table %I enable row level security', r.tablename);\n"
        "  end loop;\n"
        "end $$;\n"
        "create table b (id int);\n"
    )
    assert model.tables["a"].enabled is None
    assert model.tables["b"].enabled is False  # created after the loop: known again
    assert [u.location.line for u in model.unknown] == [2]


def test_views_and_functions() -> None:
    model = replay(
        "create table a (id int, org text);\n"
        "create view v with (security_invoker = true) as select * from a;\n"
        "create or replace view w as select a.id from a join a as x on x.id = a.id;\n"
        "alter view w set (security_invoker = on);\n"
        "create materialized view m as select count(*) from a;\n"
        "create function f(o text) returns void language plpgsql security definer\n"
        "  as $$ begin perform set_config('app.org', o, false); delete from a; end $$;\n"
        "create function g() returns int language sql as 'select 1';\n"
        "revoke execute on function g() from public;\n"
    )
    assert model.views["v"].security_invoker and model.views["w"].security_invoker
    assert model.views["m"].materialized and model.views["m"].tables == ("a",)
    f, g = model.functions["f"], model.functions["g"]
    assert (f.security_definer, f.tables, f.settings_set) == (True, ("a",), ("app.org",))
    assert "public" not in g.executable_by and "anon" in g.executable_by


@pytest.mark.parametrize(
    "statement",
    [
        "create policy p on a for selct using (true)",
        "create policy p on a using (true",
        "alter policy p on a for select",
        "drop policy p",
        "create view v",
        "do $$ begin",
    ],
)
def test_unreadable_rls_statements_are_problems(statement: str) -> None:
    model = replay(f"create table a (id int);\n{statement};\n")
    assert [p.location.line for p in model.problems] == [2]


@pytest.mark.parametrize(
    "sql",
    [
        "create policy",
        "grant",
        "alter table",
        "do",
        "create function f(",
        "$$ $$ $$",
        "create table a (\x00);",
        "alter table a alter column",
        "do $$ declare t text[] := array[1, 2];"
        " begin foreach x in array t loop execute x; end loop; end $$;",
        "do $$ begin execute format('%1$I %2$s', 'a'); end $$",
    ],
)
def test_garbage_never_raises(sql: str) -> None:
    replay(sql)


def test_schema_carries_the_rls_model(tmp_path: Path) -> None:
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "001.sql").write_text(
        "create table a (id int, clerk_org_id text);\nalter table a enable row level security;\n"
    )
    schema = load_schema(tmp_path, ["**/migrations/**/*.sql"])
    assert schema.rls is not None
    assert schema.rls.tables["a"].enabled is True
    assert schema.rls.tables["a"].switched.source == "migrations/001.sql"  # type: ignore[union-attr]


def test_column_privileges_beside_the_table_ones() -> None:
    model = replay(
        "create table p (id uuid, org_id text, name text);\n"
        "revoke update (org_id) on p from authenticated;\n"  # the table-level UPDATE stays
        "create table q (id uuid, org_id text, name text);\n"
        "revoke update on q from anon, authenticated;\n"
        'grant update (name), select (id, "name") on q to authenticated;\n'
        "create table r (id uuid, org_id text);\n"
        "grant insert (org_id) on r to anon;\n"
        "revoke insert on r from anon;\n"  # takes the column privilege with it
    )
    api = ("anon", "authenticated", "public")
    assert model.tables["p"].roles_holding("UPDATE", "org_id", api) == {"anon", "authenticated"}
    q = model.tables["q"]
    assert q.roles_holding("UPDATE", "org_id", api) == set()
    assert q.roles_holding("UPDATE", "name", api) == {"authenticated"}
    assert q.column_grants["authenticated"]["SELECT"] == frozenset({"id", "name"})
    assert model.tables["r"].roles_holding("INSERT", "org_id", ("anon",)) == set()


def test_renamed_columns_are_remembered_until_the_name_is_back() -> None:
    model = replay(
        "create table t (id uuid, client_id text, note text);\n"
        "grant update (note) on t to anon;\n"
        "alter table t rename column client_id to org_id;\n"
        "alter table t rename column note to body;\n"
        "alter table t rename column body to note;\n"
        "create table u (id uuid, a text);\n"
        "alter table u rename column a to b;\n"
        "alter table u rename column b to c;\n"
    )
    t = model.tables["t"]
    assert {old: new for old, (new, _) in t.renamed.items()} == {
        "client_id": "org_id",
        "body": "note",
    }
    assert t.renamed["client_id"][1].line == 3
    assert t.column_grants["anon"]["UPDATE"] == frozenset({"note"})
    assert {old: new for old, (new, _) in model.tables["u"].renamed.items()} == {"a": "c", "b": "c"}


def test_a_trigger_function_is_callable_by_no_role() -> None:
    model = replay(
        "create function stamp() returns trigger language plpgsql security definer\n"
        "  as $$ begin return new; end $$;\n"
        "create function n() returns bigint language sql security definer as $$ select 1 $$;\n"
    )
    assert not model.functions["stamp"].callable_by_api()
    assert model.functions["n"].callable_by_api()


@pytest.mark.parametrize(
    ("sql", "tables"),
    [
        ("insert into calls (clerk_org_id) values (p_org) returning id", ("calls",)),
        ("update public.calls set name = 'x'", ("calls",)),
        ("select c.id from calls c join agents a on a.id = c.agent_id", ("calls", "agents")),
        # A function in FROM is no table; a name is never cut short to escape that test.
        ("select * from generate_series(1, 3) g join calls on true", ("calls",)),
        ("select * from callsx(1)", ()),
    ],
)
def test_the_relations_a_body_touches(sql: str, tables: tuple[str, ...]) -> None:
    from orgscope_lint.rls.replay import relations

    assert relations(sql) == tables
