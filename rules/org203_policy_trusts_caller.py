from __future__ import annotations

from collections.abc import Iterator

from orgscope_lint.findings import Finding, Severity
from orgscope_lint.project import Project
from orgscope_lint.rls.model import Policy, RlsModel
from orgscope_lint.rls.policies import Context, Scope, expression_sources
from orgscope_lint.rls.writable import Writer
from orgscope_lint.rules._schema import (
    SchemaRule,
    caller_written,
    policy_text,
    sql_example,
    weak_policies,
)

_PROFILES = (
    "create table profiles (user_id uuid primary key, clerk_org_id text not null,"
    " full_name text);\n"
    "alter table profiles enable row level security;\n"
)
_FROM_PROFILE = (
    "create table calls (id int, clerk_org_id text);\n"
    "alter table calls enable row level security;\n"
    "create policy p on calls\n"
    "  using (clerk_org_id = (select clerk_org_id from profiles where user_id = auth.uid()));\n"
)
_FROM_MEMBERS = (
    "create table calls (id int, clerk_org_id text);\n"
    "alter table calls enable row level security;\n"
    "create policy p on calls\n"
    "  using (exists (select 1 from members m\n"
    "  where m.clerk_org_id = calls.clerk_org_id and m.user_id = auth.uid()));\n"
)


class PolicyTrustsCaller(SchemaRule):
    code = "ORG203"
    name = "policy-trusts-caller"
    severity = Severity.ERROR
    summary = "A policy that takes the tenant from a value the caller controls"
    doc = """
    ## What it does
    Reports a row-level-security policy on a tenant table that compares the tenant key
    with a value the caller chooses: Supabase's `user_metadata` (in `auth.jwt()`) or
    `raw_user_meta_data`, which any signed-in user may update; request headers
    (`current_setting('request.headers')`); a session setting that a function the
    API roles may call sets with `set_config` (PostgreSQL grants EXECUTE to PUBLIC, and
    Supabase to `anon` and `authenticated`, unless a migration revokes it); or a column
    of another table the caller can write: `clerk_org_id = (select clerk_org_id from
    profiles where user_id = auth.uid())`, or `exists (select 1 from members m where
    m.clerk_org_id = calls.clerk_org_id and ...)`, while `profiles` (`members`) lets the
    API roles update or insert rows without pinning that column.

    A column counts as writable when `anon`, `authenticated` or PUBLIC hold UPDATE or
    INSERT on it (Supabase grants every privilege on new tables in `public` until a
    migration revokes it; a column-level `GRANT UPDATE (name)` after a table-level
    `REVOKE UPDATE` leaves the other columns out) and either row-level security is off
    on its table, or a permissive policy for those roles covers the command and its
    `WITH CHECK` (its `USING` when it has none) does not tie the column to the caller's
    identity, with no restrictive policy doing so. The message names the column and the
    policy (or the RLS switch) that lets the caller write it.

    ## Why is this bad?
    The policy scopes rows by a tenant id the attacker writes: they set it to another
    organization's id and read its rows. A policy that passes when such a setting is
    unset is reported as ORG202.

    ## Example
    ```sql
    create policy "org" on calls
        using (clerk_org_id = auth.jwt() -> 'user_metadata' ->> 'org_id');
    ```

    ## Use instead
    ```sql
    create policy "org" on calls using (clerk_org_id = auth.jwt() ->> 'org_id');
    ```
    Take the organization from a claim the identity provider signs (`org_id`,
    `app_metadata`), or from a membership table the user cannot write: no write policy
    for the API roles, a `WITH CHECK` that pins the column (`with check (clerk_org_id =
    (select clerk_org_id from profiles where user_id = auth.uid()))`), or
    `revoke update on profiles from anon, authenticated; grant update (full_name) on
    profiles to authenticated;`. A column-level `revoke update (clerk_org_id)` alone
    does nothing while the table-level UPDATE is held: PostgreSQL checks either.

    A subquery that selects a primary key or a unique column (`project_id in (select id
    from projects where clerk_org_id = ...)`) trusts nothing the caller can forge: a
    new row may take any unused id, never one another row holds.

    ## Known limits
    Where the migrations cannot tell (RLS on the source table unknown after dynamic
    SQL, a table no migration created, a write policy whose check it cannot read), the
    column is taken as not writable and nothing is reported. A tenant id read through a
    function (`clerk_org_id = my_org()`) is not followed into the function's body, and
    triggers that stop a column from changing are not read.
    """
    valid = (
        # The parent's id is its primary key: a caller's row never takes another's id.
        sql_example(
            "create table projects (id uuid primary key, clerk_org_id text not null);\n"
            "alter table projects enable row level security;\n"
            "create policy mine on projects for all to authenticated\n"
            "  using (clerk_org_id = auth.jwt() ->> 'org_id');\n"
            "create table notes (id uuid, project_id uuid, clerk_org_id text);\n"
            "alter table notes enable row level security;\n"
            "create policy p on notes using (project_id in\n"
            "  (select id from projects where clerk_org_id = auth.jwt() ->> 'org_id'));\n"
        ),
        # The caller may only read their profile.
        sql_example(
            _PROFILES
            + "create policy own on profiles for select using (user_id = auth.uid());\n"
            + _FROM_PROFILE
        ),
        # They may update it, but the check keeps the tenant as it was.
        sql_example(
            _PROFILES + "create policy own on profiles for update using (user_id = auth.uid())\n"
            "  with check (clerk_org_id = (select clerk_org_id from profiles where user_id = auth.uid()));\n"
            + _FROM_PROFILE
        ),
        # They may update only their name.
        sql_example(
            _PROFILES + "create policy own on profiles for update using (user_id = auth.uid());\n"
            "revoke update on profiles from anon, authenticated;\n"
            "grant update (full_name) on profiles to authenticated;\n" + _FROM_PROFILE
        ),
        # Row-level security off, but the API roles hold no privilege on the table.
        sql_example(
            "create table members (user_id uuid not null, clerk_org_id text not null);\n"
            "revoke all on members from anon, authenticated;\n" + _FROM_MEMBERS
        ),
        sql_example(
            "create table calls (id int, clerk_org_id text);\n"
            "alter table calls enable row level security;\n"
            "create policy p on calls using (clerk_org_id = auth.jwt() -> 'app_metadata' ->> 'org_id');\n"
        ),
        # A setting nothing the caller may run sets.
        sql_example(
            "create table calls (id int, clerk_org_id text);\n"
            "alter table calls enable row level security;\n"
            "create function set_org(org text) returns void language sql security definer\n"
            "  as $$ select set_config('app.org', org, false) $$;\n"
            "revoke execute on function set_org(text) from public, anon, authenticated;\n"
            "create policy p on calls using (clerk_org_id = current_setting('app.org', true));\n"
        ),
    )
    invalid = (
        # The same parent without a key on `id`: a caller's row may repeat another's id.
        sql_example(
            "create table projects (id uuid, clerk_org_id text not null);\n"
            "alter table projects enable row level security;\n"
            "create policy mine on projects for all to authenticated\n"
            "  using (clerk_org_id = auth.jwt() ->> 'org_id');\n"
            "create table notes (id uuid, project_id uuid, clerk_org_id text);\n"
            "alter table notes enable row level security;\n"
            "create policy p on notes using (project_id in  -- expect: ORG203\n"
            "  (select id from projects where clerk_org_id = auth.jwt() ->> 'org_id'));\n"
        ),
        # Any user sets their own profile's tenant to another one's.
        sql_example(
            _PROFILES
            + "create policy own on profiles for update using (user_id = auth.uid());\n"
            + _FROM_PROFILE.replace("p on calls", "p on calls  -- expect: ORG203")
        ),
        # The column REVOKE is void: the table-level UPDATE is still held.
        sql_example(
            _PROFILES + "create policy own on profiles for update using (user_id = auth.uid());\n"
            "revoke update (clerk_org_id) on profiles from anon, authenticated;\n"
            + _FROM_PROFILE.replace("p on calls", "p on calls  -- expect: ORG203")
        ),
        # Anyone may insert a membership of any organization for themselves.
        sql_example(
            "create table members (user_id uuid not null, clerk_org_id text not null);\n"
            "alter table members enable row level security;\n"
            "create policy join on members for insert to authenticated\n"
            "  with check (user_id = auth.uid());\n"
            + _FROM_MEMBERS.replace("p on calls", "p on calls  -- expect: ORG203")
        ),
        # Row-level security off on the membership table, which the API roles may write.
        sql_example(
            "create table members (user_id uuid not null, clerk_org_id text not null);\n"
            + _FROM_MEMBERS.replace("p on calls", "p on calls  -- expect: ORG203")
        ),
        sql_example(
            "create table calls (id int, clerk_org_id text);\n"
            "alter table calls enable row level security;\n"
            "create policy p on calls  -- expect: ORG203\n"
            "  using (clerk_org_id = auth.jwt() -> 'user_metadata' ->> 'org_id');\n"
        ),
        sql_example(
            "create table calls (id int, clerk_org_id text);\n"
            "alter table calls enable row level security;\n"
            "create policy p on calls using (clerk_org_id = "
            "current_setting('request.headers', true)::json ->> 'x-org-id');  -- expect: ORG203\n"
        ),
        # Any caller can set it: the function is executable by PUBLIC.
        sql_example(
            "create table calls (id int, clerk_org_id text);\n"
            "alter table calls enable row level security;\n"
            "create function set_org(org text) returns void language sql security definer\n"
            "  as $$ select set_config('app.org', org, false) $$;\n"
            "create policy p on calls using (clerk_org_id = current_setting('app.org', true));  -- expect: ORG203\n"
        ),
    )

    def check_model(self, model: RlsModel, project: Project) -> Iterator[Finding]:
        for table, policy, context in weak_policies(model, project, Scope.CALLER):
            writer = _writer(policy, context, model)
            if writer is None:
                message = (
                    f"{policy_text(policy)} compares `{context.key}` with a value the "
                    "caller controls: anyone can name another tenant's id"
                )
            else:
                message = (
                    f"{policy_text(policy)} takes `{context.key}` from "
                    f"`{writer.table}.{writer.column}`, which the caller can write "
                    f"({writer.describe()}): anyone can set it to another tenant's id"
                )
            yield self.sql_finding(project, policy.location, message, table=table.name)


def _writer(policy: Policy, context: Context, model: RlsModel) -> Writer | None:
    """The caller-writable column the policy takes its tenant id from, if that is how
    it trusts the caller (and not through `user_metadata` or a header)."""
    return caller_written(policy, model, lambda text: sorted(expression_sources(text, context.key)))
