"""Attributes an object holds from its constructor, as its callers gave them.

```python
class WorkspaceService:
    def __init__(self, client, user):
        self.client = client
        self.user = user

    async def list_mine(self):
        return await list_memberships(self.client, self.user.id)

def get_workspace_service(auth=Depends(get_current_user)):
    return WorkspaceService(auth["client"], auth["user"])
```

`self.user.id` is whatever `user` every construction of the class passed, here the
principal's own id. A value read from such an attribute carries the origin
`init:<parameter>` (`constructions.FIELD`), in the interpreter and in the plain-call
scan alike; the caller proof judges it at every `WorkspaceService(...)` of the project
as it judges a parameter at every call site (`caller_proof`). Only an attribute the
class sets once, in `__init__`'s own body, from one of its parameters that `__init__`
never rebinds: one set anywhere else may hold something else by the time a method
reads it. A part of a parameter (`self.user = auth["user"]`) is as much the caller's as
the parameter is.
"""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Iterable

from orgscope_lint.analysis.ast_names import classes
from orgscope_lint.analysis.constructions import FIELD

# Per class name: attribute -> the `__init__` parameter it holds.
Fields = dict[str, dict[str, str]]


def constructor_fields(tree: ast.Module) -> Fields:
    """The constructor fields of every class of the module, nested classes included; a
    name two classes share has none."""
    found: Fields = {}
    seen: Counter[str] = Counter()
    for node in classes(tree.body):
        seen[node.name] += 1
        found[node.name] = _fields(node)
    return {name: fields for name, fields in found.items() if seen[name] == 1 and fields}


def _fields(node: ast.ClassDef) -> dict[str, str]:
    init = next(
        (s for s in node.body if isinstance(s, ast.FunctionDef) and s.name == "__init__"), None
    )
    if init is None:
        return {}
    args = init.args
    params = {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)} - {"self"}
    candidates = {  # its own body: set on every construction
        attr: root
        for stmt in init.body
        for target, value in _assignments(stmt)
        if (attr := _self_attribute(target)) is not None and (root := _root_name(value)) in params
    }
    if not candidates:
        return {}  # most classes: walked no further
    # `if user is None: user = anonymous()`: the attribute may not hold what was passed.
    rebound = {
        n.id for n in ast.walk(init) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    }
    written = Counter(
        attr for n in ast.walk(node) if (attr := _stored_self_attribute(n)) is not None
    )
    return {
        attr: root
        for attr, root in candidates.items()
        if root not in rebound and written[attr] == 1
    }


def _assignments(stmt: ast.stmt) -> Iterable[tuple[ast.expr, ast.expr]]:
    if isinstance(stmt, ast.Assign):
        yield from ((target, stmt.value) for target in stmt.targets)
    elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
        yield stmt.target, stmt.value


def _stored_self_attribute(node: ast.AST) -> str | None:
    """`self.attr` written to, by whatever statement."""
    if isinstance(node, ast.Attribute) and not isinstance(node.ctx, ast.Load):
        return _self_attribute(node)
    return None


def _self_attribute(node: ast.expr) -> str | None:
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return node.attr if node.value.id == "self" else None
    return None


def _root_name(value: ast.expr) -> str | None:
    """`user`, or the name a part of it is read from: `auth["user"]`, `auth.user`."""
    while isinstance(value, (ast.Subscript, ast.Attribute)):
        value = value.value
    return value.id if isinstance(value, ast.Name) else None


def field_origin(node: ast.expr, fields: dict[str, str]) -> str | None:
    """The origin of `self.user.id` (or `self.user["id"]`) in a method of a class with
    those constructor fields: `init:<parameter>`, or None."""
    while isinstance(node, (ast.Subscript, ast.Attribute)):
        attr = _self_attribute(node)
        if attr is not None:
            return f"{FIELD}{fields[attr]}" if attr in fields else None
        node = node.value
    return None
