"""Reads whose rows are never used: only tested for existence, or thrown away.

```python
existing = sb.table("users").select("id").eq("email", body.email).execute()
if existing.data:
    raise HTTPException(400, "A user with this email already exists")
```

Nothing of another tenant's row leaves such a read: not a value, not a count, not the
row. A health probe (`select("id").limit(1).execute()` whose result is dropped) and a
uniqueness check before an insert are the usual shapes. What follows the test is judged
on its own: a write by an id this lookup "verified" is not made safe by it, since the
lookup was not tenant-scoped.

Read from the `ast` tree, per function: `name = <query>` where every later load of
`name` (one at least) is `name`, `name.data` or `len(name.data)` inside the test of an
`if`, `while`, `assert` or conditional expression, or a boolean or comparison inside
one. Any other use (a subscript, a return, an argument, a loop, an assignment) counts
as using the rows; so does any load of a name bound more than once, or a load in a
nested function. A read nothing looks at (a bare statement, a name never loaded) is
judged as usual: it is how snippets and rule examples spell a query, and in real code
it is a dead read (a health probe's is the one harmless case left reported).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
# Attributes of a query's response that say only whether rows came back.
_PRESENCE = frozenset({"data"})


def unused_reads(tree: ast.Module) -> list[ast.Call]:
    """Every call expression whose rows nothing uses: a query whose `.table(` or
    `db.select(` call starts where one of them does reads for existence only."""
    found: list[ast.Call] = []
    for node in ast.walk(tree):
        if isinstance(node, _FUNCTIONS):
            found.extend(_in_function(node))
    return found


def _in_function(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.Call]:
    own = list(_own_nodes(fn))
    loads: dict[str, list[ast.Name]] = {}
    stores: dict[str, int] = {}
    for node in own:
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Load):
                loads.setdefault(node.id, []).append(node)
            else:
                stores[node.id] = stores.get(node.id, 0) + 1
    nested = {name for node in own if isinstance(node, _SCOPES) for name in _names_in(node)}
    allowed = _presence_tests(own)
    found: list[ast.Call] = []
    for node in own:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if not isinstance(target, ast.Name) or target.id in nested:
                continue
            used = loads.get(target.id, [])
            if used and stores[target.id] == 1 and all(id(n) in allowed for n in used):
                found.extend(_calls_in(node.value))
    return found


def _presence_tests(own: list[ast.AST]) -> set[int]:
    """ids of the Name loads that stand in a presence test: `x`, `x.data`, `len(x.data)`
    within the test of an if/while/assert/ternary (through `not`, `and`/`or` and
    comparisons)."""
    allowed: set[int] = set()
    for node in own:
        test = getattr(node, "test", None)
        if isinstance(node, (ast.If, ast.While, ast.Assert, ast.IfExp)) and test is not None:
            for name in _tested_names(test):
                allowed.add(id(name))
    return allowed


def _tested_names(test: ast.expr) -> Iterator[ast.Name]:
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        yield from _tested_names(test.operand)
    elif isinstance(test, ast.BoolOp):
        for value in test.values:
            yield from _tested_names(value)
    elif isinstance(test, ast.Compare):
        for side in (test.left, *test.comparators):
            yield from _tested_names(side)
    elif isinstance(test, ast.Call) and _is_name(test.func, "len") and len(test.args) == 1:
        yield from _tested_names(test.args[0])
    elif isinstance(test, ast.Attribute) and test.attr in _PRESENCE:
        if isinstance(test.value, ast.Name):
            yield test.value
    elif isinstance(test, ast.Name):
        yield test


def _calls_in(value: ast.expr) -> list[ast.Call]:
    """Where every call of the expression starts: the query's own call is among them.
    Only a chain or an awaited chain: a call handing the query to something else
    (`process(sb.table(...)...)`) gives its rows away."""
    if isinstance(value, ast.Await):
        value = value.value
    starts: list[ast.Call] = []
    node: ast.expr = value
    while isinstance(node, (ast.Call, ast.Attribute, ast.Subscript)):
        if isinstance(node, ast.Call):
            starts.append(node)
            node = node.func
        else:
            node = node.value
    return starts


def _is_name(node: ast.expr, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def _names_in(scope: ast.AST) -> set[str]:
    return {node.id for node in ast.walk(scope) if isinstance(node, ast.Name)}


def _own_nodes(fn: ast.AST) -> Iterator[ast.AST]:
    """The function's nodes, nested scopes included as nodes but not entered."""
    stack = list(ast.iter_child_nodes(fn))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, _SCOPES):
            stack.extend(ast.iter_child_nodes(node))
