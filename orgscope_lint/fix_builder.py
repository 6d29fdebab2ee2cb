"""`--fix` for query-builder chains: scope the chain a `.execute()` call runs.

`client.table("t").delete().eq("id", x).execute()` gets `.eq("<key>", <var>)` after its
last filter (or its operation); `client.table("t").insert({...}).execute()` gets the key
in its record literal. Which link is edited is read by `analysis.chains`, the same
reading the analysis used to offer the fix. The new link copies the layout of the link
that follows it, so a chain written one call per line stays one call per line.
"""

from __future__ import annotations

from collections.abc import Callable

import libcst as cst

from orgscope_lint.analysis import chains
from orgscope_lint.analysis.builder_api import RUNS

KINDS = frozenset({"add-filter", "add-record-key"})
AddKey = Callable[[cst.Dict, str, str], cst.Dict]


def chain_start(call: cst.Call) -> cst.Call | None:
    """The `.table(...)` call of the chain `call` runs, when all of it is one expression."""
    if not (isinstance(call.func, cst.Attribute) and call.func.attr.value in RUNS):
        return None
    parts = chains.links(call.func.value)
    return parts[-1] if parts else None


def scope_chain(run: cst.Call, kind: str, key: str, var: str, add_key: AddKey) -> cst.Call:
    """The running call `run` with its chain scoped; `run` itself when the chain does not
    allow the edit (then nothing is guessed)."""
    parts = chains.links(run.func.value) if isinstance(run.func, cst.Attribute) else None
    if parts is None:
        return run
    if kind == "add-filter":
        slot = chains.filter_slot(parts)
        return run if slot is None else _rebuild(run, slot, lambda above: _with_eq(above, key, var))
    found = chains.record_literal(parts)
    if found is None:
        return run
    index, _ = found

    def with_key(above: cst.Call) -> cst.Call:
        assert isinstance(above.func, cst.Attribute)
        write = above.func.value
        assert isinstance(write, cst.Call)
        first = write.args[0]
        assert isinstance(first.value, cst.Dict)
        record = first.with_changes(value=add_key(first.value, key, var))
        write = write.with_changes(args=[record, *write.args[1:]])
        return above.with_changes(func=above.func.with_changes(value=write))

    return _rebuild(run, index, with_key)


def _rebuild(above: cst.Call, depth: int, edit: Callable[[cst.Call], cst.Call]) -> cst.Call:
    """`above` with `edit` applied to the link `depth` calls down the chain, which `edit`
    receives through the call right above it."""
    if depth == 0:
        return edit(above)
    assert isinstance(above.func, cst.Attribute)
    inner = above.func.value
    assert isinstance(inner, cst.Call)
    return above.with_changes(func=above.func.with_changes(value=_rebuild(inner, depth - 1, edit)))


def _with_eq(above: cst.Call, key: str, var: str) -> cst.Call:
    """`.eq(key, var)` between `above` and the link below it."""
    assert isinstance(above.func, cst.Attribute)
    dot = above.func.dot
    assert isinstance(dot, cst.Dot)
    eq = cst.Call(
        func=cst.Attribute(value=above.func.value, dot=_line_end(dot), attr=cst.Name("eq")),
        args=[
            cst.Arg(
                cst.SimpleString(f'"{key}"'),
                comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")),
            ),
            cst.Arg(cst.Name(var)),
        ],
    )
    return above.with_changes(func=above.func.with_changes(value=eq, dot=_next_line(dot)))


# A dot that starts a new line carries the comment ending the line before it and the
# comment lines above it. Both dots keep the line break and indent; the comment that ends
# the line goes with the new link, the comment lines stay above the link they describe.


def _line_end(dot: cst.Dot) -> cst.Dot:
    before = dot.whitespace_before
    if isinstance(before, cst.ParenthesizedWhitespace):
        before = before.with_changes(empty_lines=())
    return dot.with_changes(whitespace_before=before)


def _next_line(dot: cst.Dot) -> cst.Dot:
    before = dot.whitespace_before
    if isinstance(before, cst.ParenthesizedWhitespace):
        first = before.first_line.with_changes(whitespace=cst.SimpleWhitespace(""), comment=None)
        before = before.with_changes(first_line=first)
    return dot.with_changes(whitespace_before=before)
