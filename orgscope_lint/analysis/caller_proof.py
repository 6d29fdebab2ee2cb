"""Queries proven by their callers: a helper that filters by its own parameter
(`get_thread(client, thread_id)` reading `threads` by `thread_id` alone) is as scoped as
the values every call site in the project passes for that parameter.

- every caller passes the principal's own id (or a row of the principal's own): the
  query is owner-scoped, silent;
- every caller passes an id a tenant-scoped lookup verified or returned, the id of a
  row it has just created (a helper returning its own insert's row), or a value of the
  execution context: safe because of the callers, a defense-in-depth warning (ORG013)
  naming them;
- a caller passes request input: the leak enters there, reported at that call (ORG001),
  and not again at the query unless other callers pass values nothing proves (then the
  query is judged alone as well: their paths are covered by no other finding);
- anything else (no call site, a call the analysis cannot resolve, a value it does not
  know): the query is judged alone, as without callers.

A caller's own parameter is judged by that caller's call sites in turn, to a bounded
depth; a cycle proves nothing.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from orgscope_lint.analysis import dependency_values, execution_context, fresh_values
from orgscope_lint.analysis.constructions import FIELD
from orgscope_lint.facts import (
    ArgFact,
    CallFact,
    FileFacts,
    FunctionFact,
    HelperCall,
    KeyState,
    Query,
    ShapeKind,
)
from orgscope_lint.findings import Span
from orgscope_lint.project import Project

MAX_DEPTH = 4


class Proof(enum.Enum):
    OWNER = "owner"  # every caller passes the principal's own id
    VERIFIED = "verified"  # every caller passes an id a scoped lookup verified
    LEAK = "leak"  # some caller passes request input
    UNPROVEN = "unproven"  # judged alone


@dataclass(frozen=True)
class Site:
    path: str
    call: CallFact
    sure: bool = True  # surely reaches the function: only then is a leak reported there


@dataclass(frozen=True)
class Check:
    """A call site that passes a verified id, and the lookup that verified it."""

    site: Site
    lookup: Span
    row: bool = False  # the id was read from the lookup's row, not checked by it
    lookup_path: str | None = None  # the lookup's file, when not the call site's
    after: bool = False  # the caller checked the row it got back, right after the call
    created: bool = False  # the id is that of a row the lookup (an insert) just created


@dataclass(frozen=True)
class Entry:
    """Where request input enters: the call, what it calls, as which parameter."""

    site: Site
    callee: str
    param: str
    origin: str  # "request:path", ...


@dataclass(frozen=True)
class Judgement:
    proof: Proof
    checks: tuple[Check, ...] = ()
    entries: tuple[Entry, ...] = ()
    # VERIFIED: call sites that pass a value of the execution context instead of a
    # checked id (`execution_context`).
    held: tuple[Site, ...] = ()
    # LEAK only: other call sites pass values nothing proves, so the query is also
    # judged alone; the findings at the leaking calls cover only their own paths.
    partial: bool = False


UNPROVEN = Judgement(Proof.UNPROVEN)
OWNER = Judgement(Proof.OWNER)


@dataclass(frozen=True)
class Reached:
    """A query a leaking call site reaches, for the finding at that site."""

    entry: Entry
    path: str
    query: Query


def judge(query: Query, path: str, fn: FunctionFact | None, project: Project) -> Judgement:
    """What the callers of `fn` prove about `query`, a query of `fn` in file `path`."""
    fn = _closure_owner(query, fn, path, project)
    params = proof_params(query, fn, project)
    if fn is None or not params:
        return _field_judgement(query, path, fn, project)
    sites = callers_of(fn, project)
    here = frozenset((path, fn.qualname, param) for param in params)
    # Per call site, the best-pinned parameter decides: a query pinned to the principal's
    # own id is the principal's whatever else it is filtered by.
    judged = _combine(
        _checked_after(site, fn, query, project)
        or _best([_site(site, fn, param, project, 0, here) for param in params])
        for site in sites
    )
    if judged.proof is Proof.LEAK and _told_who_asks(fn, path, params, project):
        return UNPROVEN
    if judged.proof is not Proof.OWNER and fn.org_params and not set(params) & set(fn.org_params):
        # Given the tenant and dropping it: the fault is inside (ORG005), unless every
        # caller pins the query to the principal's own rows anyway.
        return UNPROVEN
    return judged


def _closure_owner(
    query: Query, fn: FunctionFact | None, path: str, project: Project
) -> FunctionFact | None:
    """A closure pinned by its enclosing function's parameter (`def op(): return
    sb.table("members").select().eq("user_id", user_id)`, handed to a retry helper) is
    as scoped as what that function's callers pass: the value is fixed when it runs."""
    if fn is None or "." not in fn.qualname:
        return fn
    pinned = {fact.params[0] for fact in query.shape.keys if fact.always and len(fact.params) == 1}
    if not pinned or pinned & set(fn.params):
        return fn
    outer = project.function_at.get((path, fn.qualname.rsplit(".", 1)[0]))
    return outer if outer is not None and pinned <= set(outer.params) else fn


def _checked_after(
    site: Site, fn: FunctionFact, query: Query, project: Project
) -> Judgement | None:
    """The function returns this read's rows, and the caller compared the row it got
    back with the principal right after the call, raising otherwise: a post-fetch check
    one call away. Whatever id it passed, nothing of another tenant's row is used."""
    if fn.returns_query != query.span:
        return None
    if site.call.result_unused and query.operation in ("read", "count"):
        return OWNER  # only tested for existence: nothing of the rows leaves this call
    # Its tenant handed with the principal to an access check that passed, or compared.
    guarded = site.call.result_guarded
    tenant_guarded = guarded is not None and guarded == project.key_for(query.table)
    if tenant_guarded or site.call.result_checked or _checked_against_owner(site, query, project):
        return Judgement(Proof.VERIFIED, checks=(Check(site, site.call.span, after=True),))
    if site.call.principal_among and _pinned_to_tenant(query, project):
        # The caller was found among the rows: all of the one tenant it belongs to.
        return Judgement(Proof.VERIFIED, checks=(Check(site, site.call.span, after=True),))
    return None


def _pinned_to_tenant(query: Query, project: Project) -> bool:
    key = project.key_for(query.table)
    return any(fact.always and fact.key == key and fact.params for fact in query.shape.keys)


def _checked_against_owner(site: Site, query: Query, project: Project) -> bool:
    """The caller compared the row's tenant or owner column with its own parameter, and
    every caller of its own passes the principal's id there."""
    against = site.call.result_checked_against
    caller = project.function_at.get((site.path, site.call.function or ""))
    if against is None or caller is None:
        return False
    param, column = against
    if column != project.scoping_column(query.table) and column not in project.config.owner_keys:
        return False
    return _param(caller, site.path, param, project, 1, frozenset()).proof is Proof.OWNER


def _best(judged: list[Judgement]) -> Judgement:
    for wanted in (Proof.OWNER, Proof.VERIFIED, Proof.UNPROVEN):
        found = next((j for j in judged if j.proof is wanted), None)
        if found is not None:
            return found
    return _combine(judged)  # request input in every parameter it is pinned by


def _told_who_asks(fn: FunctionFact, path: str, pinning: list[str], project: Project) -> bool:
    """Every caller also passes the principal's own id, which the query does not filter
    by: the function decides access itself (`verify_access(thread_id, user_id)`), so
    whether it admits too much is its own fault, judged inside, not its callers'."""
    others = [p for p in fn.params if p not in pinning and p not in ("self", "cls")]
    return any(
        _param(fn, path, other, project, 0, frozenset()).proof is Proof.OWNER for other in others
    )


def leaks_in(path: str, project: Project) -> list[Reached]:
    """The queries that request input passed at a call in `path` reaches unscoped."""
    if project.caller_leaks is None:
        project.caller_leaks = _all_leaks(project, _id_judgement)
    return project.caller_leaks.get(path, [])


def tenant_leaks_in(path: str, project: Project) -> list[Reached]:
    """The queries whose tenant key request input passed at a call in `path` sets."""
    if project.caller_tenant_leaks is None:
        project.caller_tenant_leaks = _all_leaks(project, _tenant_judgement)
    return project.caller_tenant_leaks.get(path, [])


def _all_leaks(
    project: Project, judged: Callable[[Query, FileFacts, Project], Judgement]
) -> dict[str, list[Reached]]:
    found: dict[str, list[Reached]] = {}
    for facts in project.file_facts:
        for query in facts.queries:
            judgement = judged(query, facts, project)
            for entry in judgement.entries if judgement.proof is Proof.LEAK else ():
                found.setdefault(entry.site.path, []).append(Reached(entry, facts.path, query))
    return found


def _id_judgement(query: Query, facts: FileFacts, project: Project) -> Judgement:
    """What the callers pass for the ids the query is pinned by (a read only tested for
    existence leaks nowhere)."""
    from orgscope_lint.anonymous_rows import visitors_own_row
    from orgscope_lint.tenancy import existence_only

    fn = facts.function(query.function)
    if fn is None or existence_only(query, facts, project):
        return UNPROVEN
    if visitors_own_row(query, facts, project):
        return UNPROVEN  # an anonymous visitor's own row, by the id they were given
    return judge(query, facts.path, fn, project)


def _tenant_judgement(query: Query, facts: FileFacts, project: Project) -> Judgement:
    """What the callers pass for the parameter the query's tenant key is set to."""
    fn = facts.function(query.function)
    param = tenant_param(query, fn, project)
    if fn is None or param is None or _told_who_asks(fn, facts.path, [param], project):
        return UNPROVEN  # told who asks too, the function decides access: judged inside
    fact = query.shape.get(project.scoping_column(query.table) or "")
    field = fact.column if fact is not None and not fact.row else None  # `data.org_id`
    return _param(fn, facts.path, param, project, 0, frozenset(), field)


def tenant_param(query: Query, fn: FunctionFact | None, project: Project) -> str | None:
    """The parameter of `fn` the query's tenant key is set to on every path, as the
    function received it: the callers choose the tenant (`list_buildings(db,
    company_id)` reading `buildings` by `company_id`). For a table scoped through its
    parent, the parameter its parent id is set to: the callers choose the parent
    (`versions_of(quote_id)` reading `quote_versions` by `quote_id`)."""
    from orgscope_lint.per_user_tables import per_user_table

    if fn is None or fn.route:
        return None
    key = project.scoping_column(query.table) if query.table not in project.tenant_rows else None
    if (
        key is None
        or query.shape.kind is not ShapeKind.DICT
        or per_user_table(query.table, project)
    ):
        return None  # no tenant key, or one that is only a tag on per-user rows
    if any(fact.key in project.config.owner_keys for fact in query.shape.keys):
        return None  # a membership lookup: the requested tenant is what it checks
    fact = query.shape.get(key)
    if fact is None or not fact.always or fact.origin or fact.row or len(fact.params) != 1:
        return None
    return fact.params[0] if fact.params[0] in fn.params else None


def proof_params(query: Query, fn: FunctionFact | None, project: Project) -> list[str]:
    """The parameters of `fn` the query's filter is pinned by, when it lacks the tenant
    key and nothing inside `fn` scopes it (no row, no check, not the principal's)."""
    if fn is None or not _callers_decide(query, fn, project):
        return []
    params: list[str] = []
    for fact in query.shape.keys:
        if fact.row or fact.origin:
            return []  # a row, a check, the principal: judged inside the function
        if fact.always and len(fact.params) == 1 and fact.params[0] in fn.params:
            params.append(fact.params[0])
    return sorted(set(params))


def _callers_decide(query: Query, fn: FunctionFact, project: Project) -> bool:
    """The query lacks the tenant key and nothing inside `fn` scopes it: what it reads
    or writes is what `fn`'s callers (or its object's constructors) chose."""
    if fn.route or (fn.db_class and fn.org_params):
        return False  # a route's callers are requests; a DB helper dropping its org is ORG005
    key = project.key_for(query.table)
    shape = query.shape
    if key is None or query.operation == "insert" or shape.kind is not ShapeKind.DICT:
        return False
    if query.checked_by_param and query.checked_by_param in fn.params:
        return False  # compared with a parameter after the fetch: judged through that one
    if query.ownership_checked or project.state_for(shape, key) is not KeyState.ABSENT:
        return False
    return not (fresh_values.probes_fresh_value(shape) or _scoped_inside(query, fn, project))


def _field_judgement(
    query: Query, path: str, fn: FunctionFact | None, project: Project
) -> Judgement:
    """`self.client.table(...).eq("user_id", self.user.id)` in a method: pinned by what
    every construction of its class passed (`constructor_fields`); the best-pinned
    field decides, as the best-pinned parameter does at a call site."""
    if fn is None or not _callers_decide(query, fn, project):
        return UNPROVEN
    pinned = sorted(
        {
            fact.origin.removeprefix(FIELD)
            for fact in query.shape.keys
            if fact.always and fact.origin and fact.origin.startswith(FIELD)
        }
    )
    init = _init_of(path, fn, project) if pinned else None
    if init is None:
        return UNPROVEN
    return _best([_param(init, path, param, project, 0, frozenset()) for param in pinned])


def _init_of(path: str, fn: FunctionFact, project: Project) -> FunctionFact | None:
    """The `__init__` of the class `fn` is a method of, in the same file."""
    if fn.class_name is None:
        return None
    owner = fn.qualname.rpartition(".")[0]
    return project.function_at.get((path, f"{owner}.__init__"))


def _scoped_inside(query: Query, fn: FunctionFact, project: Project) -> bool:
    from orgscope_lint.analysis import identity
    from orgscope_lint.tenancy import owner_key_pinned, stale_key

    if owner_key_pinned(query, project) or stale_key(query, project) is not None:
        return True
    return identity.pins_own_identity(
        query.shape, fn, project.principal_providers, project.identity_params(fn)
    )


def param_proof(fn: FunctionFact, path: str, param: str, project: Project) -> Proof:
    """What every call site of `fn` (in file `path`) passes as `param`."""
    return _param(fn, path, param, project, 0, frozenset()).proof


def _param(
    fn: FunctionFact,
    path: str,
    param: str,
    project: Project,
    depth: int,
    visiting: frozenset[tuple[str, str, str]],
    field: str | None = None,
) -> Judgement:
    """What every call site of `fn` passes as `param`; with `field`, what they pass as
    that field of it (`request.conversation_id` is all the function used)."""
    here = (path, fn.qualname, param if field is None else f"{param}.{field}")
    if depth > MAX_DEPTH or here in visiting:
        return UNPROVEN
    memo = project.caller_proofs.get(here)
    if memo is not None:
        return memo
    sites = callers_of(fn, project)
    if not sites:
        return UNPROVEN  # no call site, or one the analysis cannot resolve
    judged = [_site(site, fn, param, project, depth, visiting | {here}, field) for site in sites]
    result = _combine(judged)
    if not visiting:
        project.caller_proofs[here] = result  # within a cycle a result may be partial
    return result


def _site(
    site: Site,
    fn: FunctionFact,
    param: str,
    project: Project,
    depth: int,
    visiting: frozenset[tuple[str, str, str]],
    field: str | None = None,
) -> Judgement:
    judged = _passed(site, fn, param, project, depth, visiting, field)
    # A call that may reach something else proves the function nothing it would not
    # prove anyway, and is no place to report a leak at.
    return UNPROVEN if judged.proof is Proof.LEAK and not site.sure else judged


def _passed(
    site: Site,
    fn: FunctionFact,
    param: str,
    project: Project,
    depth: int,
    visiting: frozenset[tuple[str, str, str]],
    field: str | None = None,
) -> Judgement:
    arg = argument(site.call, fn, param)
    origin = (arg.origin or "") if arg is not None else ""
    if arg is None or origin == "literal":
        return UNPROVEN
    verified = dict(arg.checked_fields).get(field) if field is not None else None
    if verified == "principal":
        return OWNER  # `process(body)` once the principal vouched for `body.org_id`
    if isinstance(verified, (Query, HelperCall)):
        # `process(request)` once a lookup found `request.conversation_id`, the one
        # field of it the function uses.
        return _lookup(site, verified, False, project)
    if site.call.principal_among and origin not in ("principal", "unverified"):
        found = _found_among(site, fn, param, project)
        if found is not None:
            return found
    if arg.checked and origin not in ("principal", "unverified"):
        checked = _called_check(site, arg, project)
        if checked is not None:
            return checked
    if origin in ("principal", "unverified"):
        return OWNER  # the principal's own id (or None: matches nothing)
    caller = project.function_at.get((site.path, site.call.function or ""))
    if origin.startswith("request"):
        return _request_input(site, fn, param, arg, caller, project)
    if origin in ("verified", "row"):
        return _lookup(site, arg.lookup, origin == "row", project)
    if origin == execution_context.CONTEXT:
        return Judgement(Proof.VERIFIED, held=(site,))  # the run's own, bound elsewhere
    if origin.startswith(FIELD):  # `self.user.id`: what every construction passed
        return _constructed(site, origin.removeprefix(FIELD), project, depth, visiting)
    if len(arg.params) != 1 or caller is None:
        return UNPROVEN
    given = dependency_values.request_origin(caller, arg.params[0], project)
    if given is not None:  # filled by a dependency that may return request input
        return _request_input(site, fn, param, replace(arg, origin=given), caller, project)
    # A field of the caller's parameter (`request.conversation_id`), or the parameter
    # itself when a field of it is what counts; a field of a field is judged as the
    # whole parameter.
    onward = arg.field if field is None else (field if arg.field is None else None)
    return _param(caller, site.path, arg.params[0], project, depth + 1, visiting, onward)


def _constructed(
    site: Site,
    param: str,
    project: Project,
    depth: int,
    visiting: frozenset[tuple[str, str, str]],
) -> Judgement:
    """A value of the calling method's object, which its class's `__init__` stored from
    `param` (`constructor_fields`): judged at every construction of the class."""
    caller = project.function_at.get((site.path, site.call.function or ""))
    init = _init_of(site.path, caller, project) if caller is not None else None
    if init is None:
        return UNPROVEN
    return _param(init, site.path, param, project, depth + 1, visiting)


def _request_input(
    site: Site,
    fn: FunctionFact,
    param: str,
    arg: ArgFact,
    caller: FunctionFact | None,
    project: Project,
) -> Judgement:
    """Request input, unless a dependency of the calling route authorised it."""
    from orgscope_lint.analysis.dependency_checks import (
        checked_before_exit,
        route_check,
        writes_nothing_through,
    )

    checked = route_check(caller, arg.params[0], project) if len(arg.params) == 1 else None
    if checked is None and len(arg.params) == 1 and _only_reads(fn, param, project):
        # `operators = list_operators(client, org_id)`, then `get_user_role(client, org_id,
        # user_id)` raising for a non-member before the route returns: nothing read leaves.
        checked = checked_before_exit(
            caller, arg.params[0], site.path, project, reading=site.call.span
        )
    if checked is not None:
        check = Check(site, checked.lookup, lookup_path=checked.path)
        return Judgement(Proof.VERIFIED, checks=(check,))
    if _result_left_behind(site, fn, project) and writes_nothing_through(fn, project):
        # `verify_token = get_setting("verify_token", tenant_id=tenant_id)` only compared
        # with the token the request presents, `require_feature(get_plan(org_id), "sso")`:
        # nothing the reads found leaves the caller.
        return OWNER
    if _signature_check(site, fn, caller, project):
        # `if not verify_meta_signature(body, signature, tenant_id): return 403`: the
        # tenant's own secret is read to check the request was signed with it.
        return OWNER
    if site.call.guards and _told_at(site, fn, param):
        # `if not project_role(user["id"], project_id): raise`: an access check, handed
        # the principal; what it reads to decide is judged inside it.
        return UNPROVEN
    # A construction is named by its class: `RoleService(sb, user_id)` calls `__init__`.
    callee = fn.class_name if fn.name == "__init__" and fn.class_name else fn.qualname
    return Judgement(Proof.LEAK, entries=(Entry(site, callee, param, arg.origin or ""),))


def _signature_check(
    site: Site, fn: FunctionFact, caller: FunctionFact | None, project: Project
) -> bool:
    """`fn` answers whether a webhook is signed with the secret of the tenant it is told
    (`compare_digest`), writes nothing, and the caller rejects every request it says no
    to: the request proved it comes from that tenant."""
    from orgscope_lint.analysis.dependency_checks import writes_nothing_through

    return (
        fn.answers_tenant_signature is not None
        and caller is not None
        and site.call.name in caller.rejects_unless
        and writes_nothing_through(fn, project)
    )


def _result_left_behind(site: Site, fn: FunctionFact, project: Project) -> bool:
    """The caller only decides on what the call returned, or drops it, or hands it whole
    to calls whose parameters only decide; and nothing relies on the call as a check:
    `fn` verifies no argument and checks no row, and, when the caller's test of the
    result is an existence check (`if not get_workflow(org_id, id): raise 404`), no
    later use of a value it was handed counts on it: the pre-check is where that use's
    fault lies."""
    call = site.call
    if not call.result_unused and not call.result_handed:
        return False
    if fn.verifies or fn.checks_rows:
        return False
    if call.result_handed:
        return all(_only_decides(site, ref, project) for ref in call.result_handed)
    if call.result_use != "presence":
        return True
    at = f"{call.span.line}:{call.span.column}:"
    caller = project.function_at.get((site.path, call.function or ""))
    later = [
        ref
        for query in (project.queries_of(caller) or [] if caller is not None else [])
        for fact in query.shape.keys
        for ref in fact.checked
    ]
    later += [
        ref
        for other in project.calls_in(site.path, call.function or "")
        if targets(other, project, site.path)[0]  # a log line relies on nothing
        for arg in other.args
        for ref in arg.checked
    ]
    return not any(ref.startswith(at) for ref in later)


def _only_decides(site: Site, ref: str, project: Project) -> bool:
    """The call at `ref` ("line:column:slot") surely reaches one function, whose
    parameter at that slot only decides."""
    line, column, slot = ref.split(":")
    at = (int(line), int(column))
    calls = project.calls_in(site.path, site.call.function or "")
    call = next((c for c in calls if (c.span.line, c.span.column) == at), None)
    callees, sure = imported_targets(call, project, site.path) if call else ([], False)
    if len(callees) != 1 or not sure:
        return False
    from orgscope_lint.analysis.dependency_checks import param_at

    param = param_at(callees[0], slot)
    return param is not None and param in callees[0].deciding_params


def _only_reads(fn: FunctionFact, param: str, project: Project) -> bool:
    """`fn` only reads: no query of its own writes, and it hands `param` to no other
    function, whose writes the caller's later check would come too late for."""
    from orgscope_lint.analysis.dependency_checks import reads_only

    if not project.queries_of(fn) or not reads_only(fn, project):
        return False
    calls = project.calls_in(project.path_of(fn) or "", fn.qualname)
    return not any(param in arg.params for call in calls for arg in call.args)


def _called_check(site: Site, arg: ArgFact, project: Project) -> Judgement | None:
    """The caller handed this value to a function that checks it before this call."""
    from orgscope_lint.analysis.dependency_checks import called_check

    checked = called_check(site.path, site.call.function or "", arg.checked, project)
    if checked is None:
        return None
    return Judgement(
        Proof.VERIFIED, checks=(Check(site, checked.lookup, lookup_path=checked.path),)
    )


def _found_among(site: Site, fn: FunctionFact, param: str, project: Project) -> Judgement | None:
    """`members = list_members(tenant_id)`, then the caller found among them, raising
    otherwise: the read `fn` returns, pinned to a tenant by `param`, has a row of the
    caller's, so what the site passed is a tenant the caller belongs to. Only for a
    function that writes nothing: its writes were made before the caller checked."""
    from orgscope_lint.analysis.dependency_checks import (
        returned_read_checked,
        writes_nothing_through,
    )

    if returned_read_checked(site.call, fn, param, project) is None:
        return None
    if not writes_nothing_through(fn, project):
        return None
    return Judgement(Proof.VERIFIED, checks=(Check(site, site.call.span, after=True),))


def _told_at(site: Site, fn: FunctionFact, param: str) -> bool:
    """This call also hands `fn` the principal's own id, in another parameter (and the
    caller goes on only if its result is truthy: `CallFact.guards`)."""
    for other in fn.params:
        if other in (param, "self", "cls"):
            continue
        arg = argument(site.call, fn, other)
        if arg is not None and arg.origin in ("principal", "unverified"):
            return True
    return False


def _lookup(
    site: Site, lookup: Query | HelperCall | None, row: bool, project: Project
) -> Judgement:
    """An id a lookup verified or returned: as scoped as that lookup, or the id of a
    row the call has just created."""
    if row and isinstance(lookup, HelperCall) and _creates(lookup, project):
        return Judgement(Proof.VERIFIED, checks=(Check(site, lookup.span, row, created=True),))
    proof = lookup_proof(lookup, project) if lookup is not None else Proof.UNPROVEN
    if proof is Proof.VERIFIED and lookup is not None:
        return Judgement(Proof.VERIFIED, checks=(Check(site, lookup.span, row),))
    return OWNER if proof is Proof.OWNER else UNPROVEN


def lookup_proof(lookup: Query | HelperCall, project: Project) -> Proof:
    """How an id a lookup verified or returned is scoped: by the principal's own id
    (OWNER), by the tenant (VERIFIED), or not known to be (UNPROVEN)."""
    from orgscope_lint.tenancy import owner_key_pinned, scoped_helper_call, tenant_origin

    if isinstance(lookup, HelperCall):
        return Proof.VERIFIED if scoped_helper_call(lookup, project) else Proof.UNPROVEN
    if owner_key_pinned(lookup, project):
        return Proof.OWNER
    key = project.key_for(lookup.table)
    if key is None:
        return Proof.UNPROVEN
    scoped = lookup.ownership_checked or (
        project.state_for(lookup.shape, key) is KeyState.PRESENT
        and not tenant_origin(lookup, project).startswith(("request", "unverified"))
    )
    return Proof.VERIFIED if scoped else Proof.UNPROVEN


def _creates(call: HelperCall, project: Project) -> bool:
    """The call surely reaches one project function, which returns the row it has just
    inserted: an id the server created a moment ago, for whichever tenant that insert
    wrote (the insert is judged on its own)."""
    reached, sure = targets(call, project)
    return sure and len(reached) == 1 and reached[0].returns_created


def _combine(judged: Iterable[Judgement]) -> Judgement:
    """All call sites together: one leak is enough to leak, one unknown to prove nothing."""
    judged = list(judged)
    entries = tuple(e for j in judged for e in j.entries)
    if entries:
        partial = any(j.proof is Proof.UNPROVEN or j.partial for j in judged)
        return Judgement(Proof.LEAK, entries=entries, partial=partial)
    if any(j.proof is Proof.UNPROVEN for j in judged) or not judged:
        return UNPROVEN
    if all(j.proof is Proof.OWNER for j in judged):
        return OWNER
    return Judgement(
        Proof.VERIFIED,
        checks=tuple(c for j in judged for c in j.checks),
        held=tuple(h for j in judged for h in j.held),
    )


def argument(call: CallFact, fn: FunctionFact, param: str) -> ArgFact | None:
    """What `call` passes as `param` of `fn`; None for a default or a spread."""
    by_slot = {arg.slot: arg for arg in call.args}
    if param in by_slot:
        return by_slot[param]
    if call.starred or param not in fn.params:
        return None  # a spread, or a keyword-only parameter it was not given by name
    index = fn.params.index(param) - fn.bound
    return by_slot.get(str(index)) if index >= 0 else None


def callers_of(fn: FunctionFact, project: Project) -> list[Site]:
    """Every call site of `fn`; empty when one may be unseen or cannot be resolved:
    called by a framework, passed as a value, called in code never analysed, or a call
    that may reach another function of the same name as well."""
    if fn.name == "__init__" and fn.class_name is not None:
        return _constructions(fn.class_name, project)
    if fn.route or fn.name in project.unseen_calls:
        return []
    if fn.registered and fn.name not in project.enqueued:
        return []  # called by its framework only: arguments not seen
    if fn.name in project.principal_providers:
        return []  # a dependency: FastAPI calls it
    sites: list[Site] = []
    for path, call in project.calls.get(fn.name, ()):
        reached, sure = targets(call, project, path)
        if len(reached) > 1 and not call.receiver:
            # Two modules define the name: the file's imports say which one it calls.
            reached = project.imported_among(call.name, path, reached)
        if not any(found is fn for found in reached):
            continue  # by identity: two files may hold equal copies of one function
        if len(reached) > 1:
            return []
        sites.append(Site(path, call, sure))
    return sites


def _constructions(cls: str, project: Project) -> list[Site]:
    """Every `cls(...)` of the project, the call sites of its `__init__`; none when it
    may be constructed where the analysis does not look (handed over as a value, as
    `Depends(cls)` does, or with arguments it knows nothing of), when another class
    derives from it, or when two classes have that name."""
    if cls in project.unseen_calls or project.subclassed(cls):
        return []
    if sum(fn.class_name == cls for fn in project.functions.get("__init__", ())) != 1:
        return []
    return [Site(path, call, True) for path, call in project.calls.get(cls, ())]


def targets(
    call: CallFact | HelperCall, project: Project, path: str | None = None
) -> tuple[list[FunctionFact], bool]:
    """The project functions `call` (made in file `path`, when known) may reach, and
    whether it surely reaches one."""
    definitions = project.functions.get(call.name, [])
    functions = [fn for fn in definitions if fn.class_name is None]
    owner = call.receiver_class or _class_named(call.receiver)
    if owner is None and call.receiver and path is not None:
        owner = project.instance_class(call.receiver, path)  # `document_service.get(...)`
    if owner is None and not call.receiver and path is not None:
        # `f(...)` in a module that defines `f` itself calls that one, whatever other
        # modules define a function of that name.
        own = [fn for fn in functions if fn.qualname == fn.name and project.path_of(fn) == path]
        if len(own) == 1:
            return own, True
    if owner is None and (functions or not call.receiver):  # `f(...)`, `module.f(...)`
        if call.receiver and len(functions) > 1 and path is not None:
            # `notifications_service.mark_read(...)` from a route also named `mark_read`:
            # the module the file imported under that name says which.
            functions = project.in_imported_module(call.receiver, path, functions)
        return functions, True
    if owner is not None and owner not in project.classes:
        return [], True  # a class from outside the project (`router.get(...)`)
    exact = [fn for fn in definitions if fn.class_name == owner]
    # An imported instance, a subclass or a base: a method of that name may be reached,
    # or something outside the project.
    return exact or [fn for fn in definitions if fn.class_name is not None], bool(exact)


def imported_targets(
    call: CallFact, project: Project, path: str
) -> tuple[list[FunctionFact], bool]:
    """`targets`, a plain call narrowed to what its file imports under that name: none of
    the project's functions when the name comes from outside (`from supabase import
    create_client`). What a call reaches for the reach of a write or of a gate's answer;
    caller proofs keep `targets`, which takes every same-named function."""
    reached, sure = targets(call, project, path)
    if not call.receiver:
        reached = project.imported_among(call.name, path, reached)
    return reached, sure


def _class_named(receiver: str) -> str | None:
    last = receiver.rsplit(".", 1)[-1]
    return last if last[:1].isupper() else None
