"""What a branch that cannot continue teaches the path that does.

After `if not org_id: raise ...` the code below knows `org_id` is set; after
`if row["clerk_org_id"] != org: raise ...` it knows the row belongs to the caller; after
`if row["org_id"] != org and not row["is_public"]: raise ...` it knows the row is the
caller's or one its owner made public (readable by anyone, writable by its tenant only).
The interpreter asks this module which facts an `if` test establishes on the surviving
path.
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
    """`left` equals `right` on the surviving path, or, when `unless_public` is set, the
    row `left` is read from is flagged public by that expression."""

    left: cst.BaseExpression
    right: cst.BaseExpression
    unless_public: cst.BaseExpression | None = None


@dataclass(frozen=True, slots=True)
class Member:
    """`element` is one of `collection`'s items (or keys) on the surviving path."""

    element: cst.BaseExpression
    collection: cst.BaseExpression


Fact = Truthy | Equal | Member


def established(test: cst.BaseExpression, truth: bool) -> Iterator[Fact]:
    """Facts that hold when `test` evaluated to `truth`."""
    if isinstance(test, cst.Await):  # `if not await allowed(...)`: the awaited result
        yield from established(test.expression, truth)
    elif isinstance(test, cst.NamedExpr):  # `if not (found := lookup(...)):` tests `found`
        yield from established(test.target, truth)
    elif is_bool_call(test):  # `bool(member.data)`: the value's own truth
        yield from established(test.args[0].value, truth)
    elif isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        yield from established(test.expression, not truth)
    elif isinstance(test, cst.BooleanOperation):
        both = isinstance(test.operator, cst.And) if truth else isinstance(test.operator, cst.Or)
        if both:
            yield from established(test.left, truth)
            yield from established(test.right, truth)
        else:
            yield from _owned_or_public(test.left, test.right, truth)
    elif isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        # `x in c` and `x not in c` are comparisons too: see `_comparison`.
        yield from _comparison(test.left, test.comparisons[0], truth)
    elif truth and _sized(test) is not None:  # `if len(rows.data):` tests the rows
        yield Truthy(_sized(test))  # type: ignore[arg-type]
    elif truth and isinstance(test, (cst.Name, cst.Attribute, cst.Subscript, cst.Call)):
        yield Truthy(test)


def empty_names(test: cst.BaseExpression, truth: bool) -> Iterator[str]:
    """Names that are None or empty when `test` evaluated to `truth` (`if x is None:`,
    `if not x:`), on every way it can have done so."""
    if isinstance(test, cst.Name):
        if not truth:
            yield test.value
    elif isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        yield from empty_names(test.expression, not truth)
    elif isinstance(test, cst.BooleanOperation):
        if isinstance(test.operator, cst.And) == truth:  # both sides took this outcome
            yield from empty_names(test.left, truth)
            yield from empty_names(test.right, truth)
    elif isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        target = test.comparisons[0]
        is_none = isinstance(target.operator, (cst.Is, cst.Equal))
        not_none = isinstance(target.operator, (cst.IsNot, cst.NotEqual))
        named = isinstance(test.left, cst.Name) and _is_none(target.comparator)
        if named and ((is_none and truth) or (not_none and not truth)):
            yield test.left.value  # type: ignore[union-attr]


def is_bool_call(node: cst.BaseExpression) -> bool:
    return (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Name)
        and node.func.value == "bool"
        and len(node.args) == 1
        and not node.args[0].star
    )


def is_isinstance_call(node: cst.BaseExpression) -> bool:
    """`isinstance(x, Cls)`: a truth value about `x`'s class."""
    return (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Name)
        and node.func.value == "isinstance"
        and len(node.args) == 2
        and not any(arg.star or arg.keyword for arg in node.args)
    )


def _sized(node: cst.BaseExpression) -> cst.BaseExpression | None:
    """`x` of `len(x)`."""
    if not isinstance(node, cst.Call) or len(node.args) != 1 or node.args[0].star:
        return None
    named = isinstance(node.func, cst.Name) and node.func.value == "len"
    return node.args[0].value if named else None


COUNT = "count"  # the attribute of a read's response holding how many rows matched


def _counted(node: cst.BaseExpression) -> cst.BaseExpression | None:
    """`result.count`, the number of rows a read reports it matched."""
    named = isinstance(node, cst.Attribute) and node.attr.value == COUNT
    return node if named else None


def _not_empty(op: cst.BaseCompOp, bound: cst.BaseExpression, truth: bool) -> bool:
    """`len(x) <op> bound` being `truth` shows that x holds an item: `len(x) == 0`
    false, `len(x) > 0` or `len(x) >= 1` true, `len(x) < 1` false."""
    if not isinstance(bound, cst.Integer):
        return False
    n = int(bound.value, 0)
    if truth:
        return (
            (isinstance(op, cst.GreaterThan) and n >= 0)
            or (isinstance(op, (cst.GreaterThanEqual, cst.Equal)) and n >= 1)
            or (isinstance(op, cst.NotEqual) and n == 0)
        )
    return (isinstance(op, cst.Equal) and n == 0) or (
        (isinstance(op, cst.LessThan) and n == 1) or (isinstance(op, cst.LessThanEqual) and n == 0)
    )


def _comparison(left: cst.BaseExpression, target: cst.ComparisonTarget, truth: bool):
    op, right = target.operator, target.comparator
    if isinstance(left, cst.NamedExpr):  # `(found := lookup()) is None` compares `found`
        left = left.target
    sized = _sized(left)
    if sized is not None and _not_empty(op, right, truth):
        yield Truthy(sized)  # `if len(rows.data) == 0: raise` survived: a row was found
        return
    counted = _counted(left)
    if counted is not None and _not_empty(op, right, truth):
        yield Truthy(counted)  # `if result.count == 0: raise` survived: the same
        return
    equal_when_true = isinstance(op, (cst.Equal, cst.Is))
    equal_when_false = isinstance(op, (cst.NotEqual, cst.IsNot))
    holds_equal = (equal_when_true and truth) or (equal_when_false and not truth)
    if _is_none(right):
        if not holds_equal:  # `x is None` is false, or `x is not None` is true
            yield Truthy(left.expression if isinstance(left, cst.Await) else left)
    elif holds_equal and isinstance(op, (cst.Equal, cst.NotEqual)):
        yield Equal(left, right)
    elif (isinstance(op, cst.In) and truth) or (isinstance(op, cst.NotIn) and not truth):
        yield Member(left, right)


def _owned_or_public(left: cst.BaseExpression, right: cst.BaseExpression, truth: bool):
    """One of two alternatives holds: a row's key equals a value, or the same row is
    flagged public. Any other disjunction proves nothing."""
    for owned, public in ((left, right), (right, left)):
        equal = [fact for fact in established(owned, truth) if isinstance(fact, Equal)]
        flag = _public_flag(public, truth)
        if len(equal) == 1 and flag is not None:
            fact = equal[0]
            for side, other in ((fact.left, fact.right), (fact.right, fact.left)):
                if _same_row(side, flag):
                    yield Equal(side, other, unless_public=flag)
                    return


PUBLIC = "public"  # the value a visibility column holds for a row anyone may read


def _public_flag(test: cst.BaseExpression, truth: bool) -> cst.BaseExpression | None:
    """The row field that `test` being `truth` shows set to public, if that is all it
    shows: `row["is_public"]`, `row.get("public")`, `row["visibility"] == "public"`."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return _public_flag(test.expression, not truth)
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        target = test.comparisons[0]
        equal = isinstance(target.operator, cst.Equal) == truth
        is_equality = isinstance(target.operator, (cst.Equal, cst.NotEqual))
        if is_equality and equal and _string_value(target.comparator) == PUBLIC:
            return test.left if field_name(test.left) is not None else None
        return None
    if truth and is_public_column(field_name(test) or ""):
        return test
    return None


def is_public_column(column: str) -> bool:
    """`is_public`, `public`, `is_public_template`: a flag its owner sets to share a row
    with everyone (`visibility = 'public'` says the same through its value); `is_global`,
    `is_system_role`: a row the product itself shares with every tenant."""
    name = column.lower()
    return "public" in name or "global" in name or name.startswith("is_system")


def field_name(node: cst.BaseExpression) -> str | None:
    """`k` in `row["k"]`, `row.k` or `row.get("k", ...)`."""
    if isinstance(node, cst.Attribute):
        return node.attr.value
    if isinstance(node, cst.Subscript) and len(node.slice) == 1:
        index = node.slice[0].slice
        return _string_value(index.value) if isinstance(index, cst.Index) else None
    if (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value == "get"
        and node.args
    ):
        return _string_value(node.args[0].value)
    return None


def _row_of(node: cst.BaseExpression) -> cst.BaseExpression | None:
    if isinstance(node, (cst.Attribute, cst.Subscript)):
        return node.value
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
        return node.func.value
    return None


def _same_row(a: cst.BaseExpression, b: cst.BaseExpression) -> bool:
    row_a, row_b = _row_of(a), _row_of(b)
    return (
        row_a is not None
        and row_b is not None
        and field_name(a) is not None
        and cst.Module([]).code_for_node(row_a) == cst.Module([]).code_for_node(row_b)
    )


def _string_value(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def _is_none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"
