"""The abstract values the interpreter tracks, and how two paths' values merge.

A value is immutable; updating a dict builds a new value, so copying an environment at
a branch is a shallow dict copy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from orgscope_lint.facts import KeyFact, Shape, ShapeKind

UNKNOWN = "unknown"
NONE = "none"  # the literal None or an empty string: a tenant key bound to it is absent
STR = "str"
SERVICE = "service"  # an instance of a DB class
DICT = "dict"
OBJECT = "object"  # `self` of a non-DB class: resolves `self.x` through the class's attributes
SEQ = "seq"  # a list, tuple or set literal or comprehension


@dataclass(frozen=True, slots=True)
class Entry:
    """One key of a tracked dict, as seen on the paths merged so far."""

    always: bool = True
    empty: bool = False  # the value is None/"" on every path that sets it
    maybe_empty: bool = False  # the value is None/"" on some path
    condition: str | None = None
    params: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Value:
    kind: str = UNKNOWN
    text: str | None = None  # the string of a STR, the class of a SERVICE or OBJECT
    entries: Mapping[str, Entry] = field(default_factory=dict)
    open: bool = False  # a DICT that may hold keys we cannot see
    params: frozenset[str] = frozenset()  # parameters this value is computed from
    nullable: bool = False  # None on some path
    has_org: bool = False  # a SERVICE built with an org
    element: Value | None = None  # a SEQ's items, merged


TOP = Value()
NONE_VALUE = Value(kind=NONE)
EMPTY_DICT = Value(kind=DICT)


def unknown_from(values: Iterable[Value]) -> Value:
    """An opaque value that still remembers which parameters fed it."""
    params: frozenset[str] = frozenset()
    for v in values:
        params |= v.params
    return Value(params=params) if params else TOP


def entry_for(value: Value) -> Entry:
    if value.kind == NONE:
        return Entry(empty=True, maybe_empty=True, params=value.params)
    return Entry(maybe_empty=value.nullable, params=value.params)


def with_entry(d: Value, key: str, entry: Entry) -> Value:
    return replace(d, entries={**d.entries, key: entry})


def without_entry(d: Value, key: str) -> Value:
    entries = dict(d.entries)
    entries.pop(key, None)
    return replace(d, entries=entries)


def merge_dicts(base: Value, extra: Value) -> Value:
    """`{**base, **extra}` or `base.update(extra)`: extra's keys win."""
    if extra.kind != DICT:
        return replace(base, open=True)
    entries = dict(base.entries)
    for key, entry in extra.entries.items():
        old = entries.get(key)
        if old is not None and not entry.always:
            # Set on some paths only: elsewhere the old value stays, so the key is still there.
            entry = _join_entries(old, entry, None, None)
            entry = replace(entry, always=True)
        entries[key] = entry
    return replace(base, entries=entries, open=base.open or extra.open)


def join(a: Value, b: Value, cond_a: str | None = None, cond_b: str | None = None) -> Value:
    """The value after two paths meet; `cond_x` names the test that led down path x."""
    if a is b:
        return a
    if a.kind == DICT and b.kind == DICT:
        return _join_dicts(a, b, cond_a, cond_b)
    if a.kind == NONE and b.kind != NONE:
        return replace(b, nullable=True, params=a.params | b.params)
    if b.kind == NONE and a.kind != NONE:
        return replace(a, nullable=True, params=a.params | b.params)
    if a.kind == b.kind and a.text == b.text and a.kind in (STR, SERVICE, OBJECT, NONE):
        return replace(
            a,
            has_org=a.has_org and b.has_org,
            nullable=a.nullable or b.nullable,
            params=a.params | b.params,
        )
    return replace(unknown_from((a, b)), nullable=a.nullable or b.nullable)


def meet(a: Value, b: Value) -> Value:
    """Two items of one list: a key counts only if every item carries it."""
    if a.kind == DICT and b.kind == DICT:
        entries = {
            key: _join_entries(entry, b.entries[key], None, None)
            for key, entry in a.entries.items()
            if key in b.entries
        }
        return Value(kind=DICT, entries=entries, open=a.open and b.open)
    return join(a, b)


def _join_dicts(a: Value, b: Value, cond_a: str | None, cond_b: str | None) -> Value:
    entries: dict[str, Entry] = {}
    for key in a.entries.keys() | b.entries.keys():
        ea, eb = a.entries.get(key), b.entries.get(key)
        if ea is not None and eb is not None:
            entries[key] = _join_entries(ea, eb, cond_a, cond_b)
        else:
            only, cond = (ea, cond_a) if ea is not None else (eb, cond_b)
            assert only is not None
            entries[key] = replace(only, always=False, condition=only.condition or cond)
    return Value(kind=DICT, entries=entries, open=a.open or b.open, params=a.params | b.params)


def _join_entries(ea: Entry, eb: Entry, cond_a: str | None, cond_b: str | None) -> Entry:
    always = ea.always and eb.always
    condition = None
    if not always:
        condition = (ea.condition if not ea.always else None) or (
            eb.condition if not eb.always else None
        )
    elif ea.empty != eb.empty:
        condition = cond_b if ea.empty else cond_a
    return Entry(
        always=always,
        empty=ea.empty and eb.empty,
        maybe_empty=ea.maybe_empty or eb.maybe_empty,
        condition=condition,
        params=ea.params | eb.params,
    )


def to_shape(value: Value | None) -> Shape:
    """The fact a rule sees for a filter or record argument (None: the argument is omitted)."""
    if value is None or value.kind == NONE:
        return Shape(ShapeKind.NONE)
    if value.kind != DICT:
        return Shape(ShapeKind.UNKNOWN)
    if not value.entries and not value.open:
        return Shape(ShapeKind.EMPTY)
    keys = tuple(
        KeyFact(
            key=key,
            always=entry.always,
            empty=entry.empty,
            maybe_empty=entry.maybe_empty,
            condition=entry.condition,
            params=tuple(sorted(entry.params)),
        )
        for key, entry in sorted(value.entries.items())
    )
    return Shape(ShapeKind.DICT, keys=keys, open=value.open)
