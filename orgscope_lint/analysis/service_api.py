"""Adapter for the service-object API of the seed: `db.select("t", {...})` and friends.

It maps a call's evaluated arguments to the same `Query` fact every adapter produces;
rules never see which API style a query was written in.
"""

from __future__ import annotations

from dataclasses import dataclass

from orgscope_lint.analysis.values import SERVICE, STR, Value, to_shape
from orgscope_lint.facts import Query, Shape
from orgscope_lint.findings import Span

# method -> operation
QUERY_METHODS: dict[str, str] = {
    "select": "read",
    "select_one": "read",
    "count": "count",
    "update": "update",
    "delete": "delete",
    "insert": "insert",
    "upsert": "insert",
}
TABLE_KEYWORDS = ("table", "table_name")
FILTER_KEYWORDS = ("filters", "filter", "where", "conditions", "criteria", "match", "query")
RECORD_KEYWORDS = ("data", "record", "records", "values", "row", "rows", "payload", "item")


@dataclass(frozen=True, slots=True)
class CallArgs:
    positional: list[Value]
    keywords: dict[str, Value]
    starred: bool
    spread: Value | None = None  # the mapping of a lone `**mapping` argument


def table_of(args: CallArgs) -> str | None:
    """The table named by a literal or a module constant; anything else stays unknown."""
    value = args.positional[0] if args.positional else _keyword(args, TABLE_KEYWORDS)
    if value is not None and value.kind == STR and value.text:
        return value.text
    return None


def query_from_call(
    method: str,
    args: CallArgs,
    *,
    receiver: str,
    receiver_value: Value,
    span: Span,
    function: str | None,
    snippet: str,
) -> Query | None:
    table = table_of(args)
    if table is None:
        return None
    operation = QUERY_METHODS[method]
    return Query(
        method=method,
        operation=operation,
        table=table,
        receiver=receiver,
        receiver_class=receiver_value.text if receiver_value.kind == SERVICE else None,
        shape=_record_shape(args) if operation == "insert" else _filter_shape(args),
        span=span,
        function=function,
        snippet=snippet,
    )


def _filter_shape(args: CallArgs) -> Shape:
    value = _keyword(args, FILTER_KEYWORDS)
    if value is None and len(args.positional) > 1:
        value = args.positional[1]
    if value is None and not _only_known_options(args):
        # `select("t", **opts)` or an unfamiliar keyword may carry the filter.
        return to_shape(Value())
    return to_shape(value)


def _record_shape(args: CallArgs) -> Shape:
    value = _keyword(args, RECORD_KEYWORDS)
    if value is None and len(args.positional) > 1:
        value = args.positional[1]
    if value is None:
        return to_shape(Value())  # a record we cannot see: unknown, never a finding
    if value.element is not None:
        value = value.element
    return to_shape(value)


# Keywords that configure a read but can never hold its filter.
_OPTIONS = frozenset(
    {"columns", "order_by", "order", "limit", "offset", "desc", "ascending", "single", "count"}
)


def _only_known_options(args: CallArgs) -> bool:
    return not args.starred and set(args.keywords) <= _OPTIONS | set(TABLE_KEYWORDS)


def _keyword(args: CallArgs, names: tuple[str, ...]) -> Value | None:
    for name in names:
        if name in args.keywords:
            return args.keywords[name]
    return None
