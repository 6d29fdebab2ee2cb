"""Module-level functions that never return: every call of one raises.

```python
def not_found(what: str) -> NoReturn:
    raise HTTPException(status_code=404, detail=f"{what} not found")

if not project.data:
    not_found("project")      # the path ends here, as after `raise`
```

Read from the `ast` tree, since such a helper holds no query and is usually left out of
what LibCST parses (`slicing.py`). A function counts when its return annotation says so
(`NoReturn`, `Never`), or when the last statement of its body is a `raise` and nothing
in it returns or yields: no path reaches its end, and none leaves early.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

_NEVER = frozenset({"NoReturn", "Never"})
# Scopes of their own: a `return` inside one is not the function's.
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def never_returning(tree: ast.Module) -> frozenset[str]:
    """The names of the module's top-level functions that never return."""
    return frozenset(
        stmt.name
        for stmt in tree.body
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and _never_returns(stmt)
    )


def _never_returns(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    annotation = fn.returns
    named = annotation.attr if isinstance(annotation, ast.Attribute) else None
    if isinstance(annotation, ast.Name):
        named = annotation.id
    if named in _NEVER:
        return True
    if not fn.body or not isinstance(fn.body[-1], ast.Raise):
        return False
    return not any(
        isinstance(node, (ast.Return, ast.Yield, ast.YieldFrom)) for node in _own_nodes(fn)
    )


def _own_nodes(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[ast.AST]:
    """The nodes of `fn`'s body, not those of the functions and classes nested in it."""
    stack: list[ast.AST] = [node for node in fn.body if not isinstance(node, _SCOPES)]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(c for c in ast.iter_child_nodes(node) if not isinstance(c, _SCOPES))
