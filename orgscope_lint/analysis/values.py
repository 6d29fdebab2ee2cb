"""The abstract values the interpreter tracks, and how two paths' values merge.

A value is immutable; updating a dict builds a new value, so copying an environment at
a branch is a shallow dict copy.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from orgscope_lint.facts import KeyFact, Shape, ShapeKind

# Environment keys for checked expressions: no Python name can start with this.
EXPRESSION = "·"

UNKNOWN = "unknown"
NONE = "none"  # the literal None or an empty string: a tenant key bound to it is absent
STR = "str"
SERVICE = "service"  # an instance of a DB class
DICT = "dict"
OBJECT = "object"  # `self` of a non-DB class: resolves `self.x` through the class's attributes
SEQ = "seq"  # a list, tuple or set literal or comprehension
ROW = "row"  # what a query or a DB helper returned
BUILDER = "builder"  # a Supabase query-builder chain: `client.table("t").select().eq(...)`

# Where a value comes from, when that matters for a tenant id. Worst first: a merge of
# two paths keeps the worse origin, since one bad path is enough for a leak.
ORIGIN_RANK = ("request", "unverified", "row", "context", "verified", "principal")
_WORSE_THAN_UNKNOWN = frozenset({"request", "unverified"})


@dataclass(frozen=True, slots=True)
class Entry:
    """One key of a tracked dict, as seen on the paths merged so far."""

    always: bool = True
    empty: bool = False  # the value is None/"" on every path that sets it
    maybe_empty: bool = False  # the value is None/"" on some path
    condition: str | None = None
    params: frozenset[str] = frozenset()
    origin: str | None = None  # see ORIGIN_RANK; "request:header" etc. for untrusted input
    row: str | None = (
        None  # the fact ("q3": queries[3], "h1": helper_calls[1]) whose row it was read from
    )
    column: str | None = None  # see Value.column
    checked: frozenset[str] = frozenset()  # see Value.checked
    call: int | None = None  # see Value.call: what a project call returned


@dataclass(frozen=True, slots=True)
class Value:
    kind: str = UNKNOWN
    text: str | None = None  # the string of a STR, the class of a SERVICE or OBJECT
    entries: Mapping[str, Entry] = field(default_factory=dict)
    open: bool = False  # a DICT that may hold keys we cannot see
    params: frozenset[str] = frozenset()  # parameters this value is computed from
    nullable: bool = False  # None on some path
    element: Value | None = None  # a SEQ's items, merged
    # What a DICT's keys we cannot see hold, merged: a comprehension's values
    # (`{r["phone"]: r["id"] for r in rows}`), read back by `d[k]`, `d.get(k)`, `d.values()`.
    held: Value | None = None
    # A SEQ's items by position, when a literal gave them (`[q1, q2]`, `gather(a, b)`):
    # unpacking `a, b = ...` keeps which row is which.
    items: tuple[Value, ...] | None = None
    # The result of a call that may reach a project function: its index among the
    # module's call facts, so a check of the result can be recorded on that call.
    call: int | None = None
    origin: str | None = None  # see ORIGIN_RANK
    row: str | None = None  # ROW, or read from one: the fact behind it ("q3", "h1")
    column: str | None = None  # read from a row: the field it is (`row["building_id"]`)
    # ROW: variables the query's filter pinned; a guard on the row verifies them.
    verifies: frozenset[str] = frozenset()
    # BUILDER: the operation so far and the record it writes (filters live in `entries`).
    operation: str | None = None
    method: str | None = None  # BUILDER: the operation's method as written (`upsert`)
    record: Value | None = None
    site: tuple | None = None  # BUILDER: its `.table(` call; SERVICE: its construction
    selected: str | None = None  # BUILDER: the columns `.select(...)` names, as written
    from_call: str | None = None  # the result of calling this function (resolved project-wide)
    merged: frozenset[str] = frozenset()  # DICT: functions whose returned dicts were spread in
    merged_params: frozenset[str] = frozenset()  # parameters those calls were given
    # ROW: the read asked for the number of rows matched (`select(..., count="exact")`),
    # so a test of its `count` tests whether it found any.
    counted: bool = False
    # Calls it was handed that returned normally, as "line:column:slot" of the call: if
    # the called function checks that parameter (raising otherwise), so is this value.
    checked: frozenset[str] = frozenset()
    # Request input that passed a test against something it did not choose on every
    # path (`if org in allowed:`): no raw input when a dependency returns it.
    tested: bool = False
    # A STR that is one of these literals: the target of a loop over them (`for col in
    # ("related_flight_id", "reference_id")`).
    options: tuple[str, ...] = ()


TOP = Value()
NONE_VALUE = Value(kind=NONE)
EMPTY_DICT = Value(kind=DICT)

_T = TypeVar("_T")


def replace(obj: _T, /, **changes: Any) -> _T:
    """`dataclasses.replace(obj, **changes)`, four times as fast for a `Value` or an
    `Entry`: the interpreter replaces some hundred thousand of them on a large project,
    and the generic one reads every field's metadata and then runs `__init__`, which
    sets each of the two dozen fields through `object.__setattr__`."""
    replacer = _REPLACERS.get(obj.__class__)
    if replacer is None:
        return dataclasses.replace(obj, **changes)  # type: ignore[type-var]
    return replacer(obj, **changes)


def _replacer(cls: type) -> Callable[..., Any]:
    """A `replace` for one frozen, slotted dataclass whose `__init__` only sets its
    fields (no `__post_init__`, every field an `__init__` one): the copy is made
    without `__init__`, each field set through its slot. Generated, as `dataclasses`
    generates `__init__`: one keyword per field, `_KEEP` for those left as they are."""
    fields = dataclasses.fields(cls)
    assert "__slots__" in cls.__dict__ and not hasattr(cls, "__post_init__")
    assert all(f.init for f in fields)
    names = [f.name for f in fields]
    lines = [f"def replace(obj, /, *, {', '.join(f'{n}=_KEEP' for n in names)}):"]
    lines.append("    new = _new(_cls)")
    lines += [f"    _set_{n}(new, obj.{n} if {n} is _KEEP else {n})" for n in names]
    lines.append("    return new")
    scope: dict[str, Any] = {"_KEEP": object(), "_new": object.__new__, "_cls": cls}
    scope.update({f"_set_{n}": cls.__dict__[n].__set__ for n in names})
    exec("\n".join(lines), scope)
    return scope["replace"]


_REPLACERS: dict[type, Callable[..., Any]] = {cls: _replacer(cls) for cls in (Value, Entry)}


def unknown_from(values: Iterable[Value]) -> Value:
    """An opaque value that still remembers which parameters fed it."""
    params: frozenset[str] = frozenset()
    for v in values:
        params |= v.params
    return Value(params=params) if params else TOP


def entry_for(value: Value) -> Entry:
    if value.kind == NONE:
        return Entry(empty=True, maybe_empty=True, params=value.params)
    return Entry(
        maybe_empty=value.nullable,
        params=value.params,
        origin=value.origin,
        row=value.row,
        column=value.column,
        checked=value.checked,
        call=value.call,
    )


def worse_origin(a: str | None, b: str | None) -> str | None:
    if a == b:
        return a
    if a is None or b is None:
        # One path proves nothing about the value: only a worse origin than "nothing
        # known" (request input, an unchecked `.get()`) survives the merge.
        known = a if b is None else b
        return known if known and known.split(":")[0] in _WORSE_THAN_UNKNOWN else None
    for origin in ORIGIN_RANK:
        for candidate in (a, b):
            if candidate and candidate.split(":")[0] == origin:
                return candidate
    return None


def with_entry(d: Value, key: str, entry: Entry) -> Value:
    return replace(d, entries={**d.entries, key: entry})


def without_entry(d: Value, key: str) -> Value:
    entries = dict(d.entries)
    entries.pop(key, None)
    return replace(d, entries=entries)


def field_of(base: Value, key: str | None) -> Value:
    """`base[key]` or `base.get(key)`: a part of `base`, and, read from a row, from the
    principal itself (`current_user["caller_id"]`, not a field of one of its fields) or
    from a parameter itself (`body.org_id`, which a caller may have checked), that
    field."""
    part = derived(base)
    own = base.origin == "principal" and base.column is None and not base.row
    given = len(base.params) == 1 and as_given(base)
    return replace(part, column=key) if key and (part.row or own or given) else part


def as_given(value: Value, fields: bool = False) -> bool:
    """A parameter's value itself (None by default or not), not one computed from it
    (`user_id.lower()`); with `fields`, also a field of it (`body.user_id`)."""
    plain = Value(
        kind=value.kind,
        text=value.text,
        params=value.params,
        nullable=value.nullable,
        column=value.column if fields and not value.row else None,
    )
    return value.kind in (UNKNOWN, OBJECT) and value == plain


def derived(base: Value) -> Value:
    """A part of `base` (`base[k]`, `base.x`, an item): same parameters, origin, row and
    call (a check of `found.data[0]` is a check of what the call returned)."""
    if not (base.params or base.origin or base.row or base.call is not None):
        return TOP
    return Value(params=base.params, origin=base.origin, row=base.row, call=base.call)


def merge_dicts(base: Value, extra: Value) -> Value:
    """`{**base, **extra}` or `base.update(extra)`: extra's keys win."""
    if extra.kind != DICT and extra.from_call:
        return replace(
            base,
            merged=base.merged | {extra.from_call},
            merged_params=base.merged_params | extra.params,
        )
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
    return replace(
        base,
        entries=entries,
        open=base.open or extra.open,
        merged=base.merged | extra.merged,
        merged_params=base.merged_params | extra.merged_params,
    )


def _tested(value: Value) -> bool:
    """No untested request input reaches here along this value's paths."""
    return value.tested or not (value.origin or "").startswith("request")


# The test that led down a path, as text or as what writes it out: most joins never
# name their paths, and writing out the test of every `if` cost 2 % of a cold run.
Label = str | Callable[[], str] | None


def _text(label: Label) -> str | None:
    return label() if callable(label) else label


def join(a: Value, b: Value, cond_a: Label = None, cond_b: Label = None) -> Value:
    """The value after two paths meet; `cond_x` names the test that led down path x."""
    if a is b:
        return a
    if a.kind == DICT and b.kind == DICT:
        return _join_dicts(a, b, cond_a, cond_b)
    if a.kind == NONE and b.kind != NONE:
        return replace(b, nullable=True, params=a.params | b.params)
    if b.kind == NONE and a.kind != NONE:
        return replace(a, nullable=True, params=a.params | b.params)
    if a.kind == BUILDER and b.kind == BUILDER and a.site == b.site:
        joined = _join_dicts(a, b, cond_a, cond_b)
        return replace(a, entries=joined.entries, open=joined.open, params=joined.params)
    if a.kind == b.kind and a.text == b.text and a.kind in (STR, SERVICE, OBJECT, NONE, ROW):
        return replace(
            a,
            nullable=a.nullable or b.nullable,
            params=a.params | b.params,
            origin=worse_origin(a.origin, b.origin),
            row=a.row if a.row == b.row else None,
            column=a.column if (a.row, a.column) == (b.row, b.column) else None,
            checked=a.checked & b.checked,
            tested=_tested(a) and _tested(b),
            options=a.options if a.options == b.options else (),
        )
    return replace(
        unknown_from((a, b)),
        nullable=a.nullable or b.nullable,
        origin=worse_origin(a.origin, b.origin),
        # Parts of one lookup's rows on both paths (`data = data[0] if data else None`
        # under `if isinstance(data, list):`): still that lookup's, whatever the part.
        row=a.row if a.row == b.row else None,
        column=a.column if (a.row, a.column) == (b.row, b.column) else None,
        checked=a.checked & b.checked,
        tested=_tested(a) and _tested(b),
    )


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


def _join_dicts(a: Value, b: Value, cond_a: Label, cond_b: Label) -> Value:
    entries: dict[str, Entry] = {}
    for key in a.entries.keys() | b.entries.keys():
        ea, eb = a.entries.get(key), b.entries.get(key)
        if ea is not None and eb is not None:
            entries[key] = _join_entries(ea, eb, cond_a, cond_b)
        else:
            only, cond = (ea, cond_a) if ea is not None else (eb, cond_b)
            assert only is not None
            entries[key] = replace(only, always=False, condition=only.condition or _text(cond))
    return Value(
        kind=DICT,
        entries=entries,
        open=a.open or b.open,
        params=a.params | b.params,
        merged=a.merged | b.merged,
        merged_params=a.merged_params | b.merged_params,
    )


def _join_entries(ea: Entry, eb: Entry, cond_a: Label, cond_b: Label) -> Entry:
    always = ea.always and eb.always
    condition = None
    if not always:
        condition = (ea.condition if not ea.always else None) or (
            eb.condition if not eb.always else None
        )
    elif ea.empty != eb.empty:
        condition = _text(cond_b if ea.empty else cond_a)
    return Entry(
        always=always,
        empty=ea.empty and eb.empty,
        maybe_empty=ea.maybe_empty or eb.maybe_empty,
        condition=condition,
        params=ea.params | eb.params,
        origin=worse_origin(ea.origin, eb.origin),
        row=ea.row if ea.row == eb.row else None,
        column=ea.column if (ea.row, ea.column) == (eb.row, eb.column) else None,
        checked=ea.checked & eb.checked,
        call=ea.call if ea.call == eb.call else None,
    )


def to_shape(value: Value | None) -> Shape:
    """The fact a rule sees for a filter or record argument (None: the argument is omitted)."""
    if value is None or value.kind == NONE:
        return Shape(ShapeKind.NONE)
    if value.from_call and value.kind != DICT:
        return Shape(
            ShapeKind.DICT, merged=(value.from_call,), merged_params=tuple(sorted(value.params))
        )
    if value.kind not in (DICT, BUILDER):
        return Shape(ShapeKind.UNKNOWN)
    if not value.entries and not value.open and not value.merged:
        return Shape(ShapeKind.EMPTY)
    keys = tuple(
        KeyFact(
            key=key,
            always=entry.always,
            empty=entry.empty,
            maybe_empty=entry.maybe_empty,
            condition=entry.condition,
            params=tuple(sorted(entry.params)),
            origin=entry.origin,
            row=entry.row,
            column=entry.column,
            checked=tuple(sorted(entry.checked)),
            call=entry.call,
        )
        for key, entry in sorted(value.entries.items())
    )
    return Shape(
        ShapeKind.DICT,
        keys=keys,
        open=value.open,
        merged=tuple(sorted(value.merged)),
        merged_params=tuple(sorted(value.merged_params)),
    )
