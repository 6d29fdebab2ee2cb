"""Values read from the execution context: server state, not request input.

Background workers and agent runtimes rarely pass the id of the run's own resource down
every call; they bind it once to the execution context and read it back where needed:

```python
structlog.contextvars.bind_contextvars(thread_id=thread_id)   # once, at the run's start
...
thread_id = structlog.contextvars.get_contextvars().get("thread_id")
client.table("threads").select("account_id").eq("thread_id", thread_id).execute()
```

A `ContextVar(...)`'s `.get()` and `structlog`'s `get_contextvars()` return what the
server's own code bound for the task in progress; no request can set them here. A query
pinned by such a value reaches the run's own row as long as whoever bound it had checked
it, which this analysis does not follow across the binding: the query is not reported as
a leak, but as defense in depth (ORG013, "relies on the execution context"), since the
tenant key would keep it scoped if the binding ever took an unchecked id.
"""

from __future__ import annotations

import ast

from orgscope_lint.analysis.ast_names import last_name
from orgscope_lint.analysis.values import Value
from orgscope_lint.facts import KeyFact, Query

CONTEXT = "context"
CONTEXT_VALUE = Value(origin=CONTEXT)
_READERS = frozenset({"get_contextvars"})  # structlog.contextvars.get_contextvars()
_VARIABLE_CLASSES = frozenset({"ContextVar"})
# Words that mark code as code that may read the execution context.
MARKERS = _READERS | _VARIABLE_CLASSES


def reads_context(name: str) -> bool:
    """`structlog.contextvars.get_contextvars()`, or the same imported by name."""
    return name.rsplit(".", 1)[-1] in _READERS


def creates_variable(called: str) -> bool:
    """`ContextVar("thread_id")` or `contextvars.ContextVar(...)` (`called` is the dotted
    name called): a module-level name bound to one holds per-task server state, and its
    `.get()` is a context value."""
    return called.rsplit(".", 1)[-1] in _VARIABLE_CLASSES


def variables(tree: ast.Module) -> tuple[str, ...]:
    """Module-level names bound to a `ContextVar(...)`: a function that reads one and
    hands it to a helper holds no DB call and no tenant name, yet matters (the analysis
    must not leave it out of what LibCST parses)."""
    found = []
    for stmt in tree.body:
        value = stmt.value if isinstance(stmt, (ast.Assign, ast.AnnAssign)) else None
        if not isinstance(value, ast.Call):
            continue
        func = value.func
        called = last_name(func)
        if called not in _VARIABLE_CLASSES:
            continue
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        found.extend(t.id for t in targets if isinstance(t, ast.Name))
    return tuple(sorted(found))


def context_pin(query: Query) -> KeyFact | None:
    """The key the query is pinned by on every path with a value from the execution
    context, when nothing else pins it."""
    pins = [fact for fact in query.shape.keys if fact.always and not fact.empty]
    found = [fact for fact in pins if (fact.origin or "") == CONTEXT]
    return found[0] if found and len(found) == len(pins) else None
