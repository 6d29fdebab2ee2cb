"""Call facts: which project function a call may reach, and where its arguments come
from, so that a query filtered by a parameter can be judged by what its callers pass
(`caller_proof`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

import libcst as cst

from orgscope_lint.analysis import execution_context
from orgscope_lint.analysis import values as V
from orgscope_lint.analysis.constructions import FIELD
from orgscope_lint.analysis.service_api import CallArgs
from orgscope_lint.analysis.slicing import may_be_project_call as may_be_project_call
from orgscope_lint.analysis.syntax import dotted_name
from orgscope_lint.analysis.values import Value
from orgscope_lint.facts import ArgFact, CallFact, FunctionFact, HelperCall, Query

# Decorators that wrap a function without handing it to anything else to call: by the
# module they come from, or by what the decorating method does (a tracing span, a retry).
_WRAPPERS = frozenset({"functools", "staticmethod", "classmethod", "property", "abc"})
_WRAPPING_METHODS = frozenset(
    {"start_as_current_span", "start_span", "trace", "traced", "observe", "instrument", "retry"}
)


def arg_facts(args: CallArgs, org_params: Iterable[str] = ()) -> tuple[ArgFact, ...]:
    """`org_params`: the calling function's tenant-id parameters (see `_arg`)."""
    orgs = frozenset(org_params)
    found = [_arg(str(index), value, orgs) for index, value in enumerate(args.positional)]
    found.extend(_arg(keyword, value, orgs) for keyword, value in args.keywords.items())
    return tuple(found)


def _arg(slot: str, value: Value, org_params: frozenset[str]) -> ArgFact:
    """Provenance as the interpreter knows it, with the calls that may have checked it."""
    found = _provenance(slot, value, org_params)
    return replace(found, checked=tuple(sorted(value.checked))) if value.checked else found


def _provenance(slot: str, value: Value, org_params: frozenset[str]) -> ArgFact:
    """A lookup is kept as a reference in the origin ("verified:q3", "row:h1") until
    `with_lookups` copies the fact itself in."""
    origin = value.origin
    if origin and origin.startswith("verified:") and not value.params & org_params:
        # A tenant id "verified" by a lookup scoped by that same id proves nothing: it is
        # as good as what the function's callers pass, judged through `params` below.
        return ArgFact(slot, origin)
    if origin and origin.startswith("request"):
        # Its parameter too: a route dependency may have authorised that path parameter.
        return ArgFact(slot, origin, tuple(sorted(value.params)))
    if origin and origin.split(":")[0] in ("principal", "unverified"):
        return ArgFact(slot, origin)
    if origin == execution_context.CONTEXT:
        return ArgFact(slot, origin)  # server-held: see caller_proof._passed
    if origin and origin.startswith(FIELD):
        return ArgFact(slot, origin)  # the object's, from its constructor
    if value.row and not (origin or "").startswith("verified:"):
        return ArgFact(slot, f"row:{value.row}")
    if value.kind in (V.STR, V.NONE):
        return ArgFact(slot, "literal")
    return ArgFact(slot, None, tuple(sorted(value.params)))


def with_lookups(
    calls: Iterable[CallFact], queries: Sequence[Query], helper_calls: Sequence[HelperCall]
) -> tuple[CallFact, ...]:
    """The calls with each reference to a lookup replaced by the lookup's own fact, as it
    stands once the whole module is analysed (an ownership check after it included)."""
    return tuple(_call_with_lookups(call, queries, helper_calls) for call in calls)


def _call_with_lookups(
    call: CallFact, queries: Sequence[Query], helper_calls: Sequence[HelperCall]
) -> CallFact:
    # Most calls hand over no lookup: they are kept as they are, not copied.
    args = tuple(_resolved(arg, queries, helper_calls) for arg in call.args)
    return call if args == call.args else replace(call, args=args)


def verifications_with_lookups(
    functions: Iterable[FunctionFact], queries: Sequence[Query], helper_calls: Sequence[HelperCall]
) -> tuple[FunctionFact, ...]:
    """`FunctionFact.verifies` with its lookups resolved as `with_lookups` does."""
    return tuple(
        replace(fn, verifies=tuple(_resolved(v, queries, helper_calls) for v in fn.verifies))
        if fn.verifies
        else fn
        for fn in functions
    )


def _resolved(
    arg: ArgFact, queries: Sequence[Query], helper_calls: Sequence[HelperCall]
) -> ArgFact:
    kind, _, ref = (arg.origin or "").partition(":")
    if kind not in ("verified", "row") or not ref[1:].isdigit():
        return arg
    index = int(ref[1:])
    found = queries if ref[0] == "q" else helper_calls
    lookup = found[index] if index < len(found) else None
    return replace(arg, origin=kind if lookup is not None else None, lookup=lookup)


def escaped_names(node: cst.Call, bound: Iterable[str]) -> set[str]:
    """Functions handed to a call as values (`submit(get_thread, i)`, `Depends(self.x)`):
    whoever calls them later is not seen."""
    local = set(bound)
    found: set[str] = set()
    for arg in node.args:
        value = arg.value
        if isinstance(value, cst.Name) and value.value not in local:
            found.add(value.value)
        elif isinstance(value, cst.Attribute) and dotted_name(value.value) in ("self", "cls"):
            found.add(value.attr.value)
    return found


def bound_task(decorators: Sequence[cst.Decorator]) -> bool:
    """Registered with `bind=True` (`@celery_app.task(bind=True)`): the framework passes
    the task itself first."""
    for decorator in decorators:
        target = decorator.decorator
        if not isinstance(target, cst.Call):
            continue
        for arg in target.args:
            value = arg.value
            bound = isinstance(value, cst.Name) and value.value == "True"
            if arg.keyword is not None and arg.keyword.value == "bind" and bound:
                return True
    return False


def registered(decorators: Sequence[cst.Decorator]) -> bool:
    """Handed to a framework object by a decorator (`@app.task`, `@bus.on("x")`)."""
    for decorator in decorators:
        target = decorator.decorator
        if isinstance(target, cst.Call):
            target = target.func
        if not isinstance(target, cst.Attribute):
            continue
        if target.attr.value in _WRAPPING_METHODS:
            continue
        if dotted_name(target).split(".")[0] not in _WRAPPERS:
            return True
    return False
