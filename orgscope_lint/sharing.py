"""Equal leaf records shared before a large cache entry is pickled.

Pickle writes an object once and refers back to it afterwards, but only when it is the
*same* object. The project's summary index holds every file's summaries: the same
strings (table names, keys, parameter names, origins), spans, key facts, shapes and
argument facts recur hundreds of thousands of times as distinct objects, so each one is
written, and on every partial run rebuilt, again. `shared` returns a copy in which
equal ones are a single object: on a 400k-line project the index shrinks from 22 MB to
under half, and unpickling it (which every partial run does) takes about half as long.

Only records no code tells apart by identity are merged: strings, tuples, and the
leaf records in `MERGED`. A `Query` or a `FunctionFact` is never merged with an equal
one (`tenancy.verdict` remembers verdicts by `id(query)`, `Project.path_of` functions by
`id(fn)`): two files may hold equal ones, which must stay two. Such records are copied
so that they refer to the shared leaves. Values of any other type are kept as they
are, and a record holding one is never merged.
"""

from __future__ import annotations

import enum
import gc
from collections.abc import Iterable
from dataclasses import is_dataclass

from orgscope_lint.facts import ArgFact, KeyFact, Shape
from orgscope_lint.findings import Span

# Leaf records identity never matters for: equal ones are merged.
MERGED: frozenset[type] = frozenset({Span, KeyFact, Shape, ArgFact})
# Immutable values compared by type and value: `True` and `1` are equal, yet not merged.
_PLAIN = (int, bool, type(None))


def shared(value: object) -> object:
    """A copy of `value` (plain data: dicts, tuples, strings, data classes) in which
    equal strings, tuples and `MERGED` records are one object; `value` is unchanged.

    The cyclic collector is paused meanwhile: the copy allocates a million objects,
    none of them garbage, and its collections would walk them again and again."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _Sharer().copy(value)
    finally:
        if was_enabled:
            gc.enable()


class _Sharer:
    """One pass over the value, bottom-up: each part is shared before the record or
    tuple holding it, so two of those are equal exactly when their parts are the same
    objects (or equal plain values of the same type), which `_key` compares cheaply.
    Written for speed: it visits every object of a project's index."""

    def __init__(self) -> None:
        self.strings: dict[str, str] = {}
        # (type, the identity or plain value of each part) -> the one record kept. The
        # parts stay alive in it, so their ids are never reused while it lives.
        self.records: dict[tuple, object] = {}
        # Data classes with a `__dict__` met so far: their instances are copied.
        self.record_types: set[type] = set()

    def copy(self, value: object) -> object:
        kind = type(value)
        if kind is str:
            return self.strings.setdefault(value, value)  # type: ignore[arg-type]
        if kind in _PLAIN:
            return value
        if kind is tuple:
            return self._tuple(value)  # type: ignore[arg-type]
        if kind in self.record_types or self._is_record(value):
            return self._record(value)
        if kind is dict:
            return {self.copy(k): self.copy(v) for k, v in value.items()}  # type: ignore[attr-defined]
        return value

    def _is_record(self, value: object) -> bool:
        if is_dataclass(value) and not isinstance(value, type) and hasattr(value, "__dict__"):
            self.record_types.add(type(value))
            return True
        return False

    def _tuple(self, items: tuple) -> tuple:
        copy = self.copy
        copied = tuple([copy(item) for item in items])
        key = self._key(tuple, copied)
        return copied if key is None else self.records.setdefault(key, copied)  # type: ignore[return-value]

    def _record(self, record: object) -> object:
        kind = type(record)
        state = dict(record.__dict__)
        strings, copy = self.strings, self.copy
        for name, item in state.items():  # replacing values, never adding keys
            if type(item) is str:
                state[name] = strings.setdefault(item, item)
            elif type(item) not in _PLAIN:
                state[name] = copy(item)
        copied = object.__new__(kind)
        copied.__dict__.update(state)  # frozen: filled as unpickling fills it
        key = self._key(kind, state.values()) if kind in MERGED else None
        return copied if key is None else self.records.setdefault(key, copied)

    def _key(self, kind: type, parts: Iterable[object]) -> tuple | None:
        """What makes two records of `kind` with these (already shared) parts equal, or
        None when a part is of a type this module does not compare."""
        key: list[object] = [kind]
        shared_types = self.record_types
        for part in parts:
            part_kind = type(part)
            if part_kind is str or part_kind is tuple or part_kind in shared_types:
                # The one shared object, or a record never merged: equal only to itself.
                key.append(id(part))
            elif part_kind in _PLAIN or isinstance(part, enum.Enum):
                key.append((part_kind, part))
            else:
                return None
        return tuple(key)
