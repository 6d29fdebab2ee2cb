from __future__ import annotations

from collections.abc import Iterator

from orgscope_lint.analysis.caller_proof import Reached, leaks_in
from orgscope_lint.facts import FileFacts, Query
from orgscope_lint.findings import Finding, Severity
from orgscope_lint.project import Project
from orgscope_lint.rule import Example, Rule
from orgscope_lint.rules._common import call_text, caller_findings, query_findings, with_rls
from orgscope_lint.tenancy import Verdict, follow_note, follow_related, rls_note


class MissingTenantFilter(Rule):
    code = "ORG001"
    name = "missing-tenant-filter"
    severity = Severity.ERROR
    summary = "Read, count, update or delete on a tenant table without the tenant key"
    doc = """
    ## What it does
    Reports a read, count, update or delete on a tenant-owned table whose filter carries
    the table's tenant key (`clerk_org_id` by default) on no path through the function.

    A helper filtered only by its own parameters (`get_call(db, call_id)`) is judged by
    its callers: where one passes an id taken from the request, that call is reported,
    naming the helper, the parameter and the query the id reaches, and the helper's query
    is not reported again. Where every caller passes the principal's own id, it is
    silent; where every caller passes an id a tenant-scoped lookup checked or returned,
    it is ORG013's. A helper with no caller, or with one the analysis cannot see, is
    reported at its query. A read filtered to rows their owners made public
    (`.eq("is_public", True)`, `.eq("visibility", "public")`), or to rows no tenant
    owns (`.is_("clerk_org_id", "null")`: shared templates, system rows), is no tenant's
    read; a write to them is still reported, and so is `.not_.is_(...)`, which keeps
    every tenant's rows. A read whose rows only feed the update of the same
    row after it (read-modify-write of a counter) is named in the update's finding
    rather than reported again.

    ## Why is this bad?
    A filter by `id` alone trusts that the id belongs to the caller's organization. Ids
    leak through URLs, logs and support tickets; anyone who holds another tenant's id can
    then read, change or delete that tenant's row. Row-level security may catch it, but
    service-role clients bypass it, and then the filter is the only guard.

    ## Example
    ```python
    @router.delete("/calls/{call_id}")
    def delete_call(call_id: str, current_user: dict = Depends(get_current_user)):
        db = DatabaseService(token=current_user["token"])
        db.delete("calls", {"id": call_id})
    ```

    ## Use instead
    ```python
    @router.delete("/calls/{call_id}")
    def delete_call(call_id: str, current_user: dict = Depends(get_current_user)):
        clerk_org_id = current_user["clerk_org_id"]
        db = DatabaseService(token=current_user["token"], org_id=clerk_org_id)
        db.delete("calls", {"id": call_id, "clerk_org_id": clerk_org_id})
    ```

    ## Fix
    `--fix` adds the tenant key when exactly one variable in scope provably holds the
    principal's tenant id, to a filter written as a dict literal in the call, or as
    `.eq(...)` to a query-builder chain written as one expression:
    ```python
    def delete_call(call_id, current_user, db, client):
        clerk_org_id = current_user["clerk_org_id"]
        db.delete("calls", {"id": call_id})
        client.table("calls").delete().eq("id", call_id).execute()
    ```
    becomes
    ```python
    def delete_call(call_id, current_user, db, client):
        clerk_org_id = current_user["clerk_org_id"]
        db.delete("calls", {"id": call_id, "clerk_org_id": clerk_org_id})
        client.table("calls").delete().eq("id", call_id).eq("clerk_org_id", clerk_org_id).execute()
    ```
    In a chain the filter goes after the last filter, before modifiers such as
    `.single()` or `.limit(...)`. A filter built in a variable, a chain continued through
    a variable, a tenant id read from the request, or two candidate variables are left to
    you: the fix never guesses.

    ## Options
    `tenant-key`, `table-keys`, `tenant-tables`, `global-tables`, `schema`.
    """
    valid = (
        # Rows no organization owns: the shared ones.
        'def f(client):\n    client.table("calls").select("*").is_("clerk_org_id", "null").execute()\n',
        'def f(db, org):\n    db.select("calls", {"id": 1, "clerk_org_id": org})\n',
        'def f(db, org):\n    q = {"id": 1}\n    q["clerk_org_id"] = org\n    db.update("calls", q, {})\n',
        'def f(db, org):\n    db.delete("calls", dict(id=1, clerk_org_id=org))\n',
        'def f(db, org):\n    base = {"clerk_org_id": org}\n    db.count("calls", {**base, "x": 1})\n',
        'def f(db, org):\n    q = {"id": 1}\n    q.update({"clerk_org_id": org})\n    db.select_one("calls", q)\n',
        # A filter the analysis cannot see into is silent (ORG012 with --strict).
        'def f(db, filters):\n    db.select("calls", filters)\n',
        # The table is not a literal or a module constant: unknown, silent.
        'def f(db, table):\n    db.select(table, {"id": 1})\n',
        # Not a DB receiver: a payload dict, a cache, a router, an ORM session.
        'def f(payload, cache, session, obj):\n    payload.update({"id": 1})\n'
        '    cache.delete("calls")\n    session.delete(obj)\n',
        Example(
            'def f(db):\n    db.select("plans", {"id": 1})\n',
            config=(("global-tables", ["plans"]),),
        ),
        # Provenance: the id comes from a row a tenant-scoped query returned.
        'def f(db, i, org):\n    agent = db.select_one("agents", {"id": i, "clerk_org_id": org})\n'
        '    return db.select_one("phone_numbers", {"id": agent["phone_id"]})\n',
        # Check-then-act: a scoped lookup of the same id raised when nothing matched.
        'def f(db, i, org):\n    call = db.select_one("calls", {"id": i, "clerk_org_id": org})\n'
        '    if not call:\n        raise LookupError(i)\n    db.update("calls", {"id": i}, {"x": 1})\n',
        # Ownership check right after the fetch, raising on mismatch.
        'def f(db, i, current_user):\n    call = db.select_one("calls", {"id": i})\n'
        '    if call["clerk_org_id"] != current_user["clerk_org_id"]:\n'
        "        raise PermissionError(i)\n    return call\n",
        # Owner-scoped: pinned to the principal's own user id, narrower than the tenant.
        "def f(db, current_user):\n"
        '    return db.select("notes", {"user_id": current_user["user_id"]})\n',
        # A scoping dict built by a project function is seen through its summary.
        'def org_scope(org):\n    return {"clerk_org_id": org}\n\n'
        'def f(db, i, org):\n    return db.select("calls", {**org_scope(org), "id": i})\n',
        # A Supabase chain filtered by the tenant key.
        'def f(client, i, org):\n    q = client.table("calls").select("*").eq("id", i)\n'
        '    q = q.eq("clerk_org_id", org)\n    return q.execute()\n',
        Example(
            'def f(db):\n    db.select("plans", {"id": 1})\n',
            migrations=(("001.sql", "create table plans (id uuid, name text);"),),
        ),
        # The caller's own identity row: a unique identity column pinned to the principal.
        "def me(db, current_user):\n"
        '    return db.select_one("users", {"clerk_user_id": current_user["clerk_user_id"]})\n',
        # A helper every caller gives the principal's own id: owner-scoped by its callers.
        'def notes_of(db, user_id):\n    return db.select("notes", {"user_id": user_id})\n\n'
        'def mine(db, current_user):\n    return notes_of(db, current_user["user_id"])\n',
        # A uniqueness probe of a code generated just before: no tenant read.
        "def f(db, org):\n    code = secrets.token_urlsafe(8)\n"
        '    if db.select_one("invites", {"code": code}):\n        raise ValueError(code)\n',
        # Only rows their owners made public: readable by anyone, by design.
        "def f(client, i):\n"
        '    return client.table("calls").select("*").eq("id", i).eq("is_public", True).execute()\n',
        'def f(client):\n    q = client.table("calls").select("*")\n'
        '    q = q.eq("visibility", "public")\n    return q.execute()\n',
    )
    invalid = (
        # The negation keeps every organization's rows.
        "def f(client):\n"
        '    client.table("calls").select("*").not_.is_("clerk_org_id", "null").execute()  # expect: ORG001\n',
        # The same identity lookup by an id from the path: anyone's row.
        '@router.get("/users/{user_id}")\ndef f(db, user_id: str):\n'
        '    return db.select_one("users", {"id": user_id})  # expect: ORG001\n',
        "def f(client, org):\n"
        '    client.table("contacts").select("*").neq("clerk_org_id", org).execute()  # expect: ORG001\n',
        'def f(db, call_id):\n    db.delete("calls", {"id": call_id})  # expect: ORG001\n',
        'TABLE = "calls"\n\ndef f(db, i):\n    db.update(TABLE, {"id": i}, {})  # expect: ORG001\n',
        'def f(db, i):\n    q = {"id": i}\n    db.select_one("voices", q)  # expect: ORG001\n',
        'def f(db, i, org):\n    q = {"id": i, "clerk_org_id": org}\n    del q["clerk_org_id"]\n'
        '    db.count("voices", q)  # expect: ORG001\n',
        'def f(db, i):\n    db.select("voices", {"id": i, "clerk_org_id": None})  # expect: ORG001\n',
        "from app.db import DatabaseService\n\ndef f(i):\n    svc = DatabaseService()\n"
        '    svc.select("voices", {"id": i})  # expect: ORG001\n',
        'def f(store: "DatabaseService", i):\n    store.select("voices", {"id": i})  # expect: ORG001\n',
        "class DatabaseService:\n    def archive(self, i):\n"
        '        self.update("calls", {"id": i}, {"archived": True})  # expect: ORG001\n',
        "class CallRepo:\n    def __init__(self):\n        self.store = DatabaseService()\n\n"
        '    def get(self, i):\n        return self.store.select_one("calls", {"id": i})  # expect: ORG001\n',
        # The helper's id comes from the request path: reported where it enters.
        'def get_call(db, call_id):\n    return db.select_one("calls", {"id": call_id})\n\n'
        '@router.get("/calls/{call_id}")\ndef read(db, call_id: str, current_user):\n'
        "    return get_call(db, call_id)  # expect: ORG001\n",
        # Read-modify-write: the read's rows only feed the update of the same row, whose
        # finding names the read.
        'def f(client, i):\n    row = client.table("calls").select("n").eq("id", i).execute()\n'
        '    n = row.data[0]["n"] + 1\n'
        '    client.table("calls").update({"n": n}).eq("id", i).execute()  # expect: ORG001\n',
        # One root cause, one finding: the update uses the unscoped read's row.
        'def f(db, i):\n    row = db.select_one("calls", {"id": i})  # expect: ORG001\n'
        '    db.update("calls", {"id": row["id"]}, {"x": 1})\n',
        # A Supabase chain, continued through a variable, never pinned to the tenant.
        'def f(client, i):\n    q = client.table("calls").select("*")  # expect: ORG001\n'
        '    q = q.eq("id", i)\n    return q.execute()\n',
        # The check-then-act lookup itself was unscoped: it verifies nothing.
        'def f(db, i):\n    call = db.select_one("calls", {"id": i})  # expect: ORG001\n'
        "    if not call:\n        raise LookupError(i)\n"
        '    db.delete("calls", {"id": i})  # expect: ORG001\n',
        # Private rows, or public ones only on some path: any tenant's.
        "def f(client, i):\n"
        '    return client.table("calls").select("*").eq("id", i).eq("is_public", False).execute()'
        "  # expect: ORG001\n",
        'def f(client, public: bool):\n    q = client.table("calls").select("*")  # expect: ORG001\n'
        '    if public:\n        q = q.eq("is_public", True)\n    return q.execute()\n',
        # Public rows are read by anyone; changing them is still the tenant's business.
        "def f(client, i):\n"
        '    client.table("calls").delete().eq("id", i).eq("is_public", True).execute()'
        "  # expect: ORG001\n",
        Example(
            'def f(db, i):\n    db.delete("api_keys", {"id": i})  # expect: ORG001\n',
            migrations=(("001.sql", "create table api_keys (id uuid, client_id text);"),),
        ),
    )

    def check(self, facts: FileFacts, project: Project) -> Iterator[Finding]:
        def message(query: Query, key: str) -> str:
            ref = f"q{facts.queries.index(query)}"
            return (
                f"{call_text(query)} on tenant table `{query.table}` does not filter by `{key}`"
                f"{rls_note(query.receiver_class, project)}{follow_note(ref, facts, project)}"
            )

        def related(query: Query):
            return follow_related(f"q{facts.queries.index(query)}", facts, project)

        yield from query_findings(
            self,
            facts,
            project,
            Verdict.MISSING,
            message,
            inserts=False,
            fixable=True,
            related=related,
        )
        yield from self._at_callers(facts, project)

    def _at_callers(self, facts: FileFacts, project: Project) -> Iterator[Finding]:
        """Where request input enters a helper whose query it then pins unscoped: one
        finding per call, naming the first query reached (the others are related)."""

        def message(first: Reached, given: str) -> str:
            query = first.query
            key = project.scoping_column(query.table) or ""
            return (
                f"`{first.entry.callee}` is given {given} "
                f"here; it reaches {call_text(query)} on tenant table `{query.table}` "
                f"({first.path}:{query.span.line}), which does not filter by `{key}`"
                f"{rls_note(query.receiver_class, project)}"
            )

        reached = leaks_in(facts.path, project)
        for finding, query in caller_findings(
            self, facts, reached, message, "the unscoped query it reaches", _source
        ):
            yield with_rls(finding, query, project)


def _source(origin: str) -> str:
    kind = origin.partition(":")[2]
    return _SOURCES.get(kind, "the request")


_SOURCES = {
    "path": "the request path",
    "query": "the query string",
    "body": "the request body",
    "header": "a request header",
    "cookie": "a cookie",
    "form": "a form field",
}
