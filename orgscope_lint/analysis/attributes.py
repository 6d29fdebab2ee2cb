"""Class and instance attributes that name one string: `table = "projects"`.

Repository classes name their table once, as a class attribute or in `__init__`
(`self.table = PROJECTS`), and every method reads `self.table`. Such an attribute
resolves to its string only when every binding the class shows agrees: one literal, or
one module constant holding a literal. An attribute bound to two different strings, or
once to anything else (a parameter, a call, a tuple unpacking), stays unknown.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import libcst as cst

from orgscope_lint.analysis import values as V
from orgscope_lint.analysis.syntax import string_literal
from orgscope_lint.analysis.values import Value

_UNKNOWN = object()


def string_attributes(
    node: cst.ClassDef, statements: Iterable[cst.CSTNode], constants: Mapping[str, Value]
) -> dict[str, Value]:
    """The attributes of class `node` bound to exactly one string. `statements` are every
    statement below the class (methods included); class-level names are read from the
    class body only, so a method's local `table = ...` is not an attribute."""
    seen: dict[str, object] = {}
    for name, value in _class_level(node):
        _record(seen, name, _string_of(value, constants))
    for stmt in statements:
        for name, value in _self_bindings(stmt):
            _record(seen, name, _string_of(value, constants) if value is not None else None)
    return {
        name: Value(kind=V.STR, text=text)
        for name, text in seen.items()
        if isinstance(text, str) and text
    }


def _record(seen: dict[str, object], name: str, text: str | None) -> None:
    previous = seen.get(name)
    if name not in seen:
        seen[name] = text if text is not None else _UNKNOWN
    elif text is None or previous != text:
        seen[name] = _UNKNOWN


def _string_of(node: cst.BaseExpression, constants: Mapping[str, Value]) -> str | None:
    literal = string_literal(node)
    if literal is not None:
        return literal
    if isinstance(node, cst.Name):
        constant = constants.get(node.value)
        if constant is not None and constant.kind == V.STR:
            return constant.text
    return None


def _class_level(node: cst.ClassDef) -> Iterable[tuple[str, cst.BaseExpression]]:
    body = node.body.body if isinstance(node.body, cst.IndentedBlock) else [node.body]
    for line in body:
        if not isinstance(line, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
            continue
        for small in line.body:
            if isinstance(small, cst.Assign):
                for target in small.targets:
                    if isinstance(target.target, cst.Name):
                        yield target.target.value, small.value
            elif (
                isinstance(small, cst.AnnAssign)
                and small.value is not None
                and isinstance(small.target, cst.Name)
            ):
                yield small.target.value, small.value


def _self_bindings(stmt: cst.CSTNode) -> Iterable[tuple[str, cst.BaseExpression | None]]:
    """`self.x = value` (value None: bound to something this module cannot read)."""
    if isinstance(stmt, cst.Assign):
        for target in stmt.targets:
            yield from _targets(target.target, stmt.value)
    elif isinstance(stmt, cst.AnnAssign) and stmt.value is not None:
        yield from _targets(stmt.target, stmt.value)
    elif isinstance(stmt, cst.AugAssign):
        yield from _targets(stmt.target, None)
    elif isinstance(stmt, (cst.For, cst.With)):
        targets = (
            [stmt.target]
            if isinstance(stmt, cst.For)
            else [i.asname.name for i in stmt.items if i.asname]
        )
        for target in targets:
            yield from _targets(target, None)


def _targets(
    target: cst.BaseExpression, value: cst.BaseExpression | None
) -> Iterable[tuple[str, cst.BaseExpression | None]]:
    if isinstance(target, (cst.Tuple, cst.List)):
        for element in target.elements:
            yield from _targets(element.value, None)  # unpacked: not one literal
    elif isinstance(target, cst.StarredElement):
        yield from _targets(target.value, None)
    elif (
        isinstance(target, cst.Attribute)
        and isinstance(target.value, cst.Name)
        and target.value.value == "self"
    ):
        yield target.attr.value, value
