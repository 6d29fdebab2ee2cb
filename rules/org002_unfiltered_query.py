from __future__ import annotations

from collections.abc import Iterator

from orgscope_lint.facts import FileFacts
from orgscope_lint.findings import Finding, Severity
from orgscope_lint.project import Project
from orgscope_lint.rule import Rule
from orgscope_lint.tenancy import Verdict, rls_note, verdict


class UnfilteredQuery(Rule):
    code = "ORG002"
    name = "unfiltered-query"
    severity = Severity.ERROR
    summary = "Query on a tenant table with no filter at all"
    doc = """
    ## What it does
    Reports a read, count, update or delete on a tenant table with no filter at all: the
    filter is omitted, `None`, or `{}`.

    ## Why is this bad?
    It touches every tenant's rows. It usually hides in a fallback ("if nothing matched,
    list all folders") that nobody exercises in tests until a customer sees another
    customer's data.

    ## Example
    ```python
    folders = db.select("contact_folders", {"clerk_org_id": clerk_org_id})
    if not folders:
        folders = db.select("contact_folders", None, order_by="name")
    ```

    ## Use instead
    ```python
    folders = db.select("contact_folders", {"clerk_org_id": clerk_org_id})
    ```
    """
    valid = (
        'def f(db, org):\n    db.select("contact_folders", {"clerk_org_id": org})\n',
        # An unfamiliar keyword may carry the filter: not provably unfiltered.
        'def f(db, spec):\n    db.select("contact_folders", spec=spec)\n',
    )
    invalid = (
        'def f(db):\n    db.select("contact_folders", None, order_by="name")  # expect: ORG002\n',
        'def f(db):\n    db.select("contact_folders")  # expect: ORG002\n',
        'def f(db):\n    db.delete("contacts", {})  # expect: ORG002\n',
        'def f(db):\n    db.count("contacts", filters=None)  # expect: ORG002\n',
    )

    def check(self, facts: FileFacts, project: Project) -> Iterator[Finding]:
        for query in facts.queries:
            if verdict(query, facts, project) is not Verdict.UNFILTERED:
                continue
            message = (
                f"`{query.receiver or 'db'}.{query.method}` on tenant table `{query.table}` "
                f"has no filter: it reaches every tenant's rows"
                f"{rls_note(query.receiver_class, project)}"
            )
            yield self.finding(
                facts,
                query.span,
                message,
                snippet=query.snippet,
                table=query.table,
                operation=query.operation,
            )
