from __future__ import annotations

from collections.abc import Iterator

from orgscope_lint.findings import Finding, Severity
from orgscope_lint.project import Project
from orgscope_lint.rls.model import RlsModel
from orgscope_lint.rls.policies import Scope
from orgscope_lint.rules._schema import SchemaRule, policy_text, sql_example, weak_policies


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
    (`current_setting('request.headers')`); or a session setting that a function the
    API roles may call sets with `set_config` (PostgreSQL grants EXECUTE to PUBLIC, and
    Supabase to `anon` and `authenticated`, unless a migration revokes it).

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
    `app_metadata`), or from a membership table the user cannot write.

    ## Known limits
    A tenant id read from a column of another table that the caller may update through
    its own policies (`profiles.org_id`) is not followed yet.
    """
    valid = (
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
            yield self.sql_finding(
                project,
                policy.location,
                f"{policy_text(policy)} compares `{context.key}` with a value the caller "
                "controls: anyone can name another tenant's id",
                table=table.name,
            )
