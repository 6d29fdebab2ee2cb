"""Freshly generated values, and the uniqueness probes that look them up.

Code that mints an invite code or an API token checks that nobody holds it yet:

```python
code = random_code()
while db.select_one("projects", {"invite_code": code}):
    code = random_code()
```

That read crosses tenants on purpose and can leak nothing: the value was generated a
line earlier, nobody could have chosen it, and only the existence of a row is tested.
A value is fresh when it comes from a random or unique-id generator (the standard
library's and the usual libraries' vocabulary, or a project function named for
generating one), also after string work on it; a read whose filter pins nothing but
fresh values, before the function has written one, is a uniqueness probe, not a tenant
read. Reading back the row just inserted by its new id is not a probe.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace

from orgscope_lint.analysis.values import Value
from orgscope_lint.facts import Query, Shape

FRESH = "fresh"
_GENERATORS = re.compile(
    r"^(?:uuid[1-8]|token_(?:hex|urlsafe|bytes)|randint|randrange|randbelow|getrandbits|"
    r"urandom|nanoid|shortuuid|ulid|"
    r"(?:generate|gen|make|new|create)_?(?:random|unique|code|token|slug|key|id)\w*|"
    r"random\w*|\w*_random\w*)$",
    re.IGNORECASE,
)
# Random picks are fresh only from an alphabet: `choice(agent_ids)` picks an existing id.
_PICKERS = frozenset({"choice", "choices", "sample"})
# Methods and builtins whose result is a respelling of their fresh input.
_STRING_WORK = frozenset(
    {"join", "format", "upper", "lower", "strip", "replace", "hex", "hexdigest", "str"}
)


def call_origin(name: str, inputs: Iterable[Value]) -> str | None:
    """The origin of `name(...)`'s result: fresh when it generates or respells a fresh value.
    `inputs` are the receiver (or a placeholder for a plain call) and then the arguments."""
    last = name.rsplit(".", 1)[-1]
    inputs = list(inputs)
    if _GENERATORS.match(last):
        return FRESH
    if last in _PICKERS and not any(v.row or v.params or v.origin for v in inputs[1:]):
        return FRESH
    if last in _STRING_WORK and any(_fresh(value) for value in inputs):
        return FRESH
    return None


def respelled(parts: Iterable[Value]) -> Value | None:
    """An f-string or a `+` of strings with a fresh part (`f"T{randint(0, 999999):06d}"`):
    as fresh as the value it spells, the rest being literal text or other fresh parts."""
    parts = list(parts)
    if any(_fresh(part) for part in parts) and all(
        _fresh(part) or not (part.row or part.params or part.origin) for part in parts
    ):
        return Value(origin=FRESH)
    return None


class WrittenFresh:
    """Functions that inserted a fresh value: a later read by it is no uniqueness probe,
    it reads back the row just written (a read the tenant key should still scope)."""

    def __init__(self) -> None:
        self._functions: set[str | None] = set()

    def after(self, query: Query, function: str | None) -> Query:
        """`query` as recorded, once the function's earlier writes are known."""
        if query.operation == "insert":
            if any(fact.origin == FRESH for fact in query.shape.keys):
                self._functions.add(function)
            return query
        if function not in self._functions:
            return query
        keys = tuple(
            replace(fact, origin=None) if fact.origin == FRESH else fact
            for fact in query.shape.keys
        )
        return replace(query, shape=replace(query.shape, keys=keys))


def _fresh(value: Value) -> bool:
    return value.origin == FRESH or (value.element is not None and value.element.origin == FRESH)


def probes_fresh_value(shape: Shape) -> bool:
    """A filter that pins nothing but freshly generated values, on every path."""
    pinned = [fact for fact in shape.keys if "~" not in fact.key]
    return (
        bool(pinned)
        and not shape.open
        and not shape.merged
        and all(fact.always and fact.origin == FRESH for fact in pinned)
    )
