"""The summary index is written with its equal leaf records shared: the same data, fewer
objects to rebuild, and never two facts that code tells apart by identity made one."""

from __future__ import annotations

import pickle
from pathlib import Path

from orgscope_lint.cache import FactsCache
from orgscope_lint.config import config_from_mapping
from orgscope_lint.facts import ArgFact, FileFacts, FunctionFact, KeyFact, Query, Shape, ShapeKind
from orgscope_lint.findings import Span
from orgscope_lint.sharing import shared


def _query(table: str = "calls") -> Query:
    key = KeyFact("org_id", always=True, params=("org_id",))
    return Query(
        method="select",
        operation="read",
        table=table,
        receiver="db",
        receiver_class=None,
        shape=Shape(ShapeKind.DICT, (key,)),
        span=Span(3, 5, 3, 40),
        function="get_call",
    )


def _function() -> FunctionFact:
    return FunctionFact(
        qualname="get_call",
        name="get_call",
        class_name=None,
        db_class=False,
        params=("db", "org_id"),
        org_params=("org_id",),
        span=Span(2, 1, 2, 20),
        end_line=3,
        verifies=(ArgFact("0", origin="principal"),),
    )


def _facts(path: str) -> FileFacts:
    # Built anew for each file: equal values, distinct objects, as unpickling gives them.
    return FileFacts(path=path, queries=(_query(),), functions=(_function(),))


def test_the_copy_is_equal_and_the_original_untouched() -> None:
    index = {f"f{n}.py": ((n, 10), "digest", _facts(f"f{n}.py")) for n in range(3)}
    before = pickle.dumps(index)
    copy = shared(index)
    assert copy == index
    assert pickle.dumps(index) == before


def test_equal_leaf_records_become_one_object() -> None:
    first, second = shared((_facts("a.py"), _facts("b.py")))  # type: ignore[misc]
    for leaf in (
        lambda f: f.queries[0].span,
        lambda f: f.queries[0].shape,
        lambda f: f.queries[0].shape.keys[0],
        lambda f: f.functions[0].verifies[0],
        lambda f: f.functions[0].params,
        lambda f: f.queries[0].table,
    ):
        assert leaf(first) is leaf(second)


def test_facts_told_apart_by_identity_stay_apart() -> None:
    """Verdicts are remembered by `id(query)`, a function's file by `id(fn)`: equal ones
    of two files must stay two objects."""
    first, second = shared((_facts("a.py"), _facts("b.py")))  # type: ignore[misc]
    assert first.queries[0] == second.queries[0]
    assert first.queries[0] is not second.queries[0]
    assert first.functions[0] is not second.functions[0]
    assert first.queries is not second.queries  # a tuple of distinct queries


def test_values_equal_across_types_are_not_merged() -> None:
    one, true = shared((Span(1, 1, 1, 1), Span(True, True, True, True)))  # type: ignore[misc]
    assert one is not true
    assert type(one.line) is int and type(true.line) is bool


def test_the_stored_index_is_the_shared_one(tmp_path: Path) -> None:
    config = config_from_mapping({}, source=tmp_path / "orgscope.toml")
    cache = FactsCache.open(tmp_path / "cache", config)
    assert cache is not None
    index = {f"f{n}.py": ((n, 10), "digest", _facts(f"f{n}.py")) for n in range(50)}
    cache.store_context("key", index)
    loaded = cache.load_context("key")
    assert loaded is not None
    stored, overlay = loaded
    assert (stored, overlay) == (index, {})
    spans = {id(entry[2].queries[0].span) for entry in stored.values()}
    queries = {id(entry[2].queries[0]) for entry in stored.values()}
    assert (len(spans), len(queries)) == (1, 50)
