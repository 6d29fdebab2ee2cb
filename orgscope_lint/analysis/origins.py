"""Where a tenant id comes from: the authenticated principal, or the request.

FastAPI makes request input look like ordinary parameters; this module tells them apart
from the principal a dependency resolved, so ORG009 can say a tenant id came from a
header, a query string, a path segment or a request body.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence

import libcst as cst

from orgscope_lint.analysis.syntax import (
    annotation_names,
    dotted_name,
    expression_children,
    string_literal,
)
from orgscope_lint.analysis.values import OBJECT, Value

ROUTE_METHODS = frozenset(
    {"get", "post", "put", "patch", "delete", "head", "options", "api_route", "route"}
)
_PARAM_CALLS = {
    "Header": "request:header",
    "Query": "request:query",
    "Path": "request:path",
    "Body": "request:body",
    "Form": "request:form",
    "Cookie": "request:cookie",
}
REQUEST_ATTRIBUTES = {
    "headers": "request:header",
    "query_params": "request:query",
    "path_params": "request:path",
    "cookies": "request:cookie",
}
REQUEST_BODY_METHODS = frozenset({"json", "form", "body"})
# What authentication middleware leaves on the request: Starlette's `request.user`, and
# the user a project's middleware stores in `request.state` under one of these names.
_STATE = "RequestState"
_AUTHENTICATED_STATE = frozenset(
    {"user", "current_user", "principal", "identity", "auth_user", "user_id", "claims"}
)


def set_by_authentication(
    base: str | None, attr: str, principal_names: Collection[str]
) -> Value | None:
    """`request.state`, then `request.state.user` or `request.user`: the principal,
    which the server set, not the client. Other values a middleware stored (an org id it
    may have copied from a header) are not taken for it."""
    if base == "Request" and attr == "state":
        return Value(kind=OBJECT, text=_STATE)
    if (base == "Request" and attr == "user") or (
        base == _STATE and (attr in _AUTHENTICATED_STATE or attr in principal_names)
    ):
        return Value(origin="principal")
    return None


_SCALARS = frozenset(
    {"str", "int", "UUID", "uuid", "Optional", "Union", "None", "Annotated", "UUID4", "bool"}
)
# Framework objects a route receives that carry no request data themselves.
_FRAMEWORK = frozenset(
    {"Request", "Response", "BackgroundTasks", "WebSocket", "Session", "AsyncSession"}
)
_PATH_PARAM = re.compile(r"{(\w+)(?::[^}]*)?}")


def route_path_params(
    decorators: Sequence[cst.Decorator], prefixes: Mapping[str, frozenset[str]] | None = None
) -> set[str] | None:
    """The `{name}`s of a route's path, its router's own prefix included (`prefixes`:
    `router_prefix_params`), or None when the function is not a route."""
    for decorator in decorators:
        call = decorator.decorator
        if not isinstance(call, cst.Call) or not isinstance(call.func, cst.Attribute):
            continue
        if call.func.attr.value not in ROUTE_METHODS:
            continue
        path = string_literal(call.args[0].value) if call.args else None
        declared = (prefixes or {}).get(dotted_name(call.func.value) or "", frozenset())
        return set(_PATH_PARAM.findall(path or "")) | declared
    return None


def router_prefix_params(tree: ast.Module) -> dict[str, frozenset[str]]:
    """`router = APIRouter(prefix="/orgs/{org_id}")`: the path parameters each
    module-level router's own prefix declares, by the router's name."""
    found: dict[str, frozenset[str]] = {}
    for stmt in tree.body:
        target = stmt.targets[0] if isinstance(stmt, ast.Assign) and stmt.targets else None
        if isinstance(stmt, ast.AnnAssign):
            target = stmt.target
        value = getattr(stmt, "value", None)
        if not isinstance(target, ast.Name) or not isinstance(value, ast.Call):
            continue
        for keyword in value.keywords:
            prefix = keyword.value
            if keyword.arg == "prefix" and isinstance(prefix, ast.Constant):
                declared = _PATH_PARAM.findall(
                    prefix.value if isinstance(prefix.value, str) else ""
                )
                if declared:
                    found[target.id] = frozenset(declared)
    return found


def param_origin(
    param: cst.Param, route_params: set[str] | None, principal_names: Collection[str]
) -> str | None:
    name = param.name.value
    if name in principal_names or _names_principal(param_dependency(param), principal_names):
        return "principal"
    marker = _request_marker(param.default) or _request_marker(
        param.annotation.annotation if param.annotation else None
    )
    if marker is not None:
        return marker
    if route_params is None or param_dependency(param) is not None:
        return None
    if name in route_params:
        return "request:path"
    names = annotation_names(param.annotation.annotation) if param.annotation else set()
    if names & _FRAMEWORK:
        return None
    if not names or names <= _SCALARS:
        return "request:query"
    if any(n[:1].isupper() for n in names - _SCALARS):
        return "request:body"  # a pydantic model: FastAPI fills it from the JSON body
    return None


# How a dependency is named for what it returns: `get_current_user` returns the
# `current_user`.
_DEPENDENCY_PREFIXES = ("get_", "require_", "fetch_", "load_")


def _names_principal(dependency: str | None, principal_names: Collection[str]) -> bool:
    """`user = Depends(get_current_user)`: FastAPI fills the parameter, whatever it is
    called, from the dependency named for a principal name."""
    if not dependency:
        return False
    for prefix in _DEPENDENCY_PREFIXES:
        if dependency.startswith(prefix):
            return dependency[len(prefix) :] in principal_names
    return False


# Parameters that hand a route the raw request: it may authenticate the caller itself.
_RAW_REQUEST = frozenset({"Request", "WebSocket", "HTTPConnection"})


def anonymous_route(
    route: set[str] | None, params: Sequence[cst.Param], principal_names: Collection[str]
) -> bool:
    """A route (`route`: its path parameters) that depends on nothing and authenticates
    no one: no principal parameter, and nothing it could read a credential from (a
    header, a cookie, the raw request)."""
    if route is None:
        return False
    for param in params:
        annotation = param.annotation.annotation if param.annotation else None
        if param.name.value in principal_names or annotation_names(annotation) & _RAW_REQUEST:
            return False
        if param_origin(param, route, principal_names) in ("request:header", "request:cookie"):
            return False
    return True


def _request_marker(node: cst.BaseExpression | None) -> str | None:
    stack = [node] if node is not None else []
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Call):
            origin = _PARAM_CALLS.get(dotted_name(current.func).rsplit(".", 1)[-1])
            if origin is not None:
                return origin
        stack.extend(expression_children(current))
    return None


def param_dependency(param: cst.Param) -> str | None:
    """The function FastAPI fills `param` from: `x = Depends(f)` or `x: Annotated[T,
    Depends(f)]` (innermost name; `""` for a dependency named by no plain name)."""
    candidates: list[cst.BaseExpression] = [param.default] if param.default else []
    annotation = param.annotation.annotation if param.annotation else None
    if isinstance(annotation, cst.Subscript) and dotted_name(annotation.value).endswith(
        "Annotated"
    ):
        candidates.extend(
            element.slice.value
            for element in annotation.slice[1:]
            if isinstance(element.slice, cst.Index)
        )
    for node in candidates:
        if isinstance(node, cst.Call) and _is_dependency(node):
            target = node.args[0].value if node.args else None
            return dotted_name(target).rsplit(".", 1)[-1] if target is not None else ""
    return None


def plain_annotation(param: cst.Param) -> str | None:
    """The one plain name `param` is annotated by (`member: CurrentMember`, or with
    `| None`), when nothing in the parameter itself names a dependency: it may be a
    dependency alias (`dependency_aliases.py`)."""
    annotation = param.annotation.annotation if param.annotation else None
    if isinstance(annotation, cst.BinaryOperation) and _is_none(annotation.right):
        annotation = annotation.left
    if not isinstance(annotation, cst.Name) or annotation.value in _SCALARS | _FRAMEWORK:
        return None
    if _is_dependency(param.default):
        return None
    return annotation.value


def _is_none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def _is_dependency(node: cst.BaseExpression | None) -> bool:
    return isinstance(node, cst.Call) and dotted_name(node.func).rsplit(".", 1)[-1] in (
        "Depends",
        "Security",
    )


def first_wanted(names: Iterable[tuple[str, bool]], wanted: Collection[str]) -> str | None:
    """The first of `wanted` a route depends on, given `dependency_names` of it:
    `Depends(x)`/`Security(x())` in a parameter default or in a decorator's
    `dependencies=[...]`."""
    return next((name for name, _ in names if name in wanted), None)


def dependency_names(
    decorators: Sequence[cst.Decorator], params: Sequence[cst.Param]
) -> Iterator[tuple[str, bool]]:
    """The functions a function `Depends(...)`/`Security(...)` on, innermost name only,
    each with whether it is a factory whose result it depends on (`Depends(require())`)."""
    stack: list[cst.CSTNode] = [d.decorator for d in decorators]
    stack.extend(p.default for p in params if p.default is not None)
    stack.extend(p.annotation.annotation for p in params if p.annotation is not None)
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Call) and _is_dependency(node) and node.args:
            target = node.args[0].value
            called = isinstance(target, cst.Call)
            if isinstance(target, cst.Call):
                target = target.func
            name = dotted_name(target).rsplit(".", 1)[-1]
            if name:
                yield name, called
        stack.extend(expression_children(node))
