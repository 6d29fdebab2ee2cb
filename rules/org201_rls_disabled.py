from __future__ import annotations

from collections.abc import Iterator

from orgscope_lint.findings import Finding, Severity
from orgscope_lint.project import Project
from orgscope_lint.rls.model import RlsModel
from orgscope_lint.rules._schema import SchemaRule, api_roles, sql_example


class RlsDisabled(SchemaRule):
    code = "ORG201"
    name = "rls-disabled"
    severity = Severity.ERROR
    summary = "Tenant table reachable by the API roles with row-level security off"
    doc = """
    ## What it does
    Replays the SQL migrations and reports a tenant table whose row-level security is off
    at the end of the history (never enabled, or disabled by a later migration) while the
    API roles (`anon`, `authenticated`, `PUBLIC`) still hold privileges on it. It reports
    on the statement that switched RLS off, or on the table's `CREATE TABLE` when nothing
    ever switched it on. It speaks only when the migrations use row-level security or
    the Supabase API roles somewhere (a policy, an RLS switch, a grant to `anon` or
    `authenticated`): a plain PostgreSQL schema exposes no table to a Data API.

    ## Why is this bad?
    Supabase exposes every table of the `public` schema through its Data API, and grants
    it to `anon` and `authenticated` by default. Without RLS, anyone holding the public
    anon key reads and writes every tenant's rows: no application bug is needed.

    ## Example
    ```sql
    create table calls (id uuid primary key, clerk_org_id text not null);
    ```

    ## Use instead
    ```sql
    create table calls (id uuid primary key, clerk_org_id text not null);
    alter table calls enable row level security;
    create policy "org members" on calls to authenticated
        using (clerk_org_id = auth.jwt() ->> 'org_id');
    ```
    or revoke the API roles' privileges (`revoke all on calls from anon, authenticated`)
    when only the service role reads the table.

    ## Options
    `tenant-key`, `table-keys`, `global-tables` (never reported), `schema`.
    """
    valid = (
        sql_example(
            "create table calls (id int, clerk_org_id text);\n"
            "alter table calls enable row level security;\n"
        ),
        # Only the service role can reach it.
        sql_example(
            "create table calls (id int, clerk_org_id text);\n"
            "revoke all on calls from anon, authenticated;\n"
        ),
        # Not a tenant table.
        sql_example(
            "create table plans (id int, name text);\n"
            "alter table plans enable row level security;\n"
        ),
        # No sign of RLS or of the API roles anywhere: not a Supabase schema.
        sql_example("create table calls (id int, clerk_org_id text);\n"),
        sql_example("create table plans (id int, clerk_org_id text);\n", global_tables=["plans"]),
        # Enabled in a loop over a literal list of tables.
        sql_example(
            "create table calls (id int, clerk_org_id text);\n"
            "do $$ declare t text; begin\n"
            "  foreach t in array array['calls'] loop\n"
            "    execute format('alter table %I enable row level security', t);\n"
            "  end loop;\n"
            "end $$;\n"
        ),
        # A loop over the catalog: unknown, never guessed.
        sql_example(
            "create table calls (id int, clerk_org_id text);\n"
            "do $$ declare r record; begin\n"
            "  for r in select tablename from pg_tables where schemaname = 'public' loop\n"
            "    execute format('alter table %I enable row level security', r.tablename);\n"
            "  end loop;\n"
            "end $$;\n"
        ),
    )
    invalid = (
        sql_example(
            "create table calls (id int, clerk_org_id text);  -- expect: ORG201\n"
            "create table contacts (id int, clerk_org_id text);\n"
            "alter table contacts enable row level security;\n"
        ),
        sql_example(
            "create table calls (id int, clerk_org_id text);\n"
            "alter table calls enable row level security;\n"
            "alter table calls disable row level security;  -- expect: ORG201\n"
        ),
        # Revoked, then granted again.
        sql_example(
            "create table calls (id int, clerk_org_id text);  -- expect: ORG201\n"
            "revoke all on calls from anon, authenticated;\n"
            "grant select on all tables in schema public to authenticated;\n"
        ),
    )

    def check_model(self, model: RlsModel, project: Project) -> Iterator[Finding]:
        if not model.uses_rls:
            return
        for name, table in model.tables.items():
            if table.enabled is not False or project.key_for(name) is None:
                continue
            roles = api_roles(table.grants)
            location = table.switched or table.created
            if not roles or location is None:
                continue
            how = "disabled here" if table.switched else "never enabled"
            yield self.sql_finding(
                project,
                location,
                f"tenant table `{name}` has row-level security off at the end of the "
                f"migrations ({how}) and {', '.join(f'`{r}`' for r in roles)} can reach it: "
                "anyone with the anon key reads every tenant's rows",
                table=name,
            )
