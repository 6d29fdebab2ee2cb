"""Anonymous tables: tenant tables whose rows only visitors no one authenticated create.

```python
@router.post("/quiz/sessions")                       # authenticates no one
async def start(body: Start):
    row = sb.table("quiz_sessions").insert({"email": body.email}).execute().data[0]
    return {"session_id": row["id"]}                  # the visitor's only credential

@router.get("/quiz/sessions/{session_id}")           # authenticates no one
async def resume(session_id: str):
    sb.table("quiz_sessions").select("*").eq("id", session_id).execute()
```

Every insert of the table in the project is made by a route that authenticates no one,
without the tenant key and with an id the database or the route generates: each row
starts as a visitor's, before any tenant exists, and the row's id, returned to that
visitor, is what the flow knows them by. Such a route reading or changing one row by
that id has no tenant to add to its filter: asking for the key there is noise. The
table keeps its tenant column for later (a paid session linked to a workspace), and
every other access stays judged as usual: an authenticated route, a filter by anything
but the id (`email`, a Stripe id), an upsert, a row some authenticated code creates.

Which of the two an unauthenticated read by id is (the visitor's own capability, or
another tenant's row exposed) depends on who created the row, so the proof needs every
insert: each file's analysis leaves a summary of the rows it creates, joined across
files as the per-user tables are (`per_user_tables.py`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from orgscope_lint.facts import FileFacts, FunctionFact, KeyState, Query, ShapeKind

if TYPE_CHECKING:
    from orgscope_lint.project import Project

ROW_ID = "id"
# (table, the function making it, made by a route that authenticates no one with an id
# the request does not choose, the columns written: None when they may be any).
Creation = tuple[str, str, bool, tuple[str, ...] | None]
_ACCESS = ("read", "count", "update", "delete")


def row_creations(
    queries: Iterable[Query], functions: Iterable[FunctionFact]
) -> tuple[Creation, ...]:
    """One file's summary: every insert or upsert it makes (see `Creation`)."""
    anonymous = {fn.qualname for fn in functions if fn.anonymous}
    found: set[Creation] = set()
    for query in queries:
        if query.operation != "insert":
            continue
        shape = query.shape
        columns = None if shape.open or shape.kind is ShapeKind.UNKNOWN else _written(query)
        made_by = query.function or ""
        found.add((query.table, made_by, _anonymous_creation(query, anonymous), columns))
    return tuple(sorted(found, key=repr))


def _written(query: Query) -> tuple[str, ...]:
    return tuple(sorted(fact.key for fact in query.shape.keys if not fact.empty))


def _anonymous_creation(query: Query, anonymous: set[str]) -> bool:
    """An insert (an upsert may overwrite someone's row) by an anonymous route whose id,
    when it sets one, the request does not choose."""
    if query.method == "upsert" or query.function not in anonymous:
        return False
    given = query.shape.get(ROW_ID)
    return given is None or not (given.origin or "").startswith("request")


def anonymous_table(table: str, project: Project) -> bool:
    """Whether `table` is an anonymous table of the project (decided once per run)."""
    if project.anonymous_tables is None:
        project.anonymous_tables = _anonymous_tables(project)
    return table in project.anonymous_tables


def _anonymous_tables(project: Project) -> frozenset[str]:
    """The tenant tables some anonymous route creates rows of, whose every creation
    outside tests writes no tenant key and is made by an anonymous route or by system
    code (a script seeding a sample session: a row of no tenant either)."""
    from orgscope_lint.project import test_module

    tenantless: dict[str, bool] = {}
    visitors: set[str] = set()
    for file_facts in project.file_facts:
        if test_module(file_facts.path, project.config.root):
            continue  # a test creates rows however it likes
        for table, made_by, anonymous, columns in file_facts.row_creations:
            key = project.key_for(table)
            no_tenant = key is not None and columns is not None and key not in columns
            if anonymous:
                visitors.add(table)
            else:
                no_tenant = no_tenant and _system_code(file_facts, made_by, project)
            tenantless[table] = tenantless.get(table, True) and no_tenant
    return frozenset(table for table in visitors if tenantless[table])


def _system_code(file_facts: FileFacts, qualname: str, project: Project) -> bool:
    from orgscope_lint.analysis import system_reach

    fn = file_facts.function(qualname)
    if fn is None:
        return False
    return bool(
        system_reach.own_reason(fn, file_facts.path, project)
        or system_reach.reason(fn, file_facts.path, project)
    )


def visitors_own_row(query: Query, facts: FileFacts, project: Project) -> bool:
    """One row of an anonymous table reached by the id the request presents, with no
    tenant key in the filter (there is none to add): in a route that authenticates no
    one, or in a function every caller of which hands it such a route's id."""
    fn = facts.function(query.function)
    if fn is None or query.operation not in _ACCESS:
        return False
    key = project.key_for(query.table)
    if key is None or query.shape.state_for(key) is not KeyState.ABSENT:
        return False
    pinned = query.shape.get(ROW_ID)
    if pinned is None or not pinned.always or pinned.empty or pinned.maybe_empty:
        return False
    if not anonymous_table(query.table, project):
        return False
    if fn.anonymous:
        return _presented(pinned.origin or "", facts, project)
    given = pinned.params[0] if len(pinned.params) == 1 and not pinned.origin else None
    return given is not None and _visitors_param(fn, facts.path, given, project, 0)


def _presented(origin: str, facts: FileFacts, project: Project) -> bool:
    """The id the visitor presents, also once an earlier lookup of their own row found
    it (`verified:q3`), and nothing else: an id read from another row
    (`report["quiz_session_id"]`) hands out a row whose id the caller never held."""
    if origin.startswith("request"):
        return True
    index = origin.removeprefix("verified:q")
    if index == origin or not index.isdigit() or int(index) >= len(facts.queries):
        return False
    return visitors_own_row(facts.queries[int(index)], facts, project)


def _visitors_param(fn: FunctionFact, path: str, param: str, project: Project, depth: int) -> bool:
    """Every call of `fn` passes as `param` the id a route that authenticates no one was
    presented, directly or through functions called the same way."""
    from orgscope_lint.analysis.caller_proof import MAX_DEPTH, argument, callers_of

    sites = callers_of(fn, project) if depth <= MAX_DEPTH else []
    for site in sites:
        caller = project.function_at.get((site.path, site.call.function or ""))
        arg = argument(site.call, fn, param)
        if caller is None or arg is None:
            return False
        if caller.anonymous and (arg.origin or "").startswith("request"):
            continue
        passed = arg.params[0] if len(arg.params) == 1 and not arg.origin else None
        if passed is None or caller.route:
            return False
        if not _visitors_param(caller, site.path, passed, project, depth + 1):
            return False
    return bool(sites)
