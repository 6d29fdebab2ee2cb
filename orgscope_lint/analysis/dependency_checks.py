"""Path parameters a route's dependencies authorise.

FastAPI fills a dependency's parameters from the same request as the route's, by name:
with `auth = Depends(require_agent_access)` and `require_agent_access(agent_id, ...)`,
both see the same `agent_id`. When that dependency returns only after a tenant-scoped
lookup of its `agent_id` found a row (raising otherwise), in itself or in a function it
passes the id to, the route's `agent_id` is verified before the route body runs: a query
by it is safe because of that check (defense in depth, ORG013), not a leak.

What counts as the check is what check-then-act counts inside one function (a lookup
pinned by the id, the code raising or returning when it found nothing), recorded as
`FunctionFact.verifies` on every normal exit; what does not: a check that admits public
resources (an owned-or-public test on the row verifies no id), a lookup scoped by
nothing but the id, a verifying call the analysis cannot resolve to one function. A
verifying call made by a dependency counts wherever it stands in that dependency's body
(the call facts do not say whether a branch skips it).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

from orgscope_lint.analysis import identity
from orgscope_lint.analysis.builder_api import TABLE_PARAM
from orgscope_lint.facts import ArgFact, CallFact, FunctionFact, HelperCall, Query
from orgscope_lint.findings import Span
from orgscope_lint.project import Project

MAX_DEPTH = 4


@dataclass(frozen=True)
class DependencyCheck:
    dependency: str  # the name the route `Depends(...)` on, or the function it called
    param: str
    path: str  # the file of the lookup that checks it
    lookup: Span
    table: str | None  # the table it looked the id up in (None: a scoped helper)
    called_at: int | None = None  # a call in the function's own body, at this line

    def describe(self) -> str:
        where = f"({self.path}:{self.lookup.line})"
        if self.called_at is not None:
            return (
                f"relies on the call of `{self.dependency}` at line {self.called_at}, which "
                f"checks `{self.param}` {where}"
            )
        return f"relies on the dependency `{self.dependency}`, which checks `{self.param}` {where}"


def route_check(fn: FunctionFact | None, param: str, project: Project) -> DependencyCheck | None:
    """The dependency of route `fn` that authorises its parameter `param`, if any."""
    if fn is None or not fn.route or param not in fn.params:
        return None
    for name in fn.depends_on:
        for path, dependency in dependency_functions(name, project, name in fn.depends_on_made):
            if param not in dependency.params:
                continue
            found = _verified(dependency, path, param, project, 0)
            if found is not None:
                return DependencyCheck(name, param, *found)
    return None


def dependency_functions(
    name: str, project: Project, called: bool = False
) -> Iterator[tuple[str, FunctionFact]]:
    """The one module-level function of that name, with its file: two would be ambiguous
    (imports are not followed). A factory the route calls (`Depends(require_admin())`),
    or whose result a module-level name holds (`jwt_auth = _make_bearer_dependency()`),
    stands for the function it returns, which is what FastAPI calls with the request."""
    named = project.functions.get(name, ())
    found = [fn for fn in named if fn.class_name is None and fn.qualname == name]
    if not found and not called:
        factory = project.made_by(name)
        if factory is not None:
            yield from dependency_functions(factory, project, called=True)
        return
    path = project.path_of(found[0]) if len(found) == 1 else None
    if path is None:
        return
    made = found[0].returns_function if called else None
    dependency = project.function_at.get((path, made)) if made else found[0]
    if dependency is not None:
        yield path, dependency


_Found = tuple[str, Span, str | None]  # the lookup's file, place and table


def _verified(
    fn: FunctionFact, path: str, param: str, project: Project, depth: int
) -> _Found | None:
    """Where `fn` checks its parameter `param` before returning: in itself, or in a
    function it passes the parameter to."""
    memo = project.dependency_checks
    here = (path, fn.qualname, param)
    if here in memo:
        return memo[here]  # type: ignore[return-value]
    memo[here] = None  # a cycle proves nothing
    found = _checked_here(fn, path, param, project)
    if found is None and depth < MAX_DEPTH:
        found = _checked_by_callee(fn, path, param, project, depth)
    if found is None and depth < MAX_DEPTH:
        found = _checked_by_answer(fn, path, param, project)
    memo[here] = found
    return found


def _checked_here(fn: FunctionFact, path: str, param: str, project: Project) -> _Found | None:
    facts = [v for v in fn.verifies if v.slot == param]
    # Found the principal's own (`if org_id != user["org_id"]: raise`, a membership
    # test), or by a scoped lookup, on every exit.
    if not facts or not all(v.origin == "principal" or _scoped(v.lookup, project) for v in facts):
        return None
    lookup = next((v.lookup for v in facts if v.origin != "principal"), None)
    if lookup is None:  # no lookup to name: the function is where it is checked
        return path, fn.span, None
    return path, lookup.span, lookup.table if isinstance(lookup, Query) else None


def _checked_in_named_table(
    call: CallFact, callee: FunctionFact, param: str, project: Project
) -> _Found | None:
    """`validate_fk_in_org(client, table="cases", fk_id=case_id, org_id=org)`: a check
    whose lookup reads the table its caller names (`client.table(table)`), scoped as
    that lookup is on the table this call names with a string literal."""
    from orgscope_lint.analysis.caller_proof import argument

    facts = [v for v in callee.verifies if v.slot == param]
    found: _Found | None = None
    for fact in facts:
        lookup = fact.lookup
        if not isinstance(lookup, Query) or not lookup.table.startswith(TABLE_PARAM):
            return None
        named = argument(call, callee, lookup.table.removeprefix(TABLE_PARAM))
        if named is None or named.origin != "literal" or not named.text:
            return None
        lookup = replace(lookup, table=named.text)
        if not _scoped(lookup, project):
            return None
        found = (project.path_of(callee) or "", lookup.span, lookup.table)
    return found


def _scoped(lookup: Query | HelperCall | None, project: Project) -> bool:
    from orgscope_lint.analysis.caller_proof import Proof, lookup_proof

    return lookup is not None and lookup_proof(lookup, project) in (Proof.OWNER, Proof.VERIFIED)


def _checked_by_callee(
    fn: FunctionFact, path: str, param: str, project: Project, depth: int
) -> _Found | None:
    from orgscope_lint.analysis.caller_proof import argument, targets

    for call in project.calls_in(path, fn.qualname):
        callees, sure = targets(call, project, path)
        if len(callees) != 1 or not sure:
            continue
        callee = callees[0]
        callee_path = project.path_of(callee)
        for slot in callee.params:
            arg = argument(call, callee, slot)
            if callee_path is None or not _passes_param(arg, param):
                continue
            found = _verified(callee, callee_path, slot, project, depth + 1)
            if found is not None:
                return found
    return None


def _checked_by_answer(fn: FunctionFact, path: str, param: str, project: Project) -> _Found | None:
    """A call every normal exit of `fn` made with `param`, told who asks, whose answer
    `fn` required (`if not await is_member(client, workspace_id, user.id): raise`), or
    which verifies it (`FunctionFact.checked_on_exit`, `called_check`)."""
    refs = next((refs for name, refs in fn.checked_on_exit if name == param), ())
    checked = called_check(path, fn.qualname, refs, project, told_who=True) if refs else None
    return (checked.path, checked.lookup, checked.table) if checked is not None else None


def _passes_param(arg: ArgFact | None, param: str) -> bool:
    return arg is not None and arg.params == (param,) and not (arg.origin or "").startswith("row")


def query_check(
    query: Query, fn: FunctionFact | None, project: Project, path: str = ""
) -> DependencyCheck | None:
    """The dependency that authorised a request id the query of route `fn` is pinned by,
    or a function called before it with that id that checks it (`path`: the file)."""
    for fact in query.shape.keys:
        origin = fact.origin or ""
        if fact.always and origin.startswith("request") and len(fact.params) == 1:
            found = route_check(fn, fact.params[0], project)
            if found is not None:
                return found
        if fact.always and fact.checked and fn is not None:
            found = called_check(path, fn.qualname, fact.checked, project)
            if found is not None:
                return found
    return None


def checked_before_exit(
    fn: FunctionFact | None, param: str, path: str, project: Project, reading: Span | None = None
) -> DependencyCheck | None:
    """A call every normal exit of `fn` made with its parameter `param` that checks it
    (`FunctionFact.checked_on_exit`): what `fn` read by `param` before the call leaves
    `fn` only once the check passed (`role = get_user_role(client, org_id, user_id)`
    after the reads, raising for a non-member). `reading`: the call that does the read,
    which cannot be its own check."""
    if fn is None:
        return None
    refs = next((refs for name, refs in fn.checked_on_exit if name == param), ())
    if reading is not None:
        here = f"{reading.line}:{reading.column}:"
        refs = tuple(ref for ref in refs if not ref.startswith(here))
    if not refs:
        return None
    # The earliest check that holds: what is written after it, the check has passed.
    ordered = sorted(refs, key=lambda ref: tuple(map(int, ref.split(":")[:2])))
    checked = called_check(path, fn.qualname, ordered, project)
    if checked is None or checked.called_at is None:
        return None
    if not _no_write_before(fn, path, project, checked.called_at):
        return None  # a write before the check may already carry what was read away
    return checked


def reads_only(fn: FunctionFact, project: Project) -> bool:
    """No query of `fn`'s own body writes (its file known)."""
    queries = project.queries_of(fn)
    return queries is not None and all(q.operation in ("read", "count") for q in queries)


def _no_write_before(fn: FunctionFact, path: str, project: Project, line: int) -> bool:
    """No write in `fn`'s own body on a line before `line`, nor reached through a call
    on one (source order: a check every normal exit makes comes after what precedes it
    on the way there)."""
    from orgscope_lint.analysis.caller_proof import imported_targets

    queries = project.queries_of(fn)
    if queries is None:
        return False
    if any(q.operation not in ("read", "count") and q.span.line < line for q in queries):
        return False
    for call in project.calls_in(path, fn.qualname):
        if call.span.line >= line:
            continue
        reached = imported_targets(call, project, path)[0]
        if not all(writes_nothing_through(callee, project) for callee in reached):
            return False
    return True


def writes_nothing_through(fn: FunctionFact, project: Project, depth: int = 4) -> bool:
    """No write in `fn`'s body, nor in any project function it reaches within `depth`
    calls or defines inside itself (files known): what it does with a caller's value
    stays a read."""
    from orgscope_lint.analysis.caller_proof import imported_targets

    seen: set[int] = set()
    frontier = [fn]
    for _ in range(depth + 1):
        following: list[FunctionFact] = []
        for current in frontier:
            if id(current) in seen:
                continue
            seen.add(id(current))
            path = project.path_of(current)
            if path is None or not reads_only(current, project):
                return False
            for call in project.calls_in(path, current.qualname):
                following.extend(imported_targets(call, project, path)[0])
            following.extend(project.nested_in(current))
        frontier = following
    return not [current for current in frontier if id(current) not in seen]


def called_check(
    path: str, function: str, refs: Iterable[str], project: Project, told_who: bool = False
) -> DependencyCheck | None:
    """`await verify_thread_access(client, thread_id, user_id)` returned before this use of
    `thread_id` (`refs`: "line:column:slot" of such calls in `function` of `path`): the
    value is checked when the one function that call reaches checks that parameter, in
    itself or in a function it hands it to, by a tenant-scoped or membership lookup that
    raised or returned when it found nothing. `told_who`: an access check whose answer
    was required counts only when it was handed the principal's own identity or tenant,
    not only something of the principal's (its client)."""
    from orgscope_lint.analysis.caller_proof import targets

    calls = project.calls_in(path, function)
    for ref in refs:
        line, column, slot, *kind = ref.split(":")
        at = (int(line), int(column))
        call = next((c for c in calls if (c.span.line, c.span.column) == at), None)
        callees, sure = targets(call, project, path) if call is not None else ([], False)
        if call is None or len(callees) != 1 or not sure:
            continue
        callee = callees[0]
        param = param_at(callee, slot)
        callee_path = project.path_of(callee)
        if param is None or callee_path is None or not _told_truly(call, callee, param, project):
            continue
        if kind == ["guard"]:
            # An access check told who asks, whose answer the code required.
            if told_who and not _told_who(call, callee, param, project):
                continue
            return DependencyCheck(callee.name, param, path, call.span, None, call.span.line)
        found = _verified(callee, callee_path, param, project, 0) or _checked_in_named_table(
            call, callee, param, project
        )
        if found is not None:
            return DependencyCheck(callee.name, param, *found, called_at=call.span.line)
        read = returned_read_checked(call, callee, param, project)
        if read is not None:
            where = (callee_path, read.span, read.table)
            return DependencyCheck(callee.name, param, *where, called_at=call.span.line)
    return None


def returned_read_checked(
    call: CallFact, callee: FunctionFact, param: str, project: Project
) -> Query | None:
    """`agent, error = get_agent_by_id(agent_id)`, then `agent`'s tenant checked against
    the caller, raising otherwise: the read the callee returns, pinned by `param`, found
    a row of the caller's tenant, so the id it was given is one (check-then-act one call
    away). Or the caller was found among the rows (`CallFact.principal_among`) of a
    read pinned by `param` to a tenant: the caller belongs to it."""
    checked = call.result_checked or call.result_guarded
    if not (checked or call.principal_among) or callee.returns_query is None:
        return None
    read = next(
        (q for q in project.queries_of(callee) or () if q.span == callee.returns_query), None
    )
    # The caller found among the rows: only a read pinned to a tenant says of which.
    key = project.key_for(read.table) if read is not None and not checked else None
    pinned = read is not None and any(
        fact.always
        and fact.params == (param,)
        and not fact.origin
        and not fact.row
        and (checked or fact.key == key)
        for fact in read.shape.keys
    )
    return read if pinned else None


def _told_truly(call: CallFact, callee: FunctionFact, checked: str, project: Project) -> bool:
    """The check is told the truth about who asks and in which tenant: it gets the
    principal where it expects the principal, and no request input where it expects
    who asks or which tenant (a check told `body.user_id` or `?org_id=` checks someone
    else). Another id from the request (`_log_or_404(db, log_id, contractor_id, org)`)
    only narrows what its lookup must find."""
    from orgscope_lint.analysis.caller_proof import argument

    for param in callee.params:
        if param in (checked, "self", "cls"):
            continue
        arg = argument(call, callee, param)
        origin = (arg.origin or "") if arg is not None else ""
        if origin.startswith("request") and _names_who_or_where(param, callee, project):
            return False
        if param in project.config.principal_names and origin not in ("principal", "unverified"):
            return False
    return True


def _told_who(call: CallFact, callee: FunctionFact, checked: str, project: Project) -> bool:
    """The call hands `callee` the principal's own where it expects who asks or in which
    tenant (`is_member(client, workspace_id, user.id)`), not only something of the
    principal's (its client)."""
    from orgscope_lint.analysis.caller_proof import argument

    for param in callee.params:
        if param == checked or not _names_who_or_where(param, callee, project):
            continue
        arg = argument(call, callee, param)
        if arg is not None and arg.origin in ("principal", "unverified"):
            return True
    return False


def _names_who_or_where(param: str, callee: FunctionFact, project: Project) -> bool:
    """A parameter that says who asks or in which tenant: the principal, a tenant-like
    or identity name, an owner key."""
    config = project.config
    return (
        param in callee.org_params
        or param in config.principal_names
        or param in config.owner_keys
        or identity.is_identity_column(param)
        or param in config.tenant_like_names
    )


def param_at(fn: FunctionFact, slot: str) -> str | None:
    if not slot.isdigit():
        return slot if slot in fn.params else None
    index = int(slot) + fn.bound
    return fn.params[index] if index < len(fn.params) else None
