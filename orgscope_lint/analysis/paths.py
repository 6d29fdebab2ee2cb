"""The abstract state of one path through a function, and how paths meet."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from orgscope_lint.analysis import values as V
from orgscope_lint.analysis.values import Value


@dataclass
class Env:
    """The abstract state of one path through a function."""

    vars: dict[str, Value] = field(default_factory=dict)
    dead: bool = False  # the path returned or raised

    def copy(self) -> Env:
        return Env(dict(self.vars), self.dead)


def join_envs(branches: Sequence[tuple[Env, str | None]]) -> Env:
    live = [(env, cond) for env, cond in branches if not env.dead]
    if not live:
        return Env(dict(branches[0][0].vars), dead=True)
    result, cond = live[0]
    merged = dict(result.vars)
    for env, other_cond in live[1:]:
        for name in merged.keys() | env.vars.keys():
            a, b = merged.get(name), env.vars.get(name)
            if a is None or b is None:
                merged[name] = a if a is not None else b  # type: ignore[assignment]
            else:
                merged[name] = V.join(a, b, cond, other_cond)
        cond = None
    return Env(merged)
