from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from orgscope_lint.analysis.implicit_scope import related, reliance
from orgscope_lint.facts import FileFacts
from orgscope_lint.findings import Finding, Severity
from orgscope_lint.project import Project
from orgscope_lint.rule import Rule
from orgscope_lint.rules._common import _add_key_fix, call_text


class ImplicitTenantScope(Rule):
    code = "ORG013"
    name = "implicit-tenant-scope"
    severity = Severity.WARNING
    summary = "A query without the tenant key that is safe only because of an earlier check"
    doc = """
    ## What it does
    Reports a read, count, update or delete on a tenant table that does not filter by
    the tenant key, and is safe today only because of something around it: an earlier
    tenant-scoped lookup of the same id that raised or returned when nothing matched
    (check-then-act), an id read from the row of a tenant-scoped query (provenance), or
    a comparison of the fetched row's tenant key with the principal's right after the
    fetch (inline, or in an assert helper the row is handed to with the principal's
    id), or, for a helper filtered by its own parameter, every caller passing an id
    checked or returned that way; or an id read back from the execution context (a
    `ContextVar`, `structlog`'s context variables) that a worker bound for the task in
    progress. The message names the lines it relies on. An insert without the key
    into a table that no read of the project goes by the key (`untagged_tables.py`:
    notifications found by their recipient, say) is reported here too: the row is lost
    to no read today, and to the first one that filters by the key.

    ## Why is this bad?
    Nothing leaks today, which is why the error-severity rules stay silent. But the
    safety lives in other lines: the check gets moved below the write, the lookup loses
    its `raise`, the id starts coming from the request in a refactor, and the write
    becomes a cross-tenant write with no diff touching it. Carrying the key on the write
    itself costs nothing and keeps it safe wherever the code around it goes.

    ## Example
    ```python
    clerk_org_id = current_user["clerk_org_id"]
    if db.select_one("calls", {"id": call_id, "clerk_org_id": clerk_org_id}) is None:
        raise HTTPException(status_code=404)
    db.update("calls", {"id": call_id}, {"status": "archived"})
    ```

    ## Use instead
    ```python
    clerk_org_id = current_user["clerk_org_id"]
    if db.select_one("calls", {"id": call_id, "clerk_org_id": clerk_org_id}) is None:
        raise HTTPException(status_code=404)
    db.update("calls", {"id": call_id, "clerk_org_id": clerk_org_id}, {"status": "archived"})
    ```

    ## Fix safety
    `--fix` adds `"<tenant-key>": <var>` to a dict literal filter when exactly one
    variable in scope provably holds the principal's tenant id; the query then matches
    the same row it matched before.

    ## Options
    A warning, on by default: `ignore = ["ORG013"]` turns it off for a codebase that
    accepts check-then-act as it is.
    """
    valid = (
        # The write carries the key itself.
        "def f(db, i, current_user):\n"
        '    clerk_org_id = current_user["clerk_org_id"]\n'
        '    if db.select_one("calls", {"id": i, "clerk_org_id": clerk_org_id}) is None:\n'
        "        raise LookupError(i)\n"
        '    db.update("calls", {"id": i, "clerk_org_id": clerk_org_id}, {"x": 1})\n',
        # The lookup it follows was itself unscoped: that is ORG001's finding, not this.
        'def f(db, i):\n    call = db.select_one("calls", {"id": i})\n'
        "    if not call:\n        raise LookupError(i)\n"
        '    db.delete("calls", {"id": i})\n',
        # Pinned to the principal's own user: narrower than the tenant, nothing implicit.
        "def f(db, current_user):\n"
        '    return db.select("notes", {"user_id": current_user["user_id"]})\n',
        # A check that does not stop the code proves nothing: the write is ORG001's.
        "def f(db, i, org):\n"
        '    if db.select_one("calls", {"id": i, "clerk_org_id": org}) is None:\n'
        '        print("missing")\n'
        '    db.update("calls", {"id": i}, {"x": 1})\n',
    )
    invalid = (
        "def f(db, i, current_user):\n"
        '    clerk_org_id = current_user["clerk_org_id"]\n'
        '    if db.select_one("calls", {"id": i, "clerk_org_id": clerk_org_id}) is None:\n'
        "        raise LookupError(i)\n"
        '    db.update("calls", {"id": i}, {"x": 1})  # expect: ORG013\n',
        # Provenance: the id comes from the row of a tenant-scoped query.
        'def f(db, i, org):\n    agent = db.select_one("agents", {"id": i, "clerk_org_id": org})\n'
        '    return db.select_one("phone_numbers", {"id": agent["phone_id"]})  # expect: ORG013\n',
        # The row's tenant key is compared with the principal's right after the fetch.
        'def f(db, i, current_user):\n    call = db.select_one("calls", {"id": i})  # expect: ORG013\n'
        '    if call["clerk_org_id"] != current_user["clerk_org_id"]:\n'
        "        raise PermissionError(i)\n    return call\n",
        # The same comparison, made by an assert helper the row is handed to.
        "def same_org(call, org):\n"
        '    if call["clerk_org_id"] != org:\n'
        "        raise PermissionError(org)\n\n"
        'def f(db, i, current_user):\n    call = db.select_one("calls", {"id": i})  # expect: ORG013\n'
        '    same_org(call, current_user["clerk_org_id"])\n    return call\n',
        # Every caller of the helper checked the id first.
        'def get_call(db, i):\n    return db.select_one("calls", {"id": i})  # expect: ORG013\n\n'
        "def read(db, i, current_user):\n"
        '    if db.select_one("calls", {"id": i, "clerk_org_id": current_user["org"]}) is None:\n'
        "        raise LookupError(i)\n    return get_call(db, i)\n",
        # The run's own thread, read back from the execution context.
        "import structlog\n\n"
        "def f(sb):\n"
        '    thread_id = structlog.contextvars.get_contextvars().get("thread_id")\n'
        '    return sb.table("threads").select("*").eq("id", thread_id).execute()  # expect: ORG013\n',
        # Query-builder style: the lookup's rows are tested before the write.
        "def f(sb, i, org):\n"
        '    found = sb.table("calls").select("id").eq("id", i).eq("clerk_org_id", org).execute()\n'
        "    if not found.data:\n        raise LookupError(i)\n"
        '    sb.table("calls").delete().eq("id", i).execute()  # expect: ORG013\n',
    )

    def check(self, facts: FileFacts, project: Project) -> Iterator[Finding]:
        for query in facts.queries:
            relied = reliance(query, facts, project)
            if relied is None:
                continue
            key = project.key_for(query.table) or ""
            where = tuple(
                replace(found, path=found.path or facts.path) for found in related(relied, query)
            )
            yield self.finding(
                facts,
                query.span,
                f"{call_text(query)} {'into' if query.operation == 'insert' else 'on'} "
                f"`{query.table}` {relied.describe()}; "
                f"add `{key}` to the {'record' if query.operation == 'insert' else 'filter'}",
                snippet=query.snippet,
                table=query.table,
                operation=query.operation,
                fix=_add_key_fix(query, key, project),
                related=where,
            )
