from __future__ import annotations

from collections.abc import Iterator

from orgscope_lint.facts import FileFacts, Query
from orgscope_lint.findings import Finding, Severity
from orgscope_lint.project import Project
from orgscope_lint.rule import Rule
from orgscope_lint.rules._common import call_text, query_findings
from orgscope_lint.tenancy import Verdict


class UnverifiedTenantId(Rule):
    code = "ORG008"
    name = "unverified-tenant-id"
    severity = Severity.WARNING
    summary = "Tenant id read with .get() from the principal and used with no guard"
    doc = """
    ## What it does
    Reports a query or insert whose tenant key takes a value read from the principal with
    `.get(...)` or `getattr(..., None)` when no guard on the path before it raises or
    returns if that value is empty.

    ## Why is this bad?
    A token without an organization yields `None`. Filtering by `clerk_org_id = None`
    matches nothing today, but inserts rows that belong to no tenant, and the next helper
    that treats `None` as "no filter" turns it into a cross-tenant read.

    ## Example
    ```python
    clerk_org_id = current_user.get("clerk_org_id")
    db.insert("voices", {"name": name, "clerk_org_id": clerk_org_id})
    ```

    ## Use instead
    ```python
    clerk_org_id = current_user.get("clerk_org_id")
    if not clerk_org_id:
        raise HTTPException(status_code=403, detail="Organization required")
    db.insert("voices", {"name": name, "clerk_org_id": clerk_org_id})
    ```
    """
    valid = (
        # Inside `if org:` the org is known to be set.
        'def f(db, current_user):\n    org = current_user.get("clerk_org_id")\n    if org:\n'
        '        db.select("voices", {"clerk_org_id": org})\n',
        'def f(db, current_user):\n    org = current_user.get("clerk_org_id")\n    if not org:\n'
        '        raise PermissionError("org")\n    db.insert("voices", {"clerk_org_id": org})\n',
        'def f(db, current_user):\n    org = current_user["clerk_org_id"]\n'
        '    db.select("voices", {"clerk_org_id": org})\n',
    )
    invalid = (
        'def f(db, current_user):\n    org = current_user.get("clerk_org_id")\n'
        '    db.insert("voices", {"clerk_org_id": org})  # expect: ORG008\n',
        'def f(db, current_user):\n    org = getattr(current_user, "clerk_org_id", None)\n'
        '    db.select("voices", {"clerk_org_id": org})  # expect: ORG008\n',
    )

    def check(self, facts: FileFacts, project: Project) -> Iterator[Finding]:
        def message(query: Query, key: str) -> str:
            return (
                f"{call_text(query)} on `{query.table}` uses a `{key}` read with .get() from "
                f"the principal, with no guard that fails when it is missing"
            )

        yield from query_findings(self, facts, project, Verdict.UNVERIFIED, message)
