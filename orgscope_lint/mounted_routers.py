"""Router modules the app never mounts: their routes serve no request.

```python
# api/routes/search.py
router = APIRouter(prefix="/search")

@router.post("")
def search_documents(...): ...          # no module imports api/routes/search.py

# main.py
app = FastAPI()
app.include_router(documents.router)     # search's router is not among them
```

A FastAPI router serves requests only once some module includes it, and including it
takes importing its module. When the project builds an app and mounts routers, a module
that defines an `APIRouter` and that no other non-test module imports (by any suffix of
its dotted path, relative imports resolved) is dead code: what its routes do is not a
tenant's request. Findings there are shown as system context, with that reason, and a
function called only from such routes inherits it (`analysis/system_reach.py`).

An import whose name the importing file never uses mounts nothing either
(`from app.endpoints import vectorization` left behind when its `include_router` line
was commented out; `ModuleLinks.unused`, read in files that mention routers): a router
module imported only that way is dead code too, unless it mounts its own router on one
imported from elsewhere. A package's `__init__.py` re-exports what it imports.

It decides nothing when it cannot see every import: a file that did not parse, a project
that loads modules by name (`importlib.import_module`, `pkgutil.iter_modules`), a
project whose analysed files build no app (its entry point lies elsewhere), or a module
that builds an app itself (served by name, never imported).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from orgscope_lint.facts import ModuleLinks
from orgscope_lint.imports import dotted, resolved

if TYPE_CHECKING:
    from orgscope_lint.project import Project


def unmounted_reason(path: str, project: Project) -> str | None:
    """Why the routes of file `path` serve no request, or None."""
    if project.imported_modules is None:
        project.imported_modules = _imported_modules(project)
    imported = project.imported_modules
    if not imported.decidable:
        return None
    links = imported.links.get(path)
    if links is None or not links.router or links.app:
        return None
    parts = dotted(path)
    suffixes = {parts[start:] for start in range(len(parts))}
    if any(imported.by.get(suffix, {path}) - {path} for suffix in suffixes):
        return None
    if not any(imported.unused_by.get(suffix, {path}) - {path} for suffix in suffixes):
        return f"route never mounted: no module imports `{path}`"
    if links.mounts:
        return None  # it may mount its own router on one imported from elsewhere
    return f"route never mounted: `{path}` is imported only where its name goes unused"


class ImportedModules:
    """Each dotted name some module imports, with the files that import it."""

    def __init__(
        self,
        decidable: bool,
        by: dict[tuple[str, ...], set[str]],
        links: dict[str, ModuleLinks],
        unused_by: dict[tuple[str, ...], set[str]] | None = None,
    ) -> None:
        self.decidable = decidable
        self.by = by
        self.links = links  # by file
        # Imports whose name the importing file never uses: they mount nothing.
        self.unused_by = unused_by or {}


def _imported_modules(project: Project) -> ImportedModules:
    from orgscope_lint.project import test_module

    by: dict[tuple[str, ...], set[str]] = {}
    unused_by: dict[tuple[str, ...], set[str]] = {}
    by_path: dict[str, ModuleLinks] = {}
    app = mounts = False
    for facts in project.file_facts:
        links = facts.links
        if test_module(facts.path, project.config.root):
            continue  # a test imports a router to call it, not to serve it
        if links is None or links.dynamic:
            return ImportedModules(False, {}, {})
        by_path[facts.path] = links
        app = app or links.app
        mounts = mounts or links.mounts
        # A package's `__init__.py` re-exports what it imports: used by its importers.
        unused = () if facts.path.endswith("__init__.py") else links.unused
        for name in links.imports:
            found = unused_by if name in unused else by
            found.setdefault(resolved(name, facts.path), set()).add(facts.path)
    return ImportedModules(app and mounts, by, by_path, unused_by)
