"""Results that stay in their function: decided on, put in an error, or handed on.

```python
entitlements = resolve_entitlements(settings, org_id)
if active >= int(entitlements["limits"]["sessions"]):
    raise HTTPException(400, f"The {entitlements['tier']} plan allows fewer sessions")
version = get_active_version(client, org_id, workflow_id)
if not version:
    raise HTTPException(409, "No active version")
session = start_session(client, org_id, str(version["id"]))
```

Nothing of `entitlements` or `version` leaves the function except through an error
message or the arguments of `start_session`. Alone, that is no reason for silence:
another tenant's plan name in an error is a disclosure. But when the same request-chosen
tenant id also reaches a write or a read whose rows do leave, one missing check is the
cause of all of them, and a gate or a pre-check that only feeds what is reported anyway
is listed in that finding instead of being reported again (`rules/org009`).

Read from the `ast` statements of one function and counted like
`analysis/decision_uses.py`: the name's occurrences in the function's text must be its
binding plus the uses accounted for here. A use *stays* when it sits in the test of an
`if`, `while` or `assert` through pure operations, anywhere in a `raise`, in a pure
assignment whose target stays in turn, or in the arguments of a call that is not a pure
builtin (`start_session(..., version["id"])`): those calls are recorded, outermost
first, so that the rule can ask whether one of them is itself reported. A return, a
loop over the rows, a test calling a function with them, anything else: the rows leave.
"""

from __future__ import annotations

import ast
from collections import Counter, defaultdict
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field

from orgscope_lint.analysis.child_nodes import walk
from orgscope_lint.analysis.decision_uses import (
    TESTED,
    FunctionText,
    is_pure_call,
    pure_children,
    pure_names,
    single_target,
)
from orgscope_lint.analysis.existence_probes import calls_in, chain_start

# For one use handed on: the calls whose arguments hold it, outermost first.
Enclosing = tuple[ast.Call, ...]


@dataclass
class _Uses:
    """How each name of one function is used, in the ways that keep it inside."""

    text: FunctionText
    stays: Counter[str] = field(default_factory=Counter)  # decided on, raised, echoed
    derived: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    handed: dict[str, list[Enclosing]] = field(default_factory=lambda: defaultdict(list))

    def add(self, stmt: ast.stmt) -> None:
        if isinstance(stmt, TESTED):
            self.stays.update(pure_names(stmt.test))
            self._echoes(stmt.test)
            return
        if isinstance(stmt, ast.Raise):
            nodes = walk(stmt)
            self.stays.update(node.id for node in nodes if isinstance(node, ast.Name))
            self._echoed(nodes)
            return
        target = single_target(stmt)
        if target is not None:
            for name, count in pure_names(stmt.value).items():  # type: ignore[attr-defined]
                self.derived[name].extend([target] * count)
        for expr in _expressions(stmt):
            self._echoes(expr)
            for name, enclosing in _handed_names(expr, ()):
                self.handed[name].append(enclosing)

    def _echoes(self, node: ast.AST) -> None:
        self._echoed(walk(node))

    def _echoed(self, nodes: Sequence[ast.AST]) -> None:
        # `f(plan=plan)`: the keyword is written like the name, and is no use of it.
        for call in (n for n in nodes if isinstance(n, ast.Call)):
            self.stays.update(kw.arg for kw in call.keywords if kw.arg is not None)

    def staying(self, name: str, seen: frozenset[str] = frozenset()) -> list[Enclosing] | None:
        """The calls `name` is handed to, when every other use keeps it inside; None
        when some use lets it leave."""
        uses = self.stays[name] + len(self.derived[name]) + len(self.handed[name])
        if name in seen or self.text.written(name) != 1 + uses:
            return None
        found = list(self.handed[name])
        for target in self.derived[name]:
            further = self.staying(target, seen | {name})
            if further is None:
                return None
            found.extend(further)
        return found


def staying_results(
    fn: ast.FunctionDef | ast.AsyncFunctionDef,
    statements: Sequence[ast.stmt],
    text: FunctionText,
    starts: Collection[int],
) -> Iterator[tuple[tuple[ast.Call, ...], list[Enclosing]]]:
    """For each `name = <call chain>` starting on one of `starts` whose result stays:
    the calls of the chain, and the calls the result is handed to."""
    for stmt in statements:
        if isinstance(stmt, TESTED):
            yield from ((calls, []) for calls in _tested_calls(stmt.test, starts))
    candidates = [
        (stmt, target)
        for stmt in statements
        if isinstance(stmt, ast.Assign)
        and (target := single_target(stmt)) is not None
        and chain_start(stmt.value) in starts
    ]
    if not candidates:
        return
    uses = _Uses(text)
    for stmt in statements:
        uses.add(stmt)
    for stmt, name in candidates:
        handed = uses.staying(name)
        if handed is not None:
            yield tuple(calls_in(stmt.value)), handed


def _tested_calls(test: ast.expr, starts: Collection[int]) -> Iterator[tuple[ast.Call, ...]]:
    """The chains starting on `starts` that a test reads through pure operations only
    (`if count_runs(org_id) >= limit:`): their results only decide."""
    stack = [test]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Await):
            node = node.value
        if isinstance(node, ast.Call) and not is_pure_call(node):
            if chain_start(node) in starts:
                yield tuple(calls_in(node))
        else:
            stack.extend(pure_children(node))


def _expressions(stmt: ast.stmt) -> Iterator[ast.expr]:
    """The expressions of a simple statement, or of a compound one's header."""
    for _, value in ast.iter_fields(stmt):
        if isinstance(value, ast.expr):
            yield value
        elif isinstance(value, list):
            yield from (item for item in value if isinstance(item, ast.expr))


def _handed_names(node: ast.AST, enclosing: Enclosing) -> Iterator[tuple[str, Enclosing]]:
    """Each name below `node` that sits in the arguments of a call other than a pure
    builtin, with those calls, outermost first; names outside every such call are
    left to the pure assignments (or count as leaving)."""
    if isinstance(node, ast.Name):
        if enclosing:
            yield node.id, enclosing
        return
    if isinstance(node, ast.Call) and not is_pure_call(node):
        yield from _handed_names(node.func, enclosing)
        inner = (*enclosing, node)
        for arg in (*node.args, *(kw.value for kw in node.keywords)):
            yield from _handed_names(arg, inner)
        return
    if isinstance(node, (ast.Lambda, *_SCOPES)):
        return  # a scope of its own: its names are counted as leaving
    for child in ast.iter_child_nodes(node):
        yield from _handed_names(child, enclosing)


_SCOPES = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
