from __future__ import annotations

from collections.abc import Iterator

from orgscope_lint.facts import FileFacts, Query
from orgscope_lint.findings import Finding, Severity
from orgscope_lint.project import Project
from orgscope_lint.rule import Rule
from orgscope_lint.rules._common import call_text, query_findings
from orgscope_lint.tenancy import Verdict


class InsertWithoutTenant(Rule):
    code = "ORG003"
    name = "insert-without-tenant"
    severity = Severity.ERROR
    summary = "Insert or upsert into a tenant table whose record lacks the tenant key"
    doc = """
    ## What it does
    Reports an `insert` or `upsert` into a tenant table whose record (a dict literal, or a
    dict built in a local variable) carries the tenant key on no path.

    ## Why is this bad?
    A row without its tenant key belongs to nobody: every scoped list misses it (the
    customer's data "disappears"), and any query that forgets the key finds it for
    everybody. With an upsert, the row may even overwrite another tenant's.

    ## Example
    ```python
    voice_record = {"name": body.name, "provider_voice_id": cloned.id}
    db.insert("voices", voice_record)
    ```

    ## Use instead
    ```python
    voice_record = {
        "name": body.name,
        "provider_voice_id": cloned.id,
        "clerk_org_id": clerk_org_id,
    }
    db.insert("voices", voice_record)
    ```
    """
    valid = (
        'def f(db, org):\n    db.insert("voices", {"name": "a", "clerk_org_id": org})\n',
        'def f(db, org):\n    rec = {"name": "a"}\n    rec["clerk_org_id"] = org\n    db.insert("voices", rec)\n',
        'def f(db, rows):\n    db.insert("voices", rows)\n',
        'def f(db, org, xs):\n    db.insert("voices", [{"n": x, "clerk_org_id": org} for x in xs])\n',
    )
    invalid = (
        'def f(db):\n    rec = {"name": "a"}\n    db.insert("voices", rec)  # expect: ORG003\n',
        'def f(db, x):\n    db.upsert("voices", data={"id": x})  # expect: ORG003\n',
        'def f(db, org):\n    db.insert("voices", [{"n": 1, "clerk_org_id": org}, {"n": 2}])  # expect: ORG003\n',
    )

    def check(self, facts: FileFacts, project: Project) -> Iterator[Finding]:
        def message(query: Query, key: str) -> str:
            return (
                f"{call_text(query)} into tenant table `{query.table}` writes a record "
                f"without `{key}`"
            )

        yield from query_findings(
            self, facts, project, Verdict.MISSING, message, inserts=True, fixable=True
        )
