"""Class and instance attributes that name one string, or hold one class's instance.

Repository classes name their table once, as a class attribute or in `__init__`
(`self.table = PROJECTS`), and every method reads `self.table`. Such an attribute
resolves to its string only when every binding the class shows agrees: one literal, or
one module constant holding a literal. An attribute bound to two different strings, or
once to anything else (a parameter, a call, a tuple unpacking), stays unknown.

Workers and runtimes keep their collaborators the same way (`self.thread_manager =
ThreadManager()`, or a parameter annotated `ThreadManager`): when every binding agrees,
`self.thread_manager.run_thread(...)` is a call of that class's method, a call site the
caller proof can judge, rather than a call on a receiver of unknown type that leaves
every `run_thread` of the project with call sites unseen.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import libcst as cst

from orgscope_lint.analysis import values as V
from orgscope_lint.analysis.syntax import annotated_classes, dotted_name, string_literal
from orgscope_lint.analysis.values import Value

_UNKNOWN = object()
_NO_CLASS = ""


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


def object_attributes(
    node: cst.ClassDef, statements: Iterable[cst.CSTNode], skip: frozenset[str]
) -> dict[str, str]:
    """The attributes of class `node` that hold an instance of one class: every binding
    of `self.x` in the class agrees on it (a construction `Cls(...)`, or a parameter
    annotated `Cls`). `statements` are every statement below the class; classes in `skip`
    (DB classes, resolved elsewhere) are left out."""
    seen: dict[str, str] = {}
    for stmt in statements:
        if isinstance(stmt, cst.FunctionDef):
            typed = _typed_params(stmt)
            for inner in _assignments(stmt.body):
                _bind(seen, inner, typed)
    return {attr: cls for attr, cls in seen.items() if cls and cls not in skip}


def _typed_params(method: cst.FunctionDef) -> dict[str, str]:
    params = [*method.params.posonly_params, *method.params.params, *method.params.kwonly_params]
    found: dict[str, str] = {}
    for param in params:
        annotation = param.annotation.annotation if param.annotation else None
        classes = sorted(c for c in annotated_classes(annotation) if c[:1].isupper())
        if len(classes) == 1:
            found[param.name.value] = classes[0]
    return found


def _assignments(body: cst.BaseSuite) -> Iterable[cst.Assign | cst.AnnAssign]:
    for node in _below(body):
        if isinstance(node, (cst.Assign, cst.AnnAssign)):
            yield node


def _below(node: cst.CSTNode) -> Iterable[cst.CSTNode]:
    """Every node below `node`, without entering nested functions or classes."""
    stack = list(node.children)
    while stack:
        child = stack.pop()
        if isinstance(child, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        yield child
        stack.extend(child.children)


def _bind(seen: dict[str, str], stmt: cst.Assign | cst.AnnAssign, typed: Mapping[str, str]) -> None:
    targets = [t.target for t in stmt.targets] if isinstance(stmt, cst.Assign) else [stmt.target]
    for target in targets:
        for attr, value in _targets(target, stmt.value):
            cls = _class_of(value, typed) if value is not None else _NO_CLASS
            previous = seen.get(attr)
            seen[attr] = cls if previous is None or previous == cls else _NO_CLASS


def _class_of(value: cst.BaseExpression, typed: Mapping[str, str]) -> str:
    if isinstance(value, cst.Call):
        name = dotted_name(value.func).rsplit(".", 1)[-1]
        return name if name[:1].isupper() else _NO_CLASS
    if isinstance(value, cst.Name):
        return typed.get(value.value, _NO_CLASS)
    return _NO_CLASS
