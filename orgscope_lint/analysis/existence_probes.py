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

Read per function from the `ast` statements (expressions are never walked: this runs
on every analysed file): `name = <query>` where the uses of `name` in the function's
text (one at least besides the binding; comment lines aside) are exactly its
presence tests: `name`, `name.data` or `len(name.data)` in the test of an `if`,
`while` or `assert`, through `not`, `and`/`or` and comparisons. Any other use (a
subscript, a return, an argument, a loop, a second binding, a nested function, a
keyword argument or a string holding the name) makes the counts differ, and the rows
count as used.
A read nothing looks at (a bare statement, a name never loaded) is judged as usual: it
is how snippets and rule examples spell a query, and in real code it is a dead read.
The one such read that is plainly harmless is a connectivity probe: it filters nothing,
asks for one row (`select(...).limit(1)` and nothing else) and drops what comes back;
only whether the table answers is learnt.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Collection, Iterator, Sequence

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
# Attributes of a query's response that say only whether rows came back.
_PRESENCE = frozenset({"data"})
_TESTED = (ast.If, ast.While, ast.Assert)


def unused_reads(tree: ast.Module, lines: Sequence[str], starts: Collection[int]) -> list[ast.Call]:
    """Every call expression whose rows nothing uses, among the assignments of a call
    that starts on one of the lines `starts` (where queries and calls were found): a
    query whose `.table(` or `db.select(` call starts where one of them does reads for
    existence only."""
    found: list[ast.Call] = []
    for fn in functions(tree.body):
        found.extend(_in_function(fn, lines, starts))
    return found


def _in_function(
    fn: ast.FunctionDef | ast.AsyncFunctionDef, lines: Sequence[str], starts: Collection[int]
) -> list[ast.Call]:
    statements = list(own_statements(fn.body))
    candidates = [
        (stmt, stmt.targets[0].id)
        for stmt in statements
        if isinstance(stmt, ast.Assign)
        and len(stmt.targets) == 1
        and isinstance(stmt.targets[0], ast.Name)
        and chain_start(stmt.value) in starts
    ]
    found = [
        call
        for stmt in statements
        if isinstance(stmt, ast.Expr) and chain_start(stmt.value) in starts and _probe(stmt.value)
        for call in _calls_in(stmt.value)
    ]
    if not candidates:
        return found
    own_lines = lines[fn.lineno - 1 : fn.end_lineno or fn.lineno]
    tested = Counter(
        name.id
        for stmt in statements
        if isinstance(stmt, _TESTED)
        for name in _tested_names(stmt.test)
    )
    for stmt, name in candidates:
        only_tested = tested[name] and _written(name, own_lines) == tested[name] + 1
        if only_tested or (_probe(stmt.value) and _never_read(fn, name)):
            found.extend(_calls_in(stmt.value))
    return found


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
    calls = _calls_in(value)
    methods = [c.func.attr for c in calls if isinstance(c.func, ast.Attribute)]
    if len(methods) != len(calls) or methods[:3] != ["execute", "limit", "select"]:
        return False
    if len(calls) != 4 or methods[3] not in ("table", "from_"):
        return False
    limit = calls[1].args
    return len(limit) == 1 and isinstance(limit[0], ast.Constant) and limit[0].value == 1


# A one-line string literal without escapes, with its prefix (an f-string is kept: the
# names in its braces are uses).
_STRING = re.compile(r"""(?<!\w)([rRbBuUfF]{0,2})("[^"\n]*"|'[^'\n]*')""")


def _written(name: str, lines: Sequence[str]) -> int:
    """How often `name` is written in these lines, not after a dot; comment lines and
    plain one-line strings left out. Anything else (a trailing comment, a string the
    pattern does not take apart) still counts: an over-count only ever keeps rows
    counted as used."""
    pattern = re.compile(rf"(?<![\w.]){re.escape(name)}(?!\w)")
    return sum(len(pattern.findall(_code_of(line))) for line in lines)


def _code_of(line: str) -> str:
    if line.lstrip().startswith("#"):
        return ""
    if "\\" in line:
        return line  # escapes could pair quotes wrongly: keep all of it
    return _STRING.sub(lambda m: m.group(0) if "f" in (m.group(1) or "").lower() else '""', line)


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


def _calls_in(value: ast.expr) -> list[ast.Call]:
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


def _is_name(node: ast.expr, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


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
