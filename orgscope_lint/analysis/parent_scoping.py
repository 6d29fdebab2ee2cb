"""Ids verified through their parent: check-then-act across a foreign key.

A child table with no tenant key of its own (`company_contacts.company_id` references
`companies`, which carries the tenant key) is scoped by the parent id it is filtered by.
That id is safe once a tenant-scoped lookup of the parent found it and the code raised or
returned otherwise; taken straight from the request it lets the caller read another
tenant's children.

The interpreter asks this module which names a query-builder chain pins (a guard on its
rows verifies them) and whether an `if` tests that a lookup found its row; the verdict
asks it how a query on a child table is judged.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from orgscope_lint.analysis import values as V
from orgscope_lint.analysis.values import Value
from orgscope_lint.facts import Query

if TYPE_CHECKING:  # the verdict imports this module; LibCST loads only for analysis
    import libcst as cst

# Builder methods that pin a column to a value: the names in their arguments are what a
# found row proves to exist (under the chain's other filters).
_PINNING = frozenset({"eq", "filter", "match"})


def pin_names(
    builder: Value, method: str, node: cst.Call, names_in: Callable[[Iterable[cst.Arg]], set[str]]
) -> Value:
    """The chain after `.method(...)`, remembering the variables a pinning filter used."""
    if builder.kind != V.BUILDER or method not in _PINNING:
        return builder
    return replace(builder, verifies=builder.verifies | frozenset(names_in(node.args)))


def row_found(node: cst.BaseExpression, names: Mapping[str, Value]) -> Value | None:
    """The lookup's rows when `node` being truthy proves it found one: `result.data`,
    `result.data[0]`, `result.data["id"]` of a query's result bound to a name (by an
    assignment or in the test itself)."""
    import libcst as cst

    if not isinstance(node, (cst.Attribute, cst.Subscript)):
        return None
    while isinstance(node, (cst.Attribute, cst.Subscript)):
        node = node.value
    if isinstance(node, cst.NamedExpr):  # `(found := <query>).data`: the name bound
        node = node.target
    if not isinstance(node, cst.Name):
        return None
    value = names.get(node.value)
    return value if value is not None and value.kind == V.ROW and value.row else None


def rows_of(base: Value, attr: str) -> bool:
    """`result.data` of a query's result: the rows, as good as the result for a guard."""
    return base.kind == V.ROW and attr == "data"


def rows_or_empty(left: Value, right: Value) -> bool:
    """`rows or []`: an empty fallback adds no row, so a guard still tests the lookup's."""
    return left.kind == V.ROW and empty_fallback(right)


def empty_fallback(value: Value) -> bool:
    """`None`, `[]` or `{}`: what code falls back to when a lookup found nothing."""
    return value.kind == V.NONE or (
        value.kind in (V.SEQ, V.DICT) and value.element is None and not value.entries
    )


class ChildVerdict(enum.Enum):
    SCOPED = "scoped through its verified parent"
    UNTRUSTED = "parent id from request input, never verified"
    UNJUDGED = "not judged"  # no parent id to judge by: stays outside the tenant rules


def judge_child(query: Query, column: str, root_scoped: Callable[[str], bool]) -> ChildVerdict:
    """How a query on a child table stands, by the parent id its filter (or record) pins.

    `root_scoped(ref)` says whether the lookup `ref` ("q3", "h1") that verified the id
    was itself tenant-scoped.
    """
    fact = query.shape.get(column)
    if fact is None or not fact.always or fact.empty:
        return ChildVerdict.UNJUDGED
    origin = fact.origin or ""
    if origin.startswith("verified:"):
        scoped = root_scoped(origin.split(":", 1)[1])
        return ChildVerdict.SCOPED if scoped else ChildVerdict.UNJUDGED
    if origin.startswith("request"):
        return ChildVerdict.UNTRUSTED
    return ChildVerdict.UNJUDGED
