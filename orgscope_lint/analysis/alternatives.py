"""What a test proves when the path that passed it could have been any of several.

`if not is_owner and not is_member: raise`, or `has_access = True` set in two branches
and then `if not has_access: raise`: the code goes on when one alternative held, so it
knows what every alternative proves and nothing one of them proves alone. This module
says which alternatives a test stands for; the interpreter replays each
(`PathChecks._assume_any`) and keeps what they all establish (`both_proved`,
`both_named`).

A name is a flag while it holds a truth value whose making is known: `True` set on a
path (true when that path's tests held), `False` or `None` (never true), or a condition
(`is_owner = row["user_id"] == me`: true when the condition held, on the names as they
were then). Any other binding forgets it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import libcst as cst

from orgscope_lint.analysis import guards
from orgscope_lint.facts import CallFact

if TYPE_CHECKING:
    from orgscope_lint.analysis.values import Value

Test = tuple[cst.BaseExpression, bool]  # an `if` test and the outcome a path took


@dataclass(frozen=True, slots=True)
class Alternative:
    """One way the test came to hold: these tests passed, on these names (`None`: the
    names as they are where the test is judged)."""

    tests: tuple[Test, ...]
    names: Mapping[str, Value] | None = None


def of(
    test: cst.BaseExpression, truth: bool, flags: Mapping[str, tuple[Alternative, ...]]
) -> tuple[Alternative, ...] | None:
    """The alternatives `test` being `truth` stands for, or None when it is one fact."""
    while True:
        if isinstance(test, cst.Await):
            test = test.expression
        elif isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
            test, truth = test.expression, not truth
        else:
            break
    if isinstance(test, cst.Name):
        made = flags.get(test.value)
        return made if truth and made else None
    if isinstance(test, cst.BooleanOperation):
        either = isinstance(test.operator, cst.Or) if truth else isinstance(test.operator, cst.And)
        if either:  # `a or b` held: `a` did, or `a` did not and `b` did
            return (
                Alternative(((test.left, truth),)),
                Alternative(((test.left, not truth), (test.right, truth))),
            )
    return None


def made_by(
    value: cst.BaseExpression, tests: tuple[Test, ...], names: Mapping[str, Value]
) -> tuple[Alternative, ...] | None:
    """What binding `value` on a path that passed `tests` makes of a name: the ways it
    is true, or None when it is no flag."""
    if isinstance(value, cst.Name) and value.value in ("False", "None"):
        return ()
    if isinstance(value, cst.Name) and value.value == "True":
        return (Alternative(tests, dict(names)),)
    if is_condition(value):
        return (Alternative((*tests, (value, True)), dict(names)),)
    return None


def is_condition(node: cst.BaseExpression) -> bool:
    """A truth value built from tests: a comparison, `and`/`or`/`not`, `bool(x)`,
    `isinstance(x, Cls)`."""
    if isinstance(node, (cst.Comparison, cst.BooleanOperation)):
        return True
    if isinstance(node, cst.UnaryOperation):
        return isinstance(node.operator, cst.Not)
    return guards.is_bool_call(node) or guards.is_isinstance_call(node)


def join_flags(
    paths: Sequence[Mapping[str, tuple[Alternative, ...]]],
) -> dict[str, tuple[Alternative, ...]]:
    """Where paths meet a flag may have been made on any of them; a name some path
    rebound otherwise is no flag."""
    joined: dict[str, tuple[Alternative, ...]] = {}
    for name in set(paths[0]).intersection(*paths[1:]):
        seen: dict[int, Alternative] = {}
        for path in paths:
            for alternative in path[name]:
                seen.setdefault(id(alternative), alternative)
        joined[name] = tuple(seen.values())
    return joined


def both_proved(a: dict, b: dict) -> dict:
    """What two alternatives both proved: facts by position, each the same on both."""
    both = {}
    for key, item in a.items():
        other = b.get(key)
        common = item if other == item else _both_checked(item, other)
        if common is not None:
            both[key] = common
    return both


def _both_checked(a: object, b: object) -> CallFact | None:
    """A call's row compared with the principal on one way, admitted by an access check
    on its tenant on the other: checked either way, as the access check says."""
    if not isinstance(a, CallFact) or not isinstance(b, CallFact):
        return None
    if a.result_guarded and b.result_checked:
        a, b = b, a
    if not (a.result_checked and b.result_guarded):
        return None
    weaker = replace(a, result_checked=False, result_guarded=b.result_guarded)
    # The same call in every other respect (whether it guarded may differ).
    return weaker if replace(weaker, guards=b.guards) == replace(b, guards=b.guards) else None


def both_named(a: dict[str, Value], b: dict[str, Value]) -> dict[str, Value]:
    """Names both alternatives changed the same way, or both verified (by two lookups)."""
    return {
        name: value
        for name, value in a.items()
        if name in b and (b[name] == value or (_verified(value) and _verified(b[name])))
    }


def _verified(value: Value) -> bool:
    return (value.origin or "").startswith("verified:")
