from __future__ import annotations

from collections.abc import Iterator

from orgscope_lint.facts import FileFacts, Query
from orgscope_lint.findings import Finding, Severity
from orgscope_lint.project import Project
from orgscope_lint.rule import Example, Rule
from orgscope_lint.rules._common import call_text, query_findings
from orgscope_lint.tenancy import Verdict, stale_key


class StaleTenantKey(Rule):
    code = "ORG010"
    name = "stale-tenant-key"
    severity = Severity.ERROR
    summary = "Filter uses a legacy tenant key on a table scoped by another key"
    doc = """
    ## What it does
    Reports a query whose filter pins a legacy tenant column (`legacy-keys`, by default
    `client_id`) but not the key the table is scoped by now.

    ## Why is this bad?
    After a migration to a new tenant key, the legacy column is often stale, nullable or
    shared across organizations. A filter on it looks scoped in review and is not.

    ## Example
    ```python
    db.select("contacts", {"client_id": current_user["client_id"]})
    ```

    ## Use instead
    ```python
    db.select("contacts", {"clerk_org_id": current_user["clerk_org_id"]})
    ```

    ## Options
    `legacy-keys`, `table-keys`.
    """
    valid = (
        'def f(db, org):\n    db.select("contacts", {"client_id": 1, "clerk_org_id": org})\n',
        Example(
            'def f(db, cid):\n    db.delete("api_keys", {"id": 1, "client_id": cid})\n',
            config=(("table-keys", {"api_keys": "client_id"}),),
        ),
    )
    invalid = (
        "def f(db, user):\n"
        '    db.select("contacts", {"client_id": user["client_id"]})  # expect: ORG010\n',
    )

    def check(self, facts: FileFacts, project: Project) -> Iterator[Finding]:
        def message(query: Query, key: str) -> str:
            return (
                f"{call_text(query)} on `{query.table}` filters by legacy key "
                f"`{stale_key(query, project)}` instead of `{key}`"
            )

        yield from query_findings(self, facts, project, Verdict.STALE_KEY, message)
