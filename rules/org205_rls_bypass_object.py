from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

from orgscope_lint.findings import Finding, Severity
from orgscope_lint.project import Project
from orgscope_lint.rls.model import Function, RlsModel, View
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
    naming the tenant key, or names it only as an argument the caller passes (`p_org_id`)
    without ever asking who calls (`auth.uid()`, `auth.jwt()`, or a function of the
    migrations that reads them). A trigger function (`RETURNS trigger`) is not one: PostgreSQL
    runs it only as a trigger, never on a call through `/rpc`. Nor is a function that
    only reads and answers a boolean or one label of an enum (`is_org_admin(uid)
    returns boolean`: a yes or no, never a row), or a `LANGUAGE sql` one whose every
    read admits only the caller's own rows (`where auth_user_id = auth.uid()`).

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
        # Told the tenant, but it asks who calls before it acts there.
        sql_example(
            "create table calls (id int, clerk_org_id text);\n"
            "create table members (clerk_org_id text, user_id uuid);\n"
            "alter table calls enable row level security;\n"
            "create function add_call(p_org text) returns void language plpgsql security definer\n"
            "  as $$ begin\n"
            "    if not exists (select 1 from members where clerk_org_id = p_org and user_id = auth.uid())\n"
            "    then raise exception 'not a member'; end if;\n"
            "    insert into calls (clerk_org_id) values (p_org);\n"
            "  end $$;\n"
        ),
        # A yes or no, or one label of an enum: no row of any tenant comes back.
        sql_example(
            "create table users (id uuid primary key, auth_user_id uuid unique, clerk_org_id text, role text);\n"
            "alter table users enable row level security;\n"
            "create function is_super_admin(uid uuid) returns boolean language plpgsql security definer\n"
            "  as $$ begin return exists (select 1 from users where auth_user_id = uid and role = 'super'); end $$;\n"
        ),
        sql_example(
            "create type user_role as enum ('admin', 'member');\n"
            "create table users (id uuid primary key, auth_user_id uuid unique, clerk_org_id text, role user_role);\n"
            "alter table users enable row level security;\n"
            "create function role_of(uid uuid) returns public.user_role language sql security definer\n"
            "  as $$ select role from users where auth_user_id = uid $$;\n"
        ),
        # Only the caller's own row.
        sql_example(
            "create table users (id uuid primary key, auth_user_id uuid unique, clerk_org_id text, role text);\n"
            "alter table users enable row level security;\n"
            "create function my_role() returns text language sql security definer stable\n"
            "  as $$ select role from public.users where auth_user_id = auth.uid() $$;\n"
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
        # Told the tenant, and never asks who calls: any caller writes into any tenant.
        sql_example(
            "create table calls (id int, clerk_org_id text);\n"
            "alter table calls enable row level security;\n"
            "create function add_call(p_clerk_org_id text) returns int  -- expect: ORG205\n"
            "  language sql security definer\n"
            "  as $$ insert into calls (clerk_org_id) values (p_clerk_org_id) returning id $$;\n"
        ),
        # A boolean answer, but the body deletes every tenant's rows first.
        sql_example(
            "create table calls (id int, clerk_org_id text, created_at timestamptz);\n"
            "alter table calls enable row level security;\n"
            "create function purge() returns boolean language plpgsql security definer  -- expect: ORG205\n"
            "  as $$ begin delete from calls where created_at < now(); return true; end $$;\n"
        ),
        # Text, not a label: the email of any user whose id the caller passes.
        sql_example(
            "create table users (id uuid primary key, auth_user_id uuid unique, clerk_org_id text, email text);\n"
            "alter table users enable row level security;\n"
            "create function email_of(uid uuid) returns text language sql security definer  -- expect: ORG205\n"
            "  as $$ select email from users where auth_user_id = uid $$;\n"
        ),
        # The caller's own row first, then every tenant's.
        sql_example(
            "create table users (id uuid primary key, auth_user_id uuid unique, clerk_org_id text, email text);\n"
            "alter table users enable row level security;\n"
            "create function emails() returns setof text language sql security definer  -- expect: ORG205\n"
            "  as $$ select email from users where auth_user_id = auth.uid()\n"
            "        union all select email from users $$;\n"
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
        asking = _asking_functions(model)
        for function in model.functions.values():
            if not function.security_definer or not function.callable_by_api():
                continue
            if _answers_a_label(function, model):
                continue  # `is_org_admin(uid) returns boolean`: a yes or no, never a row
            for table in function.tables:
                key = project.key_for(table)
                if key is None:
                    continue
                if _names(function.body, key):
                    told = _told_the_tenant(function, key, asking)
                    if told is not None:
                        yield self.sql_finding(
                            project,
                            function.location,
                            f"SECURITY DEFINER function `{function.name}` takes the tenant of "
                            f"tenant table `{table}` from its argument `{told}` and never asks "
                            "who calls, and the API roles may call it: any caller names "
                            "another tenant",
                            table=table,
                        )
                        break
                    continue
                context = context_for(table, model, project)
                if context is not None and _reads_callers_own(function, table, context):
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


# A statement that changes rows or runs SQL the body builds or calls: no mere answer.
_WRITES = re.compile(
    r"\b(?:INSERT\s+INTO|UPDATE\s+[\w.\"]+\s+(?:AS\s+\w+\s+)?SET|DELETE\s+FROM|TRUNCATE|"
    r"MERGE\s+INTO|EXECUTE|PERFORM|COPY)\b",
    re.IGNORECASE,
)


def _answers_a_label(function: Function, model: RlsModel) -> bool:
    """A function that only reads and returns a boolean or one label of an enum hands
    the caller a yes or no (`is_super_admin(uid)`) or a role, never a tenant's rows."""
    bounded = function.returns in ("boolean", "bool") or function.returns in model.enums
    return bounded and not _WRITES.search(function.body)


# What tells a function who calls it: the JWT's claims, the session's role, or a
# function of the migrations that reads them (`get_my_org_id()`).
_CALLER = re.compile(
    r"\bauth\s*\.\s*(?:uid|jwt|role|email)\s*\(|request\.jwt|\bcurrent_user\b|\bsession_user\b",
    re.IGNORECASE,
)


# An argument that names a tenant: `p_org_id`, `target_workspace_id`, `tenant`.
_TENANT_ARGUMENT = re.compile(
    r"(?:org|organization|tenant|workspace|team|account|company)(?:_?id)?$", re.IGNORECASE
)


def _told_the_tenant(function: Function, key: str, asking: list[str]) -> str | None:
    """The argument naming a tenant (`p_organization_id`) of a function whose body never
    asks who calls it, itself or through a function of the migrations that does."""
    named = (p for p in function.params if key in p or _TENANT_ARGUMENT.search(p))
    told = next(named, None)
    if told is None or _asks_who_calls(function.body, asking):
        return None
    return told


def _asking_functions(model: RlsModel) -> list[str]:
    """The functions of the migrations that read who calls."""
    return [f.name for f in model.functions.values() if _CALLER.search(f.body)]


def _asks_who_calls(body: str, asking: list[str]) -> bool:
    if _CALLER.search(body):
        return True
    return any(re.search(rf"\b{re.escape(name)}\s*\(", body, re.IGNORECASE) for name in asking)


def _reads_callers_own(function: Function, table: str, context: Context) -> bool:
    """A `LANGUAGE sql` body that only reads `table`, each time in a query whose WHERE
    admits the caller's own rows (`where auth_user_id = auth.uid()`) or the tenant's."""
    import sqlglot
    from sqlglot import exp

    if function.language != "sql":
        return False  # a PL/pgSQL body is no SQL sqlglot reads
    try:
        trees = [t for t in sqlglot.parse(function.body, read="postgres") if t is not None]
    except Exception:
        return False
    own = replace(context, caller_rows=True, reading=True)
    uses = [t for tree in trees for t in tree.find_all(exp.Table) if t.name.lower() == table]
    for use in uses:
        select = use.find_ancestor(exp.Select)
        if select is None or use.find_ancestor(exp.Insert, exp.Update, exp.Delete) is not None:
            return False
        where = select.args.get("where")
        if where is None or judge(where.this.sql(dialect="postgres"), own) is not Scope.SCOPED:
            return False
    return bool(uses)


def _names(text: str, key: str) -> bool:
    return re.search(rf"(?<![\w$]){re.escape(key)}(?![\w$])", text, re.IGNORECASE) is not None
