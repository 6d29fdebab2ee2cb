from __future__ import annotations

from collections.abc import Iterator

from orgscope_lint.findings import Finding, Severity
from orgscope_lint.project import Project
from orgscope_lint.rls.model import RlsModel, View
from orgscope_lint.rls.policies import Context, Scope, judge
from orgscope_lint.rules._schema import SchemaRule, api_roles, context_for, sql_example


class RlsBypassObject(SchemaRule):
    code = "ORG205"
    name = "rls-bypass-object"
    severity = Severity.ERROR
    summary = "A view or SECURITY DEFINER function over a tenant table that bypasses RLS"
    doc = """
    ## What it does
    Reports a view without `security_invoker` (or a materialized view) that reads a
    tenant table and does not filter it by the tenant key, and a `SECURITY DEFINER`
    function the API roles may call whose body touches a tenant table without ever
    naming the tenant key. A trigger function (`RETURNS trigger`) is not one: PostgreSQL
    runs it only as a trigger, never on a call through `/rpc`.

    ## Why is this bad?
    A view runs with its owner's rights unless it is `security_invoker`, and a
    `SECURITY DEFINER` function with its definer's: the table's row-level security does
    not apply to either. Exposed through the Data API (views are granted like tables;
    functions are executable by PUBLIC until revoked), they hand every tenant's rows to
    any caller. Only reported when the migrations use row-level security somewhere.

    ## Example
    ```sql
    create view call_stats as select clerk_org_id, count(*) from calls group by 1;
    ```

    ## Use instead
    ```sql
    create view call_stats with (security_invoker = true) as
        select clerk_org_id, count(*) from calls group by 1;
    ```
    or filter by the caller's organization inside, or revoke the API roles' access.
    """
    valid = (
        sql_example(
            "create table calls (id int, clerk_org_id text);\n"
            "alter table calls enable row level security;\n"
            "create view v with (security_invoker = true) as select * from calls;\n"
        ),
        sql_example(
            "create table calls (id int, clerk_org_id text);\n"
            "alter table calls enable row level security;\n"
            "create view v as select * from calls where clerk_org_id = auth.jwt() ->> 'org_id';\n"
        ),
        sql_example(
            "create table calls (id int, clerk_org_id text);\n"
            "alter table calls enable row level security;\n"
            "create view v as select * from calls;\n"
            "alter view v set (security_invoker = on);\n"
        ),
        sql_example(
            "create table calls (id int, clerk_org_id text);\n"
            "alter table calls enable row level security;\n"
            "create view v as select * from calls;\n"
            "revoke all on v from anon, authenticated;\n"
        ),
        sql_example(
            "create table calls (id int, clerk_org_id text);\n"
            "alter table calls enable row level security;\n"
            "create function n() returns bigint language sql security definer\n"
            "  as $$ select count(*) from calls where clerk_org_id = auth.jwt() ->> 'org_id' $$;\n"
        ),
        sql_example(
            "create table calls (id int, clerk_org_id text);\n"
            "alter table calls enable row level security;\n"
            "create function n() returns bigint language sql security definer\n"
            "  as $$ select count(*) from calls $$;\n"
            "revoke execute on function n() from public, anon, authenticated;\n"
        ),
        sql_example(
            "create table calls (id int, clerk_org_id text);\n"
            "alter table calls enable row level security;\n"
            "create function n() returns bigint language sql\n"
            "  as $$ select count(*) from calls $$;\n"
        ),
        # A trigger function: PostgreSQL refuses to call it directly, so no /rpc reaches it.
        sql_example(
            "create table calls (id int, clerk_org_id text);\n"
            "alter table calls enable row level security;\n"
            "create function stamp() returns trigger language plpgsql security definer\n"
            "  as $$ begin update calls set id = id; return new; end $$;\n"
        ),
    )
    invalid = (
        sql_example(
            "create table calls (id int, clerk_org_id text);\n"
            "alter table calls enable row level security;\n"
            "create view v as select * from calls;  -- expect: ORG205\n"
        ),
        sql_example(
            "create table calls (id int, clerk_org_id text);\n"
            "alter table calls enable row level security;\n"
            "create materialized view v as select clerk_org_id, count(*) from calls group by 1;  -- expect: ORG205\n"
        ),
        sql_example(
            "create table calls (id int, clerk_org_id text);\n"
            "alter table calls enable row level security;\n"
            "create function n() returns bigint language sql security definer  -- expect: ORG205\n"
            "  as $$ select count(*) from calls $$;\n"
        ),
        # Executable by PUBLIC was revoked, but Supabase's grant to anon stays.
        sql_example(
            "create table calls (id int, clerk_org_id text);\n"
            "alter table calls enable row level security;\n"
            "create function n() returns bigint language sql security definer  -- expect: ORG205\n"
            "  as $$ select count(*) from calls $$;\n"
            "revoke execute on function n() from public;\n"
        ),
    )

    def check_model(self, model: RlsModel, project: Project) -> Iterator[Finding]:
        if not model.uses_rls:
            return  # nothing to bypass
        for view in model.views.values():
            if (view.security_invoker and not view.materialized) or not api_roles(view.grants):
                continue
            exposed = [
                table
                for table in view.tables
                if (context := context_for(table, model, project)) is not None
                and not _filters(view, context)
            ]
            if exposed:
                kind = "materialized view" if view.materialized else "view"
                yield self.sql_finding(
                    project,
                    view.location,
                    f"{kind} `{view.name}` reads tenant table `{exposed[0]}` with its owner's "
                    "rights and no tenant filter: row-level security does not apply to it",
                    table=exposed[0],
                )
        for function in model.functions.values():
            if not function.security_definer or not function.callable_by_api():
                continue
            for table in function.tables:
                key = project.key_for(table)
                if key is None or _names(function.body, key):
                    continue
                yield self.sql_finding(
                    project,
                    function.location,
                    f"SECURITY DEFINER function `{function.name}` touches tenant table "
                    f"`{table}` without `{key}` and the API roles may call it: row-level "
                    "security does not apply to it",
                    table=table,
                )
                break


def _filters(view: View, context: Context) -> bool:
    """Whether a WHERE or JOIN condition of the view scopes rows by the key."""
    import sqlglot
    from sqlglot import exp

    try:
        tree = sqlglot.parse_one(view.query, read="postgres")
    except Exception:
        return _names(view.query, context.key)  # cannot tell: do not accuse
    conditions = [w.this for w in tree.find_all(exp.Where)]
    conditions += [j.args["on"] for j in tree.find_all(exp.Join) if j.args.get("on")]
    return any(judge(c.sql(dialect="postgres"), context) is Scope.SCOPED for c in conditions)


def _names(text: str, key: str) -> bool:
    import re

    return re.search(rf"(?<![\w$]){re.escape(key)}(?![\w$])", text, re.IGNORECASE) is not None
