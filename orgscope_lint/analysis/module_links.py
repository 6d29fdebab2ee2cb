"""What a module imports, and whether it builds a web app or mounts routers.

Read from every file, also one never given to LibCST (an app module holds no database
call): the project joins these summaries to tell a router module the app never mounts
(`mounted_routers.py`). Imports are kept as written, relative ones with their leading
dots: the join resolves them against the file's path, which a cached summary must not
have fixed. Its dependency aliases too (`dependency_aliases.py`): routes in other files
may name them.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Sequence

from orgscope_lint.analysis.ast_names import classes, last_name
from orgscope_lint.dependency_aliases import aliases_in
from orgscope_lint.facts import ModuleLinks

# Imports the summaries cannot follow: a project that loads modules by name may mount
# any router, so none is taken to be unmounted.
_DYNAMIC = re.compile(
    r"\b(?:import_module|__import__|iter_modules|walk_packages|spec_from_file_location"
    r"|load_module|exec_module|autodiscover)\b"
)
_APP = re.compile(r"\b(?:FastAPI|Starlette)\s*\(")
_ROUTER = re.compile(r"\bAPIRouter\s*\(")
_MOUNTS = re.compile(r"\.include_router\s*\(")
# Statement fields that hold statements (`except` and `case` clauses included).
_BODIES = ("body", "orelse", "finalbody", "handlers", "cases")


def module_links(
    tree: ast.Module, text: str, nodes: Sequence[ast.AST] | None = None
) -> ModuleLinks:
    """`nodes`: every node of `tree` (`child_nodes.walk_within`), when already listed."""
    imports = set(_imports(tree.body))
    dynamic = False
    if _DYNAMIC.search(text) is not None:
        # `__import__("json")` names its module as an import does; a name computed at
        # run time (`import_module(f"app.routes.{name}")`) may be any module.
        named = _named_by_call(tree)
        dynamic = named is None
        imports.update(named or ())
    return ModuleLinks(
        imports=tuple(sorted(imports)),
        dynamic=dynamic,
        app=_APP.search(text) is not None,
        router=_ROUTER.search(text) is not None,
        mounts=_MOUNTS.search(text) is not None,
        instances=_instances(tree.body),
        made=_made(tree.body),
        unused=_unused_imports(tree, text, nodes),
        dependency_aliases=aliases_in(tree),
        subclassed=_bases(tree.body),
    )


def _bases(body: list[ast.stmt]) -> tuple[str, ...]:
    """The last names of the bases of the module's classes, nested ones included."""
    return tuple(sorted({last_name(base) for node in classes(body) for base in node.bases} - {""}))


def _unused_imports(
    tree: ast.Module, text: str, nodes: Sequence[ast.AST] | None
) -> tuple[str, ...]:
    """The imports (as `_imports` names them) whose bound name the file never uses, nor
    exports in `__all__`: `from app.endpoints import vectorization` left over after the
    `include_router(vectorization.router)` line was commented out. Only read in files
    that mention routers: elsewhere every import counts as used."""
    if "router" not in text.lower():
        return ()
    loaded = set(_exported(tree.body))
    statements: list[ast.Import | ast.ImportFrom] = []
    name, imports = ast.Name, (ast.Import, ast.ImportFrom)
    for node in ast.walk(tree) if nodes is None else nodes:  # the names used, the imports
        if node.__class__ is name:
            loaded.add(node.id)
        elif isinstance(node, imports):
            statements.append(node)
    used: set[str] = set()
    unused: set[str] = set()
    for node in statements:
        if isinstance(node, ast.Import):
            for alias in node.names:
                bound = alias.asname or alias.name.split(".")[0]
                (used if bound in loaded else unused).add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            joint = "." if node.module else ""
            named = [a for a in node.names if a.name != "*"]
            kept = [a for a in named if (a.asname or a.name) in loaded]
            for alias in named:
                (used if alias in kept else unused).add(f"{base}{joint}{alias.name}")
            if node.module:
                (used if kept or len(named) < len(node.names) else unused).add(base)
    return tuple(sorted(unused - used))


def _exported(body: list[ast.stmt]) -> set[str]:
    """The names listed in a module-level `__all__`."""
    for node in body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            values = getattr(node.value, "elts", [])
            return {v.value for v in values if isinstance(v, ast.Constant)}
    return set()


def _instances(body: list[ast.stmt]) -> tuple[tuple[str, str], ...]:
    """`document_service = DocumentService()` at module level: routes that import the
    name call that class's methods."""
    return tuple((name, made) for name, made in _bound_calls(body) if made[:1].isupper())


def _made(body: list[ast.stmt]) -> tuple[tuple[str, str], ...]:
    """`jwt_auth = _make_bearer_dependency()` at module level: the name holds what that
    function returned (a dependency a factory made)."""
    return tuple((name, made) for name, made in _bound_calls(body) if not made[:1].isupper())


def _bound_calls(body: list[ast.stmt]) -> list[tuple[str, str]]:
    """Module-level names bound to a call's result, with the name called; a name bound
    twice at module level is left out."""
    found: dict[str, str | None] = {}
    for node in body:
        target = value = None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        if not isinstance(target, ast.Name):
            continue
        made = _called(value)
        found[target.id] = made if target.id not in found else None
    return sorted((name, made) for name, made in found.items() if made)


def _called(node: ast.expr | None) -> str | None:
    """`DocumentService()`, `services.DocumentService(...)`, `make_auth()`: the name
    called."""
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)


def _imports(body: list[ast.stmt]) -> Iterator[str]:
    """Every module an `import` anywhere in the file may name, lazy ones in functions
    included: `from a.b import c` names `a.b` and, if `c` is a module, `a.b.c`."""
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            if node.module:
                yield base
            joint = "." if node.module else ""
            yield from (f"{base}{joint}{a.name}" for a in node.names if a.name != "*")
        else:
            for name in _BODIES:
                stack.extend(getattr(node, name, ()))


def _named_by_call(tree: ast.Module) -> set[str] | None:
    """The modules the file loads by name, when every use of a loader is a call that
    names one literally; None when one computes the name or passes the loader on."""
    named: set[str] = set()
    loaders: set[int] = set()
    literal: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                literal.add(id(node.func))
                if _loader(node.func):
                    named.add(first.value)
        elif _loader(node):
            loaders.add(id(node))
    return named if loaders <= literal else None


def _loader(node: ast.AST) -> bool:
    return _DYNAMIC.fullmatch(last_name(node)) is not None
