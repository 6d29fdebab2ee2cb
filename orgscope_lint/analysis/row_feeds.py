"""Reads whose rows only feed the update of the same row: read-modify-write.

```python
skill = sb.table("skills").select("confidence").eq("id", skill_id).single().execute()
if not skill.data:
    return
new = min(1.0, skill.data["confidence"] + 0.05)
sb.table("skills").update({"confidence": new}).eq("id", skill_id).execute()
```

Both queries reach the row `skill_id` names. If it is another tenant's, the update is
the leak; the read alone lets nothing out, since what it fetched goes back into the
same row. One root cause, one finding: the update's finding names the read, and the
read is not reported on its own (`tenancy.follows`). When the update is scoped, the
read is judged alone.

Decided per function from the `ast` statements, for the pairs the interpreter found (a
read, then an update of the same table filtered by the same values): the read is bound
to one name, and every use of that name, and of the names computed from it, is one
of these: a test (`if`, `while`, `assert`), the computation of another local name, a
log line (`print`, `logger.*`), or the record of that update. Anything else (a return,
an argument to another call, a loop, an attribute or item store, a nested function)
lets the rows out.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence

from orgscope_lint.analysis.existence_probes import chain_start, functions, own_statements
from orgscope_lint.facts import KeyFact, Query

_TESTS = (ast.If, ast.While, ast.Assert)
# Calls that compute a value from their arguments and keep nothing.
_PURE = frozenset({"len", "min", "max", "int", "float", "str", "bool", "round", "sum", "abs"})
_LOGS = frozenset({"print", "debug", "info", "warning", "warn", "error", "exception"})
# Expressions a value passes through without leaving the computation.
_THROUGH = (
    ast.Attribute,
    ast.Subscript,
    ast.BinOp,
    ast.UnaryOp,
    ast.BoolOp,
    ast.Compare,
    ast.IfExp,
    ast.JoinedStr,
    ast.FormattedValue,
    ast.Dict,
    ast.List,
    ast.Tuple,
    ast.Slice,
    ast.Await,
)


def same_row_pairs(queries: Sequence[Query]) -> list[tuple[int, int]]:
    """(read, update) index pairs of one function and table, the update after the read
    and filtered by every value the read is filtered by."""
    pairs = []
    for i, read in enumerate(queries):
        if read.operation != "read" or not _pins(read):
            continue
        for j, write in enumerate(queries):
            if (
                write.operation == "update"
                and write.function == read.function
                and write.table == read.table
                and write.span.line > read.span.line
                and all(_matched(fact, write, i) for fact in _pins(read))
            ):
                pairs.append((i, j))
                break
    return pairs


def _pins(query: Query) -> list[KeyFact]:
    return [f for f in query.shape.keys if f.always and "~" not in f.key]


def _matched(fact: KeyFact, write: Query, read: int) -> bool:
    """The same value: from the same parameters and row, its origin unchanged or only
    "verified" by the read itself having found the row."""
    other = write.shape.get(fact.key)
    return (
        other is not None
        and other.always
        and (other.params, other.row) == (fact.params, fact.row)
        and other.origin in (fact.origin, f"verified:q{read}")
    )


def feeding_reads(
    tree: ast.Module, queries: Sequence[Query], pairs: Sequence[tuple[int, int]]
) -> dict[int, int]:
    """Read index -> update index, for the pairs whose read's rows only feed the update."""
    if not pairs:
        return {}
    by_line = {queries[i].span.line: (i, j) for i, j in pairs}
    found: dict[int, int] = {}
    for fn in functions(tree.body):
        statements = list(own_statements(fn.body))
        for stmt in statements:
            pair = by_line.get(chain_start(stmt.value)) if isinstance(stmt, ast.Assign) else None
            if pair is None or len(stmt.targets) != 1 or not isinstance(stmt.targets[0], ast.Name):
                continue
            update_line = queries[pair[1]].span.line
            if _only_feeds(fn, stmt.targets[0].id, statements, update_line):
                found[pair[0]] = pair[1]
    return found


def _only_feeds(
    fn: ast.FunctionDef | ast.AsyncFunctionDef,
    name: str,
    statements: list[ast.stmt],
    update_line: int,
) -> bool:
    parents = _parents(fn)
    update = next((s for s in statements if _starts(s, update_line)), None)
    if update is None:
        return False
    tainted, pending = {name}, [name]
    while pending:
        current = pending.pop()
        for node in _loads(fn, current):
            target = _use(node, parents, update)
            if target is False:
                return False
            if isinstance(target, str) and target not in tainted:
                tainted.add(target)
                pending.append(target)
    return True


def _starts(stmt: ast.stmt, line: int) -> bool:
    value = getattr(stmt, "value", None)
    return isinstance(value, ast.expr) and chain_start(value) == line


def _loads(fn: ast.AST, name: str) -> Iterator[ast.Name]:
    for node in ast.walk(fn):
        if isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Load):
            yield node
        elif isinstance(node, (ast.Global, ast.Nonlocal)) and name in node.names:
            yield ast.Name(id=name, ctx=ast.Load())  # another scope may read it: no parent


def _use(node: ast.AST, parents: dict[int, ast.AST], update: ast.stmt) -> str | bool:
    """Where a use of a tainted name ends: True (harmless), a name it is computed into,
    or False (the rows may leave)."""
    child, parent = node, parents.get(id(node))
    while parent is not None:
        if isinstance(parent, (*_THROUGH, ast.keyword)):
            child, parent = parent, parents.get(id(parent))
            continue
        if isinstance(parent, ast.Call):
            verdict = _call_use(parent, child, update)
            if verdict is not None:
                return verdict
            child, parent = parent, parents.get(id(parent))
            continue
        return _statement_use(parent, child)
    return False


def _call_use(call: ast.Call, child: ast.AST, update: ast.stmt) -> bool | None:
    """True: the record of the update; False: handed to an unknown call; None: a pure
    computation whose result goes on up."""
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    if child is func:
        return None  # `row.get(...)`: a method of the value itself
    if name == "update" and _inside(call, update):
        return True
    if name in _LOGS:
        return True
    return None if name in _PURE else False


def _inside(node: ast.AST, stmt: ast.stmt) -> bool:
    return any(candidate is node for candidate in ast.walk(stmt))


def _statement_use(stmt: ast.AST, child: ast.AST) -> str | bool:
    if isinstance(stmt, _TESTS) and child is stmt.test:
        return True
    if isinstance(stmt, ast.Expr):
        return True  # a bare expression: its value is dropped (a log call got here)
    if isinstance(stmt, (ast.Assign, ast.AugAssign, ast.AnnAssign)) and child is stmt.value:
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        if len(targets) == 1 and isinstance(targets[0], ast.Name):
            return targets[0].id
    return False


def _parents(fn: ast.AST) -> dict[int, ast.AST]:
    parents: dict[int, ast.AST] = {}
    for node in ast.walk(fn):
        for child in ast.iter_child_nodes(node):
            parents[id(child)] = node
    return parents
