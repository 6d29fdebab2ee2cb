"""Retention sweeps: writes that reach only rows whose expiry has passed.

```python
sb.table("sessions").delete().lt("expires_at", datetime.utcnow().isoformat()).execute()
```

Such a delete crosses tenants on purpose and takes nothing from any of them that was
still meant to be kept: the rows are those the schema itself marks as expired, the same
for every tenant, whoever triggers the sweep. It is a sweep only while the filter holds
nothing but that comparison with the current time: a moment the request chose, a moment
shifted into the future (`now + timedelta(...)`, which reaches live rows), or any other
column pinned beside it is judged as usual. Reads are never sweeps: their rows leave.
"""

from __future__ import annotations

import re

from orgscope_lint.analysis.values import Value
from orgscope_lint.facts import Query, ShapeKind

CLOCK = "clock"  # the origin of the current time
# `datetime.now(timezone.utc)`, `datetime.utcnow()`, `date.today()`, `timezone.now()`.
_NOW = frozenset({"now", "utcnow", "today"})
# Methods that respell a moment without moving it.
_RESPELL = frozenset({"isoformat", "strftime", "replace", "astimezone", "date"})
# Columns holding the moment a row stops being valid.
_EXPIRY = re.compile(
    r"^(?:\w+_)?(?:expires?|expired|expiry|expiration)(?:_(?:at|on|date|time|ts))?$"
    r"|^valid_until$|^(?:delete|purge)_after$",
    re.IGNORECASE,
)
_BEFORE = ("lt", "lte")


def clock_call(name: str, receiver: Value) -> bool:
    """`<x>.now()`, or a respelling of the current time (`now.isoformat()`)."""
    if name in _NOW:
        return not (receiver.row or receiver.params or receiver.origin)
    return name in _RESPELL and receiver.origin == CLOCK


def loose_origin(value: Value) -> str | None:
    """What a range filter keeps of its bound: only that it is the current time."""
    return CLOCK if value.origin == CLOCK else None


def sweeps_expired(query: Query) -> bool:
    """A delete or update filtered by nothing but `expiry column < now`."""
    shape = query.shape
    if query.operation not in ("delete", "update") or shape.kind is not ShapeKind.DICT:
        return False
    if shape.open or not shape.keys:
        return False
    return all(_expired_before_now(fact.key, fact.origin) for fact in shape.keys)


def is_expiry_column(column: str) -> bool:
    """`expires_at`, `expiry_date`, `valid_until`: when a row stops being valid."""
    return bool(_EXPIRY.match(column))


def _expired_before_now(key: str, origin: str | None) -> bool:
    column, _, op = key.partition("~")
    return op in _BEFORE and origin == CLOCK and is_expiry_column(column)
