"""The abstract state of one path through a function, and how paths meet."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from orgscope_lint.analysis import values as V
from orgscope_lint.analysis.alternatives import Alternative, Test, join_flags
from orgscope_lint.analysis.values import EXPRESSION as EXPRESSION
from orgscope_lint.analysis.values import Value


@dataclass
class Env:
    """The abstract state of one path through a function."""

    vars: dict[str, Value] = field(default_factory=dict)
    dead: bool = False  # the path returned or raised
    # The `if` tests this path passed, innermost last, with the outcome it took.
    tests: tuple[Test, ...] = ()
    # Names holding a truth value, and the ways it came to be true (`analysis/alternatives`).
    flags: dict[str, tuple[Alternative, ...]] = field(default_factory=dict)

    def copy(self) -> Env:
        return Env(dict(self.vars), self.dead, self.tests, dict(self.flags))

    def adopt(self, joined: Env) -> None:
        """Go on from where `joined`'s paths met (this path's own tests still hold)."""
        self.vars, self.dead, self.flags = joined.vars, joined.dead, joined.flags


def join_envs(branches: Sequence[tuple[Env, V.Label]]) -> Env:
    live = [(env, cond) for env, cond in branches if not env.dead]
    if not live:
        return Env(dict(branches[0][0].vars), dead=True, flags=dict(branches[0][0].flags))
    result, cond = live[0]
    merged = dict(result.vars)
    for env, other_cond in live[1:]:
        for name in merged.keys() | env.vars.keys():
            a, b = merged.get(name), env.vars.get(name)
            if (a is None or b is None) and name.startswith(EXPRESSION):
                merged.pop(name, None)  # checked on one path only: not checked
            elif a is None or b is None:
                merged[name] = a if a is not None else b  # type: ignore[assignment]
            else:
                merged[name] = V.join(a, b, cond, other_cond)
        cond = None
    tests = _common_prefix([env.tests for env, _ in live])
    return Env(merged, tests=tests, flags=join_flags([env.flags for env, _ in live]))


def _common_prefix(paths: Sequence[tuple[Test, ...]]) -> tuple[Test, ...]:
    shortest = min(paths, key=len)
    for index, test in enumerate(shortest):
        if any(path[index] is not test for path in paths):
            return shortest[:index]
    return shortest
