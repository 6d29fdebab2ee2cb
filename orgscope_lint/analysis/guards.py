"""What a branch that cannot continue teaches the path that does.

After `if not org_id: raise ...` the code below knows `org_id` is set; after
`if row["clerk_org_id"] != org: raise ...` it knows the row belongs to the caller. The
interpreter asks this module which facts an `if` test establishes on the surviving path.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import libcst as cst


@dataclass(frozen=True, slots=True)
class Truthy:
    """`node` is set (not None, not empty) on the surviving path."""

    node: cst.BaseExpression


@dataclass(frozen=True, slots=True)
class Equal:
    """`left` equals `right` on the surviving path."""

    left: cst.BaseExpression
    right: cst.BaseExpression


@dataclass(frozen=True, slots=True)
class Member:
    """`element` is one of `collection`'s items (or keys) on the surviving path."""

    element: cst.BaseExpression
    collection: cst.BaseExpression


Fact = Truthy | Equal | Member


def established(test: cst.BaseExpression, truth: bool) -> Iterator[Fact]:
    """Facts that hold when `test` evaluated to `truth`."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        yield from established(test.expression, not truth)
    elif isinstance(test, cst.BooleanOperation):
        both = isinstance(test.operator, cst.And) if truth else isinstance(test.operator, cst.Or)
        if both:
            yield from established(test.left, truth)
            yield from established(test.right, truth)
    elif isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        # `x in c` and `x not in c` are comparisons too: see `_comparison`.
        yield from _comparison(test.left, test.comparisons[0], truth)
    elif truth and isinstance(test, (cst.Name, cst.Attribute, cst.Subscript, cst.Call)):
        yield Truthy(test)


def _comparison(left: cst.BaseExpression, target: cst.ComparisonTarget, truth: bool):
    op, right = target.operator, target.comparator
    equal_when_true = isinstance(op, (cst.Equal, cst.Is))
    equal_when_false = isinstance(op, (cst.NotEqual, cst.IsNot))
    holds_equal = (equal_when_true and truth) or (equal_when_false and not truth)
    if _is_none(right):
        if not holds_equal:  # `x is None` is false, or `x is not None` is true
            yield Truthy(left)
    elif holds_equal and isinstance(op, (cst.Equal, cst.NotEqual)):
        yield Equal(left, right)
    elif (isinstance(op, cst.In) and truth) or (isinstance(op, cst.NotIn) and not truth):
        yield Member(left, right)


def _is_none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"
