"""Adapter for Supabase's query builder: `client.table("t").select("*").eq("id", x)`.

A chain is a BUILDER value that each method call refines, whether it is written in one
expression or continued through a variable (`q = q.eq(...)`, in branches and loops).
When it runs (`.execute()`), or leaves the function unexecuted, it becomes the same
`Query` fact the service-object adapter produces, so every rule applies unchanged.
"""

from __future__ import annotations

import re
from dataclasses import replace

from orgscope_lint.analysis import retention
from orgscope_lint.analysis import values as V
from orgscope_lint.analysis.service_api import CallArgs
from orgscope_lint.analysis.values import Value
from orgscope_lint.facts import Query, Shape
from orgscope_lint.findings import Span

STARTS = frozenset({"table", "from_"})
_OPERATIONS = {
    "select": "read",
    "update": "update",
    "delete": "delete",
    "insert": "insert",
    "upsert": "insert",
}
_METHOD_FOR = {"read": "select", "update": "update", "delete": "delete", "insert": "insert"}
RUNS = frozenset({"execute"})
# Filters that narrow the rows without pinning a column to one value: the query is
# filtered (not ORG002), but they never scope it to a tenant.
_LOOSE_FILTERS = frozenset(
    {
        "neq", "gt", "gte", "lt", "lte", "like", "ilike", "like_all_of", "like_any_of",
        "ilike_all_of", "ilike_any_of", "contains", "contained_by", "overlaps",
        "range_gt", "range_gte", "range_lt", "range_lte", "range_adjacent",
        "text_search", "not_",
    }
)  # fmt: skip
# Filters written in PostgREST's own syntax: nothing can be read from them.
_OPAQUE_FILTERS = frozenset({"or_", "and_"})


# A table the caller names: `client.table(table)` with `table` a parameter of the
# function, spelled "?table". No tenant table: judged where a call names it
# (`dependency_checks`, a check told the table by name).
TABLE_PARAM = "?"


def start(table: str, site: tuple) -> Value:
    """`site` is the `.table(` call's position key and rank: ((name, receiver, arg), rank)."""
    return Value(kind=V.BUILDER, text=table, site=site)


def apply(builder: Value, method: str, args: CallArgs) -> Value:
    """The chain after `.method(*args)`; unknown modifiers (order, limit...) keep it."""
    if NEGATED in builder.entries:
        # `.not_.eq(col, v)`, `.not_.is_(col, "null")`: the filter keeps what does not
        # match, which pins nothing.
        builder = V.without_entry(builder, NEGATED)
        if args.positional and method not in _OPERATIONS:
            return _loose(builder, args.positional[0], f"not.{method}")
    operation = _OPERATIONS.get(method)
    if operation is not None:
        if builder.operation in ("update", "delete", "insert") and operation == "read":
            return builder  # `.update(...).select()` returns rows: still an update
        record = (
            args.positional[0] if args.positional and operation in ("update", "insert") else None
        )
        if method == "select":
            if _embeds(args):
                builder = V.with_entry(builder, EMBEDS, V.Entry())
            builder = replace(builder, selected=_select_list(args))
        return replace(builder, operation=operation, method=method, record=record or builder.record)
    if method == "eq" and len(args.positional) >= 2:
        return _pin(builder, args.positional[0], args.positional[1])
    if method == "filter" and len(args.positional) >= 3:
        op = args.positional[1]
        if op.kind == V.STR and op.text == "eq":
            return _pin(builder, args.positional[0], args.positional[2])
        return _loose(builder, args.positional[0], op.text or "?")
    if method in _LOOSE_FILTERS and args.positional:
        bound = args.positional[1] if len(args.positional) > 1 else V.TOP
        return _loose(builder, args.positional[0], method, retention.loose_origin(bound))
    if method in _OPAQUE_FILTERS:
        return replace(builder, open=True)
    if method == "in_" and len(args.positional) >= 2:
        items = args.positional[1]
        return _pin(builder, args.positional[0], items.element or V.derived(items))
    if method == "is_" and len(args.positional) >= 2:
        pinned = _pin(builder, args.positional[0], V.NONE_VALUE)
        column = args.positional[0]
        if _is_null(args.positional[1]) and column.kind == V.STR and column.text:
            return V.with_entry(pinned, column.text + NULL_ROWS, V.Entry())
        return pinned
    if method == "match" and args.positional:
        merged = V.merge_dicts(V.EMPTY_DICT, args.positional[0])
        return replace(
            builder,
            entries={**builder.entries, **merged.entries},
            open=builder.open or merged.open,
        )
    return builder


def _pin(builder: Value, column: Value, value: Value) -> Value:
    if column.kind == V.STR and not column.text and column.options:
        # One of several columns (a loop over their names): a filter by a column that is
        # none of them alone, so it pins no key a verdict asks for; the read summaries
        # split it back (`filter_columns`).
        return V.with_entry(builder, OPTIONS.join(column.options), V.entry_for(value))
    if column.kind != V.STR or not column.text:
        return replace(builder, open=True)
    if _narrows(builder.entries.get(column.text), value):
        return builder
    pinned = V.with_entry(builder, column.text, V.entry_for(value))
    through = _through_inner_parent(builder.selected, column.text)
    if through is None or through in builder.entries:
        return pinned
    return V.with_entry(pinned, through, V.entry_for(value))


# Joins the names of a filter by one of several columns.
OPTIONS = "|"


def _narrows(pinned: V.Entry | None, value: Value) -> bool:
    """`.in_("venue_id", org_venue_ids).eq("venue_id", venue_id)`: PostgREST applies
    both filters, so request input pinning a column already pinned to rows the code knows
    (the principal's, a row's, a verified id) only narrows what that pin lets through."""
    if pinned is None or not pinned.always or pinned.maybe_empty:
        return False
    known = pinned.row is not None or (pinned.origin or "request").split(":")[0] in _KNOWN
    return known and (value.origin or "").startswith("request")


_KNOWN = frozenset({"principal", "verified", "row"})


# `crew!inner(name)`, `pilot:crew!inner(...)`: an embed joined inner, by the name its
# filters use (the alias when it has one).
_INNER = re.compile(r"(\w+)\s*(?::\s*\w+\s*)?!\s*inner\s*\(")


def _through_inner_parent(selected: str | None, column: str) -> str | None:
    """`.select("*, crew!inner(name)").eq("crew.company_id", cid)`: PostgREST keeps only
    the rows whose inner-joined `crew` matches, so the filter pins the rows' own
    `company_id` as far as their parent carries theirs. Only a reference column
    (`*_id`, not `id`): a parent's id or flag pins no column of the child's."""
    embed, dot, name = column.partition(".")
    if not dot or "." in name or not name.endswith("_id") or not selected:
        return None
    return name if embed in _INNER.findall(selected) else None


def _loose(builder: Value, column: Value, op: str, origin: str | None = None) -> Value:
    """Recorded under a key of its own (`org_id~neq`) that never counts as the column;
    of its bound, only whether it is the current time (`retention.py`)."""
    name = column.text if column.kind == V.STR and column.text else "?"
    return V.with_entry(builder, f"{name}~{op}", V.Entry(origin=origin))


PUBLIC = "~public"  # the key marking a filter to public rows (`chains.public_filter`)
# The key marking `.is_(column, "null")`: only the rows whose `column` is unset, which
# for the tenant key are the rows no tenant owns.
NULL_ROWS = "~null"
# The key marking `.not_`, until the filter it negates.
NEGATED = "~not"


def negated(builder: Value) -> Value:
    """`.not_`: the next filter is negated."""
    return V.with_entry(builder, NEGATED, V.Entry())


def _is_null(value: Value) -> bool:
    return value.kind == V.NONE or (value.kind == V.STR and (value.text or "").lower() == "null")


def only_ownerless(shape: Shape, key: str) -> bool:
    """The read keeps only rows whose tenant key is unset: no tenant's rows."""
    return any(fact.always and fact.key == key + NULL_ROWS for fact in shape.keys)


# The key marking a read that embeds related tables (`select("*, pages(title)")`): its
# rows bring along rows the filter does not pin.
EMBEDS = "~embeds"
_EMBEDDING = re.compile(r"\w\s*(?:![\w]+\s*)?\(")


def _select_list(args: CallArgs) -> str:
    """The columns as written; `*` when they are not a string literal (or omitted)."""
    first = args.positional[0] if args.positional else None
    return first.text if first is not None and first.kind == V.STR and first.text else "*"


def selected_columns(select: str | None) -> tuple[str, ...] | None:
    """`"id, title"` → ("id", "title"); None when every column may come back (`*`, an
    embedded table, a list that is not literal)."""
    if select is None or _EMBEDDING.search(select):
        return None
    columns = []
    for item in select.split(","):
        text = item.split("::", 1)[0]  # `column::text`: a cast of the column
        name = text.rsplit(":", 1)[-1].strip().strip('"')  # `alias:column`
        if not name or name == "*" or not name.replace("_", "").isalnum():
            return None
        columns.append(name)
    return tuple(columns) or None


def _embeds(args: CallArgs) -> bool:
    first = args.positional[0] if args.positional else None
    return first is not None and first.kind == V.STR and bool(_EMBEDDING.search(first.text or ""))


def only_public(builder: Value, column: str) -> Value:
    """`.eq("is_public", True)`: the chain reads rows their owners made public."""
    return V.with_entry(builder, column + PUBLIC, V.Entry())


def to_query(builder: Value, span: Span, function: str | None, snippet: str) -> Query | None:
    if builder.operation is None or not builder.text:
        return None
    operation = builder.operation
    if operation == "insert":
        record = builder.record
        shape = V.to_shape((record.element or record) if record else Value())
    else:
        shape = V.to_shape(replace(builder, kind=V.DICT))
    public = operation in ("read", "count") and any(
        fact.always and fact.key.endswith(PUBLIC) for fact in shape.keys
    )
    return Query(
        method=builder.method or _METHOD_FOR[operation],
        operation=operation,
        table=builder.text,
        receiver=builder.site[0][1] if builder.site else "",
        receiver_class=None,
        shape=shape,
        span=span,
        function=function,
        snippet=snippet,
        style="query-builder",
        public_rows=public,
        selected=selected_columns(builder.selected) if operation in ("read", "count") else None,
    )
