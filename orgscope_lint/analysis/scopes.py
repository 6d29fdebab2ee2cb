"""Python's name scoping, for the few tenant-like names ORG006 watches.

Bindings are collected while the interpreter walks a scope, and uses are resolved once
the whole module has been walked: a name bound anywhere in a function is local to all
of it, and a function may use a module name bound further down.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field

_BUILTINS = frozenset(dir(builtins)) | {"__file__", "__name__", "__doc__", "__spec__"}


@dataclass(eq=False)
class Scope:
    kind: str  # module | function | class | comprehension
    parent: Scope | None = None
    bindings: set[str] = field(default_factory=set)
    star_import: bool = False
    # Names declared `global`: they resolve in the module scope.
    globals: set[str] = field(default_factory=set)

    def bind(self, name: str) -> None:
        # Assigning a name declared `global` binds it in the module.
        (self.module() if name in self.globals else self).bindings.add(name)

    def module(self) -> Scope:
        scope = self
        while scope.parent is not None:
            scope = scope.parent
        return scope

    def resolves(self, name: str) -> bool:
        """Whether `name` used in this scope is bound somewhere Python would look."""
        if name in self.globals:
            return self._module_binds(name)
        if name in self.bindings:
            return True
        scope = self.parent
        while scope is not None:
            # Class bodies are not visible from the functions nested in them.
            if scope.kind != "class" and (name in scope.bindings or name in scope.globals):
                return True
            scope = scope.parent
        return self._module_binds(name)

    def shadows(self, name: str) -> bool:
        """Whether a scope inside the module binds `name` (so far), hiding the module's."""
        scope: Scope | None = self
        while scope is not None and scope.parent is not None:
            if name in scope.bindings:
                return True
            scope = scope.parent
        return False

    def _module_binds(self, name: str) -> bool:
        module = self.module()
        return name in module.bindings or module.star_import or name in _BUILTINS
