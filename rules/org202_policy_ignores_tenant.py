from __future__ import annotations

from collections.abc import Iterator

from orgscope_lint.findings import Finding, Severity
from orgscope_lint.project import Project
from orgscope_lint.rls.model import Policy, RlsModel, Writer
from orgscope_lint.rls.policies import Scope, staff_gates
from orgscope_lint.rules._schema import (
    SchemaRule,
    caller_written,
    policy_text,
    sql_example,
    weak_policies,
)


class PolicyIgnoresTenant(SchemaRule):
    code = "ORG202"
    name = "policy-ignores-tenant"
    severity = Severity.ERROR
    summary = "A policy on a tenant table that does not constrain the tenant key"
    doc = """
    ## What it does
    Reports a permissive row-level-security policy on a tenant table, applying to the
    API roles, whose `USING` or `WITH CHECK` expression lets a row of any tenant through:
    `USING (true)`, only `auth.uid() IS NOT NULL`, a disjunct that ignores the key
    (`... OR true`), a key compared with a constant or with itself, or a comparison that
    passes when its session setting is unset
    (`current_setting('app.org', true) IS NULL OR ...`). A deny-all policy
    (`USING (false)`) lets nothing through; a read policy may admit the rows a flag
    shares with everyone (`is_public OR ...`, `is_system_role = true OR ...`,
    `visibility = 'public' OR ...`), a write policy may not. A policy that lets the
    caller see only their own rows (`auth.uid() = auth_user_id`) or rows linked to
    their own row by a key they cannot rewrite (`exists (select 1 from users u where
    u.auth_user_id = auth.uid() and u.id = chats.participant_id)`) is narrower than the
    tenant; what it lets the caller *write* must still keep the tenant key. A policy that
    admits only the platform's own staff (`exists (select 1 from users where
    auth_user_id = auth.uid() and role = 'super_admin')`, a role named for the platform,
    not `org_admin`) admits no tenant's caller, unless some policy lets the caller set
    that role column: then the message names the column and that policy.

    ## Why is this bad?
    Permissive policies are ORed: one that lets every row through ORs the scoped ones
    away, and every signed-in user of any organization reads every tenant's rows. A
    restrictive policy that scopes the same command by the tenant key keeps the table
    safe, and then nothing is reported.

    ## Example
    ```sql
    create policy "signed in users" on calls for select to authenticated
        using (auth.uid() is not null);
    ```

    ## Use instead
    ```sql
    create policy "org members" on calls for select to authenticated
        using (clerk_org_id = auth.jwt() ->> 'org_id');
    ```
    """
    valid = (
        sql_example(
            "create table calls (id int, clerk_org_id text);\n"
            "alter table calls enable row level security;\n"
            "create policy p on calls to authenticated using (clerk_org_id = auth.jwt() ->> 'org_id');\n"
        ),
        # A membership subquery scopes by the key.
        sql_example(
            "create table calls (id int, clerk_org_id text);\n"
            "alter table calls enable row level security;\n"
            "create policy p on calls using (clerk_org_id in "
            "(select org_id from members where user_id = auth.uid()));\n"
        ),
        # A restrictive policy scopes the command: the permissive one cannot widen it.
        sql_example(
            "create table calls (id int, clerk_org_id text);\n"
            "alter table calls enable row level security;\n"
            "create policy anyone on calls for select using (true);\n"
            "create policy org on calls as restrictive for all "
            "using (clerk_org_id = auth.jwt() ->> 'org_id');\n"
        ),
        # Only the service role: not the API's anonymous or signed-in callers.
        sql_example(
            "create table calls (id int, clerk_org_id text);\n"
            "alter table calls enable row level security;\n"
            "create policy service on calls to service_role using (true);\n"
        ),
        # Not a tenant table.
        sql_example(
            "create table plans (id int);\n"
            "alter table plans enable row level security;\n"
            "create policy p on plans for select using (true);\n"
        ),
        # Denies every row (an immutable log): nothing of any tenant passes.
        sql_example(
            "create table logs (id int, clerk_org_id text);\n"
            "alter table logs enable row level security;\n"
            "create policy logs_read on logs for select using (clerk_org_id = requesting_org_id());\n"
            "create policy no_updates on logs for update using (false);\n"
        ),
        # Rows their flag shares with everyone, for reading (writes stay scoped).
        sql_example(
            "create table roles (id int, clerk_org_id text, is_system_role boolean);\n"
            "alter table roles enable row level security;\n"
            "create policy p on roles for select\n"
            "    using (is_system_role = true or clerk_org_id = requesting_org_id());\n"
        ),
        # Reading only the caller's own rows, or rows linked to the caller's own row by
        # a key the caller cannot rewrite: narrower than the tenant.
        sql_example(
            "create table users (id uuid primary key, auth_user_id uuid, clerk_org_id text);\n"
            "alter table users enable row level security;\n"
            "create policy me on users for select using (auth.uid() = auth_user_id);\n"
        ),
        sql_example(
            "create table users (id uuid primary key, auth_user_id uuid, clerk_org_id text);\n"
            "create table chats (id uuid, p1 uuid, clerk_org_id text);\n"
            "alter table chats enable row level security;\n"
            "create policy mine on chats for select using (exists (select 1 from users u\n"
            "  where u.auth_user_id = auth.uid() and u.id = chats.p1));\n"
        ),
        # Only the platform's own staff pass: a role named for the platform, held on the
        # caller's own row in a column no API policy lets anyone set.
        sql_example(
            "create table users (id uuid primary key, auth_user_id uuid, role text);\n"
            "alter table users enable row level security;\n"
            "create policy me on users for select using (auth.uid() = auth_user_id);\n"
            "create table calls (id int, clerk_org_id text);\n"
            "alter table calls enable row level security;\n"
            "create policy staff on calls for select using (exists (select 1 from users\n"
            "  where auth_user_id = auth.uid() and role = 'super_admin'));\n"
        ),
        # Recreated with a scope.
        sql_example(
            "create table calls (id int, clerk_org_id text);\n"
            "alter table calls enable row level security;\n"
            "create policy p on calls using (true);\n"
            "drop policy p on calls;\n"
            "create policy p on calls using (clerk_org_id = requesting_org_id());\n"
        ),
    )
    invalid = (
        # A role named for a tenant (`org_admin`) is every organization's admin.
        sql_example(
            "create table users (id uuid primary key, auth_user_id uuid, role text);\n"
            "alter table users enable row level security;\n"
            "create policy me on users for select using (auth.uid() = auth_user_id);\n"
            "create table calls (id int, clerk_org_id text);\n"
            "alter table calls enable row level security;\n"
            "create policy admins on calls for select using (exists (select 1 from users  -- expect: ORG202\n"
            "  where auth_user_id = auth.uid() and role = 'org_admin'));\n"
        ),
        # The platform role sits in a column an organization's admins may set: they can
        # make themselves staff.
        sql_example(
            "create table users (id uuid primary key, auth_user_id uuid, role text, clerk_org_id text);\n"
            "alter table users enable row level security;\n"
            "create policy me on users for select using (auth.uid() = auth_user_id);\n"
            "create policy org_admins on users for update\n"
            "  using (my_role() = 'org_admin' and clerk_org_id = my_org_id());\n"
            "create table calls (id int, clerk_org_id text);\n"
            "alter table calls enable row level security;\n"
            "create policy staff on calls for select using (exists (select 1 from users  -- expect: ORG202\n"
            "  where auth_user_id = auth.uid() and role = 'super_admin'));\n"
        ),
        sql_example(
            "create table calls (id int, clerk_org_id text);\n"
            "alter table calls enable row level security;\n"
            "create policy p on calls using (true);  -- expect: ORG202\n"
        ),
        sql_example(
            "create table calls (id int, clerk_org_id text);\n"
            "alter table calls enable row level security;\n"
            "create policy org on calls using (clerk_org_id = auth.jwt() ->> 'org_id');\n"
            "create policy signed_in on calls for select to authenticated  -- expect: ORG202\n"
            "    using (auth.uid() is not null);\n"
        ),
        # Passes whenever the setting is unset.
        sql_example(
            "create table calls (id int, clerk_org_id text);\n"
            "alter table calls enable row level security;\n"
            "create policy p on calls using (  -- expect: ORG202\n"
            "  current_setting('app.org', true) is null\n"
            "  or clerk_org_id = current_setting('app.org', true));\n"
        ),
        # A public flag opens reading, never writing.
        sql_example(
            "create table pages (id int, clerk_org_id text, is_public boolean);\n"
            "alter table pages enable row level security;\n"
            "create policy p on pages for update  -- expect: ORG202\n"
            "    using (is_public or clerk_org_id = requesting_org_id());\n"
        ),
        # The caller's own chat, but the update may move it into any organization.
        sql_example(
            "create table users (id uuid primary key, auth_user_id uuid, clerk_org_id text);\n"
            "create table chats (id uuid, p1 uuid, clerk_org_id text);\n"
            "alter table chats enable row level security;\n"
            "create policy mine on chats for update using (exists (select 1 from users u  -- expect: ORG202\n"
            "  where u.auth_user_id = auth.uid() and u.id = chats.p1));\n"
        ),
        # Linked by a column that is not the caller's id.
        sql_example(
            "create table users (id uuid primary key, auth_user_id uuid, clerk_org_id text);\n"
            "create table chats (id uuid, p1 uuid, clerk_org_id text);\n"
            "alter table chats enable row level security;\n"
            "create policy mine on chats for select using (exists (select 1 from users u  -- expect: ORG202\n"
            "  where u.id = chats.p1));\n"
        ),
        # A flag that shares nothing.
        sql_example(
            "create table pages (id int, clerk_org_id text, is_archived boolean);\n"
            "alter table pages enable row level security;\n"
            "create policy p on pages for select  -- expect: ORG202\n"
            "    using (is_archived or clerk_org_id = requesting_org_id());\n"
        ),
        # Altered into a policy that ignores the key.
        sql_example(
            "create table calls (id int, clerk_org_id text);\n"
            "alter table calls enable row level security;\n"
            "create policy p on calls using (clerk_org_id = auth.jwt() ->> 'org_id');\n"
            "alter policy p on calls using (clerk_org_id = auth.jwt() ->> 'org_id' or true);  -- expect: ORG202\n"
        ),
    )

    def check_model(self, model: RlsModel, project: Project) -> Iterator[Finding]:
        for table, policy, context in weak_policies(model, project, Scope.NONE):
            writer = _staff_role_writer(policy, model)
            if writer is None:
                message = (
                    f"{policy_text(policy)} does not constrain `{context.key}`: it lets "
                    "every tenant's rows through for the API roles"
                )
            else:
                message = (
                    f"{policy_text(policy)} admits platform staff by "
                    f"`{writer.table}.{writer.column}`, which the caller can write "
                    f"({writer.describe()}): whoever sets it passes for every tenant"
                )
            yield self.sql_finding(project, policy.location, message, table=table.name)


def _staff_role_writer(policy: Policy, model: RlsModel) -> Writer | None:
    """The caller-writable role column of the platform-staff gate the policy admits by
    (`exists (... where auth_user_id = auth.uid() and role = 'super-admin')`)."""
    return caller_written(policy, model, staff_gates)
