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

from orgscope_lint.analysis.ast_names import last_name
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
    """(read, update) index pairs of one function and table, the update filtered by
    every value the read is filtered by (which comes first is the ast's to say)."""
    pairs = []
    for i, read in enumerate(queries):
        if read.operation != "read" or not _pins(read):
            continue
        for j, write in enumerate(queries):
            if (
                write.operation == "update"
                and write.function == read.function
                and write.table == read.table
                and all(_matched(fact, write, i) for fact in _pins(read))
            ):
                pairs.append((i, j))
    return pairs


def _pins(query: Query) -> list[KeyFact]:
    return [f for f in query.shape.keys if f.always and "~" not in f.key]


def _matched(fact: KeyFact, write: Query, read: int) -> bool:
    """The same value: from the same parameters and row, its origin unchanged or only
    "verified" by the read itself having found the row."""
    other = write.shape.get(fact.key)
    if other is None or not other.always:
        return False
    if other.origin == f"verified:q{read}" and other.row == fact.row:
        return True  # the value the read found: verifying it may drop what it came from
    return (other.params, other.row, other.origin) == (fact.params, fact.row, fact.origin)


def feeding_reads(
    tree: ast.Module, queries: Sequence[Query], pairs: Sequence[tuple[int, int]]
) -> dict[int, int]:
    """Read index -> update index, for the pairs whose read's rows only feed the update."""
    if not pairs:
        return {}
    found: dict[int, int] = {}
    for fn in functions(tree.body):
        statements = list(own_statements(fn.body))
        starts = {chain_start(s.value): s for s in statements if _has_value(s)}
        parents: dict[int, ast.AST] | None = None  # built once, for the first pair here
        for i, j in pairs:
            read_line, update = queries[i].span.line, starts.get(queries[j].span.line)
            if update is None or i in found:
                continue
            read = _read_node(starts.get(read_line), update, read_line)
            if read is None:
                continue
            parents = parents if parents is not None else _parents(fn)
            if _only_feeds(fn, parents, read, update):
                found[i] = j
    return found


def _has_value(stmt: ast.stmt) -> bool:
    return isinstance(getattr(stmt, "value", None), ast.expr)


def _read_node(stmt: ast.stmt | None, update: ast.stmt, line: int) -> ast.AST | None:
    """Where the read's rows are first held: the name it is bound to before the update,
    or, for a read written inside the update's own statement, its `.execute()` call."""
    if update.lineno <= line <= (update.end_lineno or update.lineno):
        return next(
            (
                node
                for record in _update_arguments(update)
                for node in ast.walk(record)
                if isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "execute"
                and chain_start(node) == line
            ),
            None,
        )
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and line < update.lineno:
        target = stmt.targets[0]
        return target if isinstance(target, ast.Name) else None
    return None


def _update_arguments(stmt: ast.stmt) -> Iterator[ast.expr]:
    for node in ast.walk(stmt):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "update":
            yield from node.args
            yield from (keyword.value for keyword in node.keywords)


def _only_feeds(
    fn: ast.FunctionDef | ast.AsyncFunctionDef,
    parents: dict[int, ast.AST],
    read: ast.AST,
    update: ast.stmt,
) -> bool:
    """Every use of the rows, followed through the names computed from them, stays
    inside the function or goes into the update's record."""
    if not isinstance(read, ast.Name):
        return _use(read, parents, update) is True
    tainted, pending = {read.id}, [read.id]
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
    name = last_name(func)
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
