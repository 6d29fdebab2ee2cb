from __future__ import annotations

import re
from collections.abc import Iterator

from orgscope_lint.facts import FileFacts, Query
from orgscope_lint.findings import Finding, Severity
from orgscope_lint.project import Project
from orgscope_lint.rule import Rule
from orgscope_lint.rules._common import call_text, query_findings
from orgscope_lint.tenancy import Verdict


class ConditionalTenantFilter(Rule):
    code = "ORG007"
    name = "conditional-tenant-filter"
    severity = Severity.WARNING
    summary = "The tenant key is in the filter on some paths only: the query fails open"
    doc = """
    ## What it does
    Reports a query whose filter carries the tenant key on some paths through the function
    but not on others, typically `if org_id: filters["clerk_org_id"] = org_id`. The
    message names the condition.

    ## Why is this bad?
    The day the org is missing (a background job, a token without an organization, a
    refactor that stops passing it) the query silently widens to every tenant instead of
    failing. Scoping must fail closed.

    ## Example
    ```python
    filters = {"id": voice_id}
    if effective_org_id:
        filters["clerk_org_id"] = effective_org_id
    return self.select_one("voices", filters)
    ```

    A query that pins an owner key (`owner-keys`) to the principal's own id on the paths
    without the tenant key (`else: q = q.eq("user_id", me)`) never widens: it is not
    reported.

    ## Use instead
    ```python
    if not effective_org_id:
        raise PermissionError("an organization is required")
    return self.select_one("voices", {"id": voice_id, "clerk_org_id": effective_org_id})
    ```
    """
    valid = (
        'def f(db, i, org):\n    q = {"id": i}\n    if not org:\n        raise ValueError("org")\n'
        '    q["clerk_org_id"] = org\n    db.select("voices", q)\n',
        'def f(db, i, org, admin):\n    q = {"id": i}\n    if admin:\n        q["clerk_org_id"] = org\n'
        '    else:\n        q["clerk_org_id"] = org\n    db.select("voices", q)\n',
        # No organization: the caller's own rows instead, never every tenant's.
        'def f(client, current_user):\n    q = client.table("voices").select("*")\n'
        '    if current_user["clerk_org_id"]:\n'
        '        q = q.eq("clerk_org_id", current_user["clerk_org_id"])\n'
        '    else:\n        q = q.eq("user_id", current_user["id"])\n    return q.execute()\n',
    )
    invalid = (
        'def f(db, i, org):\n    q = {"id": i}\n    if org:\n        q["clerk_org_id"] = org\n'
        '    return db.select_one("voices", q)  # expect: ORG007\n',
        'def f(db, i, user):\n    org = None\n    if user:\n        org = user["clerk_org_id"]\n'
        '    return db.select("voices", {"id": i, "clerk_org_id": org})  # expect: ORG007\n',
        # The fallback pins a user the request names, not the caller.
        'def f(client, current_user, user_id):\n    q = client.table("voices").select("*")  # expect: ORG007\n'
        '    if current_user["clerk_org_id"]:\n'
        '        q = q.eq("clerk_org_id", current_user["clerk_org_id"])\n'
        '    else:\n        q = q.eq("user_id", user_id)\n    return q.execute()\n',
    )

    def check(self, facts: FileFacts, project: Project) -> Iterator[Finding]:
        def message(query: Query, key: str) -> str:
            fact = query.shape.get(key)
            when = _when(fact.condition) if fact and fact.condition else "on some paths"
            if query.operation == "insert":
                return (
                    f"{call_text(query)} on `{query.table}` sets `{key}` {when}; "
                    "otherwise it writes a row no tenant owns"
                )
            verb = _VERBS.get(query.operation, "reaches")
            return (
                f"{call_text(query)} on `{query.table}` filters by `{key}` {when}; "
                f"otherwise it {verb} every tenant's rows"
            )

        yield from query_findings(self, facts, project, Verdict.CONDITIONAL, message)


_VERBS = {"read": "reads", "count": "counts", "update": "updates", "delete": "deletes"}
_NAME = re.compile(r"[A-Za-z_][\w.]*")
_NEGATED_NAME = re.compile(r"not \(([A-Za-z_][\w.]*)\)")


def _when(condition: str) -> str:
    """A bare name is tested for truthiness: `""` and `0` fail it too, so say so."""
    if _NAME.fullmatch(condition):
        return f"only when `{condition}` is truthy"
    negated = _NEGATED_NAME.fullmatch(condition)
    if negated:
        return f"only when `{negated.group(1)}` is falsy"
    return f"only when `{condition}` holds"
