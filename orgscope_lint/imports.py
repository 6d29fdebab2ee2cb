"""Dotted module names of the project's files, and where a file imports a name from.

Read from the summaries' `ModuleLinks` (imports as written, relative ones with their
leading dots), so that a cached summary never fixes a path: the dots are resolved
against the importing file's path here.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from orgscope_lint.facts import ModuleLinks


def resolved(name: str, path: str) -> tuple[str, ...]:
    """`..routes.search` imported by `src/api/v1/app.py` is `src.api.routes.search`."""
    level = len(name) - len(name.lstrip("."))
    parts = tuple(part for part in name[level:].split(".") if part)
    if not level:
        return parts
    package = PurePosixPath(path).parent.parts
    if level > 1:
        package = package[: len(package) - (level - 1)]
    return (*package, *parts)


def dotted(path: str) -> tuple[str, ...]:
    """`app/api/routes.py` is `app.api.routes`; a package is its `__init__.py`'s folder."""
    pure = PurePosixPath(path)
    parts = pure.with_suffix("").parts
    return parts[:-1] if parts[-1] == "__init__" else parts


def sources_of(name: str, path: str, links: ModuleLinks) -> list[tuple[str, ...]]:
    """The modules file `path` imports `name` from (`from auth import name`, relative
    ones resolved), as dotted parts; empty when no import of it names one."""
    found = []
    for imported in links.imports:
        parts = resolved(imported, path)
        if len(parts) > 1 and parts[-1] == name:
            found.append(parts[:-1])
    return found


def is_module(path: str, module: tuple[str, ...]) -> bool:
    """Whether file `path` is the module an import names: its dotted path ends with
    the name (`backend/auth.py` is `auth` when `backend` is on the import path)."""
    here = dotted(path)
    return bool(module) and here[len(here) - len(module) :] == module


class ReExports:
    """Where an imported name is defined, through the packages that re-export it.

    `from app.db.queries.workspace import list_mine` names the package, whose
    `__init__.py` only imports `list_mine` from `.workspace_list`: the function lives
    in the module that import names. Followed a few modules deep, through every file
    whose dotted path ends with the module imported (as `is_module` matches them).
    """

    _DEPTH = 4

    def __init__(self, links: dict[str, ModuleLinks]) -> None:
        self._links = links
        self._by_suffix: dict[tuple[str, ...], list[str]] = {}
        for path in links:
            parts = dotted(path)
            for start in range(len(parts)):
                self._by_suffix.setdefault(parts[start:], []).append(path)
        self._memo: dict[tuple[str, tuple[str, ...]], list[tuple[str, ...]]] = {}

    def sources(self, name: str, path: str) -> list[tuple[str, ...]]:
        """The modules file `path` imports `name` from, and those they re-export it
        from; empty when no import of it names one."""
        links = self._links.get(path)
        found = sources_of(name, path, links) if links is not None else []
        for module in list(found):
            found.extend(m for m in self._onward(name, module) if m not in found)
        return found

    def _onward(self, name: str, module: tuple[str, ...]) -> list[tuple[str, ...]]:
        key = (name, module)
        if key not in self._memo:
            self._memo[key] = []  # a cycle of re-exports ends here
            found: list[tuple[str, ...]] = []
            frontier = [module]
            for _ in range(self._DEPTH):
                frontier = [
                    onward
                    for current in frontier
                    for path in self._by_suffix.get(current, ())
                    for onward in sources_of(name, path, self._links[path])
                    if onward not in found and onward != module
                ]
                found.extend(dict.fromkeys(frontier))
            self._memo[key] = found
        return self._memo[key]
