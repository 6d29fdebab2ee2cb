"""The interpreter's own `replace` for its values is `dataclasses.replace`, only faster."""

from __future__ import annotations

import dataclasses

import pytest

from orgscope_lint.analysis.values import Entry, Value, replace
from orgscope_lint.facts import ArgFact

VALUE = Value(
    kind="dict",
    entries={"org_id": Entry(origin="principal")},
    params=frozenset({"org_id"}),
    origin="request",
    items=(Value(kind="str", text="a"),),
)


@pytest.mark.parametrize(
    "changes",
    [{}, {"open": True}, {"kind": "str", "text": "t", "tested": True}, {"entries": {}}],
)
def test_a_value_is_replaced_as_dataclasses_replaces_it(changes: dict) -> None:
    made = replace(VALUE, **changes)
    assert type(made) is Value
    assert repr(made) == repr(dataclasses.replace(VALUE, **changes))
    assert made is not VALUE


def test_an_entry_is_replaced_as_dataclasses_replaces_it() -> None:
    entry = Entry(origin="principal", params=frozenset({"org"}))
    made = replace(entry, always=False, condition="c")
    assert made == dataclasses.replace(entry, always=False, condition="c")
    assert hash(made) == hash(dataclasses.replace(entry, always=False, condition="c"))


def test_other_dataclasses_and_unknown_fields_behave_as_dataclasses_replace() -> None:
    arg = ArgFact("0", "literal")
    assert replace(arg, origin=None) == dataclasses.replace(arg, origin=None)
    with pytest.raises(TypeError):
        replace(VALUE, nothing=1)
