from __future__ import annotations

from collections.abc import Iterator

from orgscope_lint.facts import FileFacts, Query
from orgscope_lint.findings import Finding, Severity
from orgscope_lint.project import Project
from orgscope_lint.rule import Rule
from orgscope_lint.rules._common import call_text, query_findings
from orgscope_lint.tenancy import Verdict, rls_note


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

    Three reads that reach every tenant's rows yet return none of their data are not
    reported: one whose rows are only tested for existence (a health probe), a
    connectivity probe that reads one row and drops it (`.select("id").limit(1)` and
    nothing else, its result never read), and one that reads only the highest or lowest
    id of the table to number the next row (`.select("id").order("id", desc=True)
    .limit(1)`, an `id` or `*_id` column).

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
        # A loose filter (`neq`, `ilike`...) is a filter: ORG001 speaks, not ORG002.
        'def f(client, org):\n    client.table("contacts").select("*").neq("clerk_org_id", org).execute()\n',
        # PostgREST's own filter syntax cannot be read: unknown, silent.
        'def f(client, org):\n    client.table("contacts").select("*").or_(f"clerk_org_id.eq.{org}").execute()\n',
        'def f(db, org):\n    db.select("contact_folders", {"clerk_org_id": org})\n',
        # An unfamiliar keyword may carry the filter: not provably unfiltered.
        'def f(db, spec):\n    db.select("contact_folders", spec=spec)\n',
        # The highest id, to number the next row: a sequence, no tenant's data.
        'def f(client):\n    return client.table("contacts").select("contact_id").order("contact_id", desc=True).limit(1).execute()\n',
        # A connectivity probe: one row, whichever, and nothing of it read.
        'def f(client):\n    client.table("contacts").select("contact_id").limit(1).execute()\n    return {"ok": True}\n',
    )
    invalid = (
        'def f(client):\n    return client.table("contacts").select("*").limit(10).execute()  # expect: ORG002\n',
        'def f(client):\n    return client.table("contacts").select("*").limit(1).execute()  # expect: ORG002\n',
        'def f(db):\n    db.select("contact_folders", None, order_by="name")  # expect: ORG002\n',
        'def f(db):\n    db.select("contact_folders")  # expect: ORG002\n',
        'def f(db):\n    db.delete("contacts", {})  # expect: ORG002\n',
        'def f(db):\n    db.count("contacts", filters=None)  # expect: ORG002\n',
        # The highest value of a column that is data, not an id: that value leaks.
        'def f(client):\n    return client.table("contacts").select("score").order("score", desc=True).limit(1).execute()  # expect: ORG002\n',
    )

    def check(self, facts: FileFacts, project: Project) -> Iterator[Finding]:
        def message(query: Query, key: str) -> str:
            return (
                f"{call_text(query)} on tenant table `{query.table}` has no filter: it reaches "
                f"every tenant's rows{rls_note(query.receiver_class, project)}"
            )

        yield from query_findings(self, facts, project, Verdict.UNFILTERED, message)
