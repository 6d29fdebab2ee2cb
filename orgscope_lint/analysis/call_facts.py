"""Call facts: which project function a call may reach, and where its arguments come
from, so that a query filtered by a parameter can be judged by what its callers pass
(`caller_proof`)."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import replace

import libcst as cst

from orgscope_lint.analysis import execution_context
from orgscope_lint.analysis import values as V
from orgscope_lint.analysis.constructions import FIELD
from orgscope_lint.analysis.paths import EXPRESSION
from orgscope_lint.analysis.service_api import CallArgs
from orgscope_lint.analysis.slicing import may_be_project_call as may_be_project_call
from orgscope_lint.analysis.syntax import dotted_name, string_literal
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
        return ArgFact(slot, "literal", text=value.text if value.kind == V.STR else None)
    return ArgFact(slot, None, tuple(sorted(value.params)))


_FIELD = re.compile(r"""^(\w+)(?:\.(\w+)|\[["'](\w+)["']\])$""")


def with_fields(
    facts: tuple[ArgFact, ...],
    node: cst.Call,
    params: Collection[str],
    variables: Mapping[str, Value],
) -> tuple[ArgFact, ...]:
    """`facts` of the call `node` (in the order `arg_facts` gives them), each argument
    written as a field of a parameter (`request.conversation_id`) naming that field, each
    written as a bare name carrying the fields of it a lookup verified by this point
    (the path's checked expressions among `variables`: `request.conversation_id` ->
    "verified:q3")."""
    if any(arg.star for arg in node.args):
        return facts
    checked: dict[str, Value] = {}
    if any(isinstance(arg.value, cst.Name) for arg in node.args):
        checked = {
            key[len(EXPRESSION) :]: value
            for key, value in variables.items()
            if key.startswith(EXPRESSION)
        }
    written = [a for a in node.args if a.keyword is None]
    written += [a for a in node.args if a.keyword is not None]
    if len(written) != len(facts):
        return facts  # not the arguments these facts were made from
    found = []
    for fact, arg in zip(facts, written, strict=True):
        field = _param_field(arg.value, params)
        verified = _verified_fields(arg.value, checked)
        found.append(
            replace(fact, field=field, checked_fields=verified) if field or verified else fact
        )
    return tuple(found)


def _param_field(value: cst.BaseExpression, params: Collection[str]) -> str | None:
    """`request.conversation_id` or `body["org_id"]`, `request` a parameter: the field.
    Not the object's own attributes (`self.client`: `constructor_fields`)."""
    params = [param for param in params if param not in ("self", "cls")]
    if isinstance(value, cst.Attribute) and isinstance(value.value, cst.Name):
        return value.attr.value if value.value.value in params else None
    if isinstance(value, cst.Subscript) and isinstance(value.value, cst.Name):
        index = value.slice[0].slice if len(value.slice) == 1 else None
        if isinstance(index, cst.Index) and value.value.value in params:
            return string_literal(index.value)
    return None


def _vouched(origin: str) -> bool:
    """Found by a lookup ("verified:q3"), or checked against the principal's own
    (`if not user.has_role("admin", str(body.org_id)): raise`)."""
    return origin.startswith("verified:") or origin == "principal"


def _verified_fields(
    value: cst.BaseExpression, checked: Mapping[str, Value]
) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, cst.Name) or not checked:
        return ()
    found = []
    for code, known in checked.items():
        match = _FIELD.match(code)
        origin = known.origin or ""
        if match and match.group(1) == value.value and _vouched(origin):
            found.append((match.group(2) or match.group(3), origin))
    return tuple(sorted(found))


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
    if arg.checked_fields:
        fields = tuple(
            (field, found)
            for field, ref in arg.checked_fields
            if (found := _checked_by(ref, queries, helper_calls)) is not None
        )
        arg = replace(arg, checked_fields=fields)
    kind, _, ref = (arg.origin or "").partition(":")
    if kind not in ("verified", "row") or not ref[1:].isdigit():
        return arg
    lookup = _fact(ref, queries, helper_calls)
    return replace(arg, origin=kind if lookup is not None else None, lookup=lookup)


def _checked_by(
    ref: Query | HelperCall | str, queries: Sequence[Query], helper_calls: Sequence[HelperCall]
) -> Query | HelperCall | str | None:
    if ref == "principal":
        return ref
    return _fact(str(ref).partition(":")[2], queries, helper_calls)


def _fact(
    ref: str, queries: Sequence[Query], helper_calls: Sequence[HelperCall]
) -> Query | HelperCall | None:
    """The query ("q3") or helper call ("h1") a reference names."""
    if not ref[1:].isdigit():
        return None
    index = int(ref[1:])
    found: Sequence[Query | HelperCall] = queries if ref[0] == "q" else helper_calls
    return found[index] if index < len(found) else None


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
