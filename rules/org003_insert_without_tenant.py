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
    dict built in a local variable) carries the tenant key on no path. The caller's own
    row (an `owner-keys` column set to the principal) in a table that every read in the
    project pins by its owner is not reported: no read goes by its tenant key. Nor is
    an insert by a route that authenticates no one (no dependency, no principal, no
    header, cookie or raw request it could read a credential from): a sign-up or an
    anonymous visitor has no tenant to stamp yet. Its upserts are still reported.
    Nor is an insert that makes a new tenant (the tenant key alone is the table's
    primary or unique key, which the database fills: `workspaces.workspace_id`) or the
    caller's own identity row (a column that alone names a row, such as `profiles.id`,
    set to the caller's authenticated id): no existing row is written, and there is no
    tenant to stamp on it yet.
    An insert into a table that no read of the project filters by the tenant key (and
    no view, SQL function or policy reads by it) hides the row from no read and shows
    it to no other tenant: it is reported as ORG013, defense in depth, instead.

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

    ## Fix
    `--fix` adds the tenant key to a record written as a dict literal in the call (service
    style or query builder) when exactly one variable in scope provably holds the
    principal's tenant id:
    ```python
    def clone_voice(body, current_user, db, client):
        clerk_org_id = current_user["clerk_org_id"]
        db.insert("voices", {"name": body.name})
        client.table("voices").upsert({"id": body.id, "name": body.name}).execute()
    ```
    becomes
    ```python
    def clone_voice(body, current_user, db, client):
        clerk_org_id = current_user["clerk_org_id"]
        db.insert("voices", {"name": body.name, "clerk_org_id": clerk_org_id})
        client.table("voices").upsert({"id": body.id, "name": body.name, "clerk_org_id": clerk_org_id}).execute()
    ```
    A record built in a variable is left to you: the key may belong on some paths only.
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
