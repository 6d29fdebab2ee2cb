"""Names in the `ast` tree CPython parsed, for the code that reads it without LibCST
(the safety gate's tree: module links, slicing, plain calls, constructor fields)."""

from __future__ import annotations

import ast
from collections.abc import Iterator


def last_name(node: ast.AST | None) -> str:
    """`f` of `f` or of `module.f`; "" for anything else (a call, a subscript)."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def classes(body: list[ast.stmt]) -> Iterator[ast.ClassDef]:
    """The classes a module body defines, nested classes included (not those defined
    inside functions)."""
    stack = [stmt for stmt in body if isinstance(stmt, ast.ClassDef)]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(stmt for stmt in node.body if isinstance(stmt, ast.ClassDef))
