from __future__ import annotations

from collections.abc import Iterator

from orgscope_lint.facts import FileFacts
from orgscope_lint.findings import Finding, Severity
from orgscope_lint.project import Project
from orgscope_lint.rule import Rule


class ServiceWithoutTenantContext(Rule):
    code = "ORG011"
    name = "service-without-tenant-context"
    severity = Severity.WARNING
    summary = "A DB service is built without org_id while the org is at hand"
    doc = """
    ## What it does
    Reports `DatabaseService(...)` (a row-level-security class from `db-classes`, not one
    of `rls-bypass-classes`) built without an org keyword in a function that already has a
    tenant id bound, when that service then runs a query on a tenant table.

    ## Why is this bad?
    Helpers that fall back to the service's own org context (`org_id or self.org_id`)
    then run unscoped. The org was right there; passing it costs nothing.

    ## Example
    ```python
    clerk_org_id = current_user["clerk_org_id"]
    db = DatabaseService(token=current_user["token"])
    db.insert("voices", record)
    ```

    ## Use instead
    ```python
    clerk_org_id = current_user["clerk_org_id"]
    db = DatabaseService(token=current_user["token"], org_id=clerk_org_id)
    db.insert("voices", record)
    ```
    """
    valid = (
        'def f(user):\n    org_id = user["clerk_org_id"]\n'
        '    db = DatabaseService(user["token"], org_id)\n'
        '    db.select("voices", {"clerk_org_id": org_id})\n',
        'def f(user):\n    org_id = user["clerk_org_id"]\n'
        '    db = DatabaseService(token=user["token"], org_id=org_id)\n'
        '    db.select("voices", {"clerk_org_id": org_id})\n',
        'def f(user):\n    db = DatabaseService(token=user["token"])\n'
        '    db.select("voices", {"clerk_org_id": user["clerk_org_id"]})\n',
        'def f(user):\n    org_id = user["clerk_org_id"]\n    db = DatabaseAdminService()\n'
        '    db.select("voices", {"clerk_org_id": org_id})\n',
    )
    invalid = (
        # Only a token, given positionally: no org.
        'def f(user):\n    org_id = user["clerk_org_id"]\n'
        '    db = DatabaseService(user["token"])  # expect: ORG011\n'
        '    db.select("voices", {"clerk_org_id": org_id})\n',
        'def f(user):\n    org_id = user["clerk_org_id"]\n'
        '    db = DatabaseService(token=user["token"])  # expect: ORG011\n'
        '    db.select("voices", {"clerk_org_id": org_id})\n',
    )

    def check(self, facts: FileFacts, project: Project) -> Iterator[Finding]:
        bypass = set(project.config.rls_bypass_classes)
        for index, built in enumerate(facts.constructions):
            if built.class_name in bypass or not built.org_at_hand:
                continue
            if any(project.config.tenant_key in k or k.endswith("org_id") for k in built.keywords):
                continue
            if built.positional >= 2:
                continue  # `DatabaseService(token, org_id)`: the org may well be the second

            used = [
                q.table
                for q in facts.queries
                if q.construction == index and project.key_for(q.table) is not None
            ]
            if used:
                message = (
                    f"`{built.class_name}(...)` is built without the org although it is at "
                    f"hand, then used on tenant table `{used[0]}`"
                )
                yield self.finding(facts, built.span, message, snippet=built.snippet)
