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

Read per function from the `ast` statements (expressions are walked only where a
query or call starts: this runs on every analysed file): `name = <query>` where every
use of `name` only decides, as `analysis/decision_uses.py` counts them: tests of an
`if`, `while` or `assert`, pure assignments whose targets only decide in turn, and
whole arguments of calls whose results are dropped (`require_feature(plan, "sso")`),
which the caller proof follows into the callee. Any other use (a return, an argument of
a kept call, a loop, a second binding, a nested function, an f-string) makes the counts
differ, and the rows count as used.
A read nothing looks at (a bare statement, a name never loaded) is judged as usual: it
is how snippets and rule examples spell a query, and in real code it is a dead read.
A project function's result dropped is different: `plan = get_plan(org_id)`, never
read, leaves nothing of what the function read behind (`UnusedRead.dropped`).
The one dropped query that is plainly harmless is a connectivity probe: it filters
nothing, asks for one row (`select(...).limit(1)` and nothing else) and drops what
comes back; only whether the table answers is learnt.
"""

from __future__ import annotations

import ast
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass

from orgscope_lint.analysis.decision_uses import (
    FunctionText,
    Handed,
    compared_with_value,
    dropped_call,
    function_uses,
)

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


@dataclass(frozen=True)
class UnusedRead:
    """A call chain whose result leaves nothing behind in its function."""

    calls: tuple[ast.Call, ...]  # where every call of the chain starts
    # The calls it is also handed to whole, their results dropped: nothing leaves if
    # those parameters only decide in turn (`FunctionFact.deciding_params`).
    handed: tuple[Handed, ...] = ()
    # Nothing reads it at all: a call's result dropped. A query's is judged as usual
    # (how snippets spell a query) unless it is a probe.
    dropped: bool = False
    # Only tested for presence (`if rows.data:`), or a probe: a query's rows unused.
    presence: bool = False
    # Among those tests, one compares it with another value (a presented secret).
    compared: bool = False


def unused_reads(
    tree: ast.Module, lines: Sequence[str], starts: Collection[int]
) -> list[UnusedRead]:
    """Every call chain whose result nothing uses, among those that start on one of the
    lines `starts` (where queries and calls were found): assigned to a name that only
    decides (`analysis/decision_uses.py`), dropped, or handed whole to a call whose
    result is dropped."""
    found: list[UnusedRead] = []
    for fn in functions(tree.body):
        statements = list(own_statements(fn.body))
        found.extend(unused_in(fn, statements, FunctionText(fn, lines), starts))
    return found


def unused_in(
    fn: ast.FunctionDef | ast.AsyncFunctionDef,
    statements: Sequence[ast.stmt],
    text: FunctionText,
    starts: Collection[int],
) -> list[UnusedRead]:
    """`unused_reads` of one function, given its own statements and text."""
    found: list[UnusedRead] = []
    candidates: list[tuple[ast.Assign, str]] = []
    for stmt in statements:
        if isinstance(stmt, ast.Expr) and chain_start(stmt.value) in starts and _probe(stmt.value):
            found.append(UnusedRead(tuple(calls_in(stmt.value)), presence=True))
        if isinstance(stmt, ast.Expr):
            found.extend(_handed_whole(stmt, starts))
        elif (
            isinstance(stmt, ast.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name)
            and chain_start(stmt.value) in starts
        ):
            candidates.append((stmt, stmt.targets[0].id))
    if not candidates:
        return found
    uses = function_uses(text, statements)
    tests = function_uses(text, statements, presence=True)
    for stmt, name in candidates:
        calls = tuple(calls_in(stmt.value))
        if tests.uses(name) and tests.only_decides(name) == ():
            compared = compared_with_value(statements, name)
            found.append(UnusedRead(calls, presence=True, compared=compared))
        elif uses.uses(name) and (handed := uses.only_decides(name)) is not None:
            found.append(UnusedRead(calls, handed))
        elif (_probe(stmt.value) or text.written(name) == 1) and _never_read(fn, name):
            # The text first: walking the function is the dear part, and rare.
            found.append(UnusedRead(calls, dropped=True, presence=_probe(stmt.value)))
    return found


def _handed_whole(stmt: ast.Expr, starts: Collection[int]) -> Iterator[UnusedRead]:
    """`require_feature(get_plan(org_id), "sso")`: a chain handed whole to a call whose
    result is dropped."""
    outer = dropped_call(stmt)
    if outer is None:
        return
    slots = [(str(index), arg) for index, arg in enumerate(outer.args)]
    slots += [(kw.arg, kw.value) for kw in outer.keywords if kw.arg is not None]
    for slot, arg in slots:
        inner = arg.value if isinstance(arg, ast.Await) else arg
        if isinstance(inner, ast.Call) and chain_start(inner) in starts:
            yield UnusedRead(tuple(calls_in(inner)), ((outer, slot),))


def _never_read(fn: ast.FunctionDef | ast.AsyncFunctionDef, name: str) -> bool:
    """Nothing in the function (nested code included) reads `name`, and it is no
    global or nonlocal another scope could read."""
    for node in ast.walk(fn):
        if isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Load):
            return False
        if isinstance(node, (ast.Global, ast.Nonlocal)) and name in node.names:
            return False
    return True


def _probe(value: ast.expr) -> bool:
    """`<table>.select(...).limit(1).execute()`, awaited or not: one row of the table,
    whichever it is, with no filter and no order."""
    calls = calls_in(value)
    methods = [c.func.attr for c in calls if isinstance(c.func, ast.Attribute)]
    if len(methods) != len(calls) or methods[:3] != ["execute", "limit", "select"]:
        return False
    if len(calls) != 4 or methods[3] not in ("table", "from_"):
        return False
    limit = calls[1].args
    return len(limit) == 1 and isinstance(limit[0], ast.Constant) and limit[0].value == 1


def _first_choice(value: ast.expr) -> ast.expr:
    """`lookup(...) or default`: the lookup, whose fallback is no other tenant's row."""
    if isinstance(value, ast.BoolOp) and isinstance(value.op, ast.Or):
        return value.values[0]
    return value


def chain_start(value: ast.expr) -> int | None:
    """The line a call chain (awaited or not, or the first choice of an `or`) starts on."""
    value = _first_choice(value)
    if isinstance(value, ast.Await):
        value = value.value
    return value.lineno if isinstance(value, (ast.Call, ast.Attribute, ast.Subscript)) else None


def calls_in(value: ast.expr) -> list[ast.Call]:
    """Where every call of the chain starts: the query's own call is among them. Only
    a chain or an awaited chain: a call handing the query to something else
    (`process(sb.table(...)...)`) gives its rows away."""
    value = _first_choice(value)
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


def functions(body: list[ast.stmt]) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    """Every function, nested ones and methods included, by statements alone."""
    for stmt in _statements(body, enter_functions=True):
        if isinstance(stmt, _FUNCTIONS):
            yield stmt


def own_statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """A function's statements, not those of functions or classes nested in it."""
    return _statements(body, enter_functions=False)


def _statements(body: list[ast.stmt], enter_functions: bool) -> Iterator[ast.stmt]:
    stack = list(reversed(body))
    while stack:
        stmt = stack.pop()
        yield stmt
        if isinstance(stmt, (*_FUNCTIONS, ast.ClassDef)) and not enter_functions:
            continue
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            children = getattr(stmt, field, None)
            if not isinstance(children, list):
                continue
            for child in reversed(children):
                if isinstance(child, ast.stmt):
                    stack.append(child)
                elif isinstance(child, (ast.excepthandler, ast.match_case)):
                    stack.extend(reversed(child.body))
