from __future__ import annotations

from collections.abc import Iterator

from orgscope_lint.findings import Finding, Severity
from orgscope_lint.project import Project
from orgscope_lint.rls.model import RlsModel
from orgscope_lint.rls.policies import Scope
from orgscope_lint.rules._schema import SchemaRule, policy_text, sql_example, weak_policies


class PolicyLegacyKey(SchemaRule):
    code = "ORG206"
    name = "policy-legacy-key"
    severity = Severity.WARNING
    summary = "A policy still scoped by a legacy key after the table moved to the tenant key"
    doc = """
    ## What it does
    Reports a row-level-security policy that scopes a table by a legacy key (`client_id`,
    from `legacy-keys`) when the table is now scoped by the tenant key (`clerk_org_id`).

    ## Why is this bad?
    The application writes and filters by the new key; the policy guards the old one.
    Rows written without the legacy key (or with a stale one) fall outside the policy's
    intent, and the two walls between tenants no longer describe the same tenant.

    ## Example
    ```sql
    alter table calls add column clerk_org_id text;
    -- the old policy is kept
    create policy "own account" on calls using (client_id = auth.jwt() ->> 'client_id');
    ```

    ## Use instead
    ```sql
    drop policy "own account" on calls;
    create policy "org members" on calls using (clerk_org_id = auth.jwt() ->> 'org_id');
    ```

    ## Options
    `legacy-keys`, `tenant-key`, `table-keys` (a table scoped by `client_id` on purpose).
    """
    valid = (
        sql_example(
            "create table calls (id int, client_id text, clerk_org_id text);\n"
            "alter table calls enable row level security;\n"
            "create policy p on calls using (clerk_org_id = auth.jwt() ->> 'org_id');\n"
        ),
        # The table is scoped by client_id on purpose.
        sql_example(
            "create table api_keys (id int, client_id text);\n"
            "alter table api_keys enable row level security;\n"
            "create policy p on api_keys using (client_id = auth.jwt() ->> 'client_id');\n",
            table_keys={"api_keys": "client_id"},
        ),
        # Both keys: the tenant key scopes it.
        sql_example(
            "create table calls (id int, client_id text, clerk_org_id text);\n"
            "alter table calls enable row level security;\n"
            "create policy p on calls using (clerk_org_id = auth.jwt() ->> 'org_id'"
            " and client_id = auth.jwt() ->> 'client_id');\n"
        ),
    )
    invalid = (
        sql_example(
            "create table calls (id int, client_id text);\n"
            "alter table calls enable row level security;\n"
            "create policy p on calls using (client_id = auth.jwt() ->> 'client_id');  -- expect: ORG206\n"
            "alter table calls add column clerk_org_id text;\n"
        ),
    )

    def check_model(self, model: RlsModel, project: Project) -> Iterator[Finding]:
        for table, policy, context in weak_policies(model, project, Scope.LEGACY):
            yield self.sql_finding(
                project,
                policy.location,
                f"{policy_text(policy)} is still scoped by a legacy key while the table is "
                f"scoped by `{context.key}`",
                table=table.name,
            )
