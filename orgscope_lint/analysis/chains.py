"""A query-builder chain written as one expression, read link by link.

`client.table("t").select("*").eq("id", x).single().execute()` is a tower of calls on
attributes. `--fix` edits such a chain only when all of it is in one expression (never
one continued through a variable, where another path may refine it) and only where the
edit is unambiguous: a tenant filter goes right after the last filter or the operation
(before modifiers such as `.single()` or `.order(...)`, which return builders that may
not take filters), and a tenant key goes into the record literal of `.insert({...})`.
The analysis asks `fixable` before offering a fix; `--fix` uses the same reading.
"""

from __future__ import annotations

import libcst as cst

from orgscope_lint.analysis import guards
from orgscope_lint.analysis.builder_api import STARTS
from orgscope_lint.analysis.syntax import string_literal

WRITES = frozenset({"insert", "upsert"})
_SCOPED_OPERATIONS = frozenset({"select", "update", "delete"})
# Filters after which another `.eq(...)` is always valid.
_FILTERS = frozenset(
    {
        "eq", "neq", "gt", "gte", "lt", "lte", "like", "ilike", "like_all_of",
        "like_any_of", "ilike_all_of", "ilike_any_of", "is_", "in_", "contains",
        "contained_by", "overlaps", "range_gt", "range_gte", "range_lt", "range_lte",
        "range_adjacent", "text_search", "match", "filter", "not_", "or_",
    }
)  # fmt: skip
# Modifiers that may close a chain before it runs; the filter goes before them.
_MODIFIERS = frozenset({"order", "limit", "range", "offset", "single", "maybe_single", "csv"})


def links(chain: cst.BaseExpression) -> list[cst.Call] | None:
    """The calls of the chain below the running call, outermost first, ending with the
    `.table(...)` call; None when it is not one expression of method calls."""
    found: list[cst.Call] = []
    node = chain
    while isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
        found.append(node)
        if node.func.attr.value in STARTS:
            return found
        node = node.func.value
    return None


def method(call: cst.Call) -> str:
    assert isinstance(call.func, cst.Attribute)
    return call.func.attr.value


def filter_slot(chain: list[cst.Call]) -> int | None:
    """How many modifiers sit above the link a tenant filter goes after; None when the
    chain has no `select`/`update`/`delete` or an unfamiliar call sits in the way."""
    for index, call in enumerate(chain[:-1]):
        name = method(call)
        if name in _FILTERS or name in _SCOPED_OPERATIONS:
            return index if _has_operation(chain[index:]) else None
        if name not in _MODIFIERS:
            return None
    return None


def _has_operation(chain: list[cst.Call]) -> bool:
    names = [method(call) for call in chain]
    return any(name in _SCOPED_OPERATIONS for name in names) and not any(
        name in WRITES for name in names
    )


def record_literal(chain: list[cst.Call]) -> tuple[int, cst.Dict] | None:
    """The `.insert({...})`/`.upsert({...})` link and its record, when the record is a
    dict literal given as the first argument."""
    writes = [(i, call) for i, call in enumerate(chain) if method(call) in WRITES]
    if len(writes) != 1:
        return None
    index, call = writes[0]
    first = call.args[0] if call.args else None
    if first is None or first.keyword is not None or first.star:
        return None
    return (index, first.value) if isinstance(first.value, cst.Dict) else None


def inserted_name(chain: cst.BaseExpression) -> str | None:
    """`sb.table("t").insert(record).execute()`: the variable holding the record, when
    the chain is one expression with a plain `.insert(...)` (an upsert may overwrite a
    row that exists, so what it wrote proves nothing of who owned it)."""
    parts = links(chain)
    inserts = [call for call in parts or () if method(call) == "insert"]
    if len(inserts) != 1 or not inserts[0].args:
        return None
    first = inserts[0].args[0]
    if first.keyword is not None or first.star or not isinstance(first.value, cst.Name):
        return None
    return first.value.value


def fixable(chain: cst.BaseExpression, operation: str | None) -> bool:
    """Whether `--fix` can scope the chain below a `.execute()` call."""
    parts = links(chain)
    if parts is None or operation is None:
        return False
    if operation == "insert":
        return record_literal(parts) is not None
    return filter_slot(parts) is not None


def reads_extreme_id(chain: cst.BaseExpression) -> bool:
    """`.select("org_id").order("org_id", desc=True).limit(1)` and nothing else: the
    highest (or lowest) identifier in the table, read to number the next row. It holds
    no tenant's data, only a position in a sequence. One identifier column (`id` or
    `*_id`), selected and ordered by, one row, no filter."""
    parts = links(chain)
    if parts is None:
        return False
    by_method = {method(call): call for call in parts[:-1]}
    if sorted(by_method) != ["limit", "order", "select"] or len(parts) != 4:
        return False
    column = _first_string(by_method["select"])
    if column is None or not (column == "id" or column.endswith("_id")):
        return False
    limit = by_method["limit"].args[0].value if by_method["limit"].args else None
    one = isinstance(limit, cst.Integer) and limit.value == "1"
    return one and _first_string(by_method["order"]) == column


def one_row_or_raise(chain: cst.BaseExpression) -> bool:
    """`.single()` in the chain: PostgREST answers an error, which the client raises,
    unless exactly one row matched (`.maybe_single()` answers None instead)."""
    parts = links(chain)
    return parts is not None and any(method(call) == "single" for call in parts[:-1])


def counts_rows(chain: cst.BaseExpression) -> bool:
    """`.select(..., count="exact")`: the response's `count` holds how many rows matched
    (without it, `count` is None, and a test of it never sees the rows)."""
    parts = links(chain)
    return parts is not None and any(
        method(call) == "select"
        and any(arg.keyword is not None and arg.keyword.value == "count" for arg in call.args)
        for call in parts[:-1]
    )


def _first_string(call: cst.Call) -> str | None:
    first = call.args[0] if call.args else None
    if first is None or first.keyword is not None or first.star:
        return None
    text = string_literal(first.value)
    return text.strip() if text is not None else None


def public_filter(call: cst.Call) -> str | None:
    """The column of `.eq("is_public", True)` or `.eq("visibility", "public")`: a filter
    that keeps only rows their owners made public, readable by anyone by design."""
    args = [arg for arg in call.args if arg.keyword is None and not arg.star]
    if len(args) != 2:
        return None
    column = string_literal(args[0].value)
    if not column:
        return None
    value = args[1].value
    if isinstance(value, cst.Name) and value.value == "True" and guards.is_public_column(column):
        return column
    return column if string_literal(value) == guards.PUBLIC else None
