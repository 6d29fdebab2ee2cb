"""What an `if` test proves on the path that survives it (analysis/guards.py)."""

from __future__ import annotations

import libcst as cst
import pytest

from orgscope_lint.analysis import guards


def _facts(test: str, truth: bool) -> list[guards.Fact]:
    return list(guards.established(cst.parse_expression(test), truth))


def _code(node: cst.BaseExpression | None) -> str | None:
    return None if node is None else cst.Module([]).code_for_node(node)


@pytest.mark.parametrize(
    ("test", "truth", "flag"),
    [
        # `if <test>: raise`: the code below runs when the test was false.
        (
            'row["org"] != me and not row.get("is_public", False)',
            False,
            'row.get("is_public", False)',
        ),
        ('row["org"] != me and not row["public"]', False, 'row["public"]'),
        ("row.org != me and not row.is_public", False, "row.is_public"),
        ('not row["is_public"] and row["org"] != me', False, 'row["is_public"]'),
        # `if not <test>: raise`: the code below runs when the test was true.
        ('row["org"] == me or row["visibility"] == "public"', True, 'row["visibility"]'),
    ],
)
def test_owned_or_public_is_an_equality_unless_public(test: str, truth: bool, flag: str) -> None:
    (fact,) = _facts(test, truth)
    assert isinstance(fact, guards.Equal)
    assert _code(fact.left) in ('row["org"]', "row.org") and _code(fact.right) == "me"
    assert _code(fact.unless_public) == flag


@pytest.mark.parametrize(
    ("test", "truth"),
    [
        ('row["org"] != me and not row["name"]', False),  # not a sharing flag
        ('row["org"] != me and not other["is_public"]', False),  # another row's flag
        ('row["org"] != me and not row["is_public"]', True),  # the branch that raises
        ('row["org"] != me or not row["is_public"]', False),  # both hold: no disjunction
        ('row["org"] == me or row["visibility"] == "private"', True),
        ('row["org"] == me or row["visibility"] != "public"', True),
        ('row["org"] != me and not is_public', False),  # a name, not the row's field
    ],
)
def test_other_disjunctions_prove_no_shared_equality(test: str, truth: bool) -> None:
    assert not any(
        isinstance(fact, guards.Equal) and fact.unless_public is not None
        for fact in _facts(test, truth)
    )


def test_a_plain_check_still_proves_equality() -> None:
    (fact,) = _facts('row["org"] != me', False)
    assert isinstance(fact, guards.Equal) and fact.unless_public is None


@pytest.mark.parametrize(
    ("test", "truth", "empty"),
    [
        ("x is None", True, {"x"}),
        ("x == None", True, {"x"}),
        ("x is not None", False, {"x"}),
        ("not x", True, {"x"}),
        ("x", False, {"x"}),
        ("x is None and y is None", True, {"x", "y"}),
        ("x or y", False, {"x", "y"}),
        # one of the two only, not known which: neither
        ("x is None or y is None", True, set()),
        ("x and y", False, set()),
        # the other outcome: set
        ("x is None", False, set()),
        ("x", True, set()),
        ("x.y is None", True, set()),
    ],
)
def test_names_a_test_proves_empty(test: str, truth: bool, empty: set[str]) -> None:
    assert set(guards.empty_names(cst.parse_expression(test), truth)) == empty


@pytest.mark.parametrize(
    ("test", "truth"),
    [
        ("len(rows.data) == 0", False),
        ("len(rows.data) != 0", True),
        ("len(rows.data) > 0", True),
        ("len(rows.data) >= 1", True),
        ("len(rows.data) == 1", True),
        ("len(rows.data) < 1", False),
        ("len(rows.data) <= 0", False),
        ("len(rows.data)", True),
        ("not len(rows.data)", False),
    ],
)
def test_a_size_that_shows_an_item_tests_the_rows(test: str, truth: bool) -> None:
    (fact,) = _facts(test, truth)
    assert isinstance(fact, guards.Truthy) and _code(fact.node) == "rows.data"


@pytest.mark.parametrize(
    ("test", "truth"),
    [
        ("len(rows.data) > 1", False),
        ("len(rows.data) == 0", True),
        ("len(rows.data) < 2", True),
        ("len(rows.data) >= 0", True),
        ("len(rows.data) == n", True),
    ],
)
def test_a_size_that_allows_none_proves_nothing(test: str, truth: bool) -> None:
    assert not any(isinstance(fact, guards.Truthy) for fact in _facts(test, truth))


@pytest.mark.parametrize(
    ("test", "truth", "set_node"),
    [
        # `if <test>: raise` survived: the read reported at least one row.
        ("found.count == 0", False, "found.count"),
        ("found.count < 1", False, "found.count"),
        ("found.count > 0", True, "found.count"),
        # The walrus binds the name the rest of the test reads.
        ("(found := lookup())", True, "found"),
        ("(found := lookup()) is None", False, "found"),
    ],
)
def test_counts_and_walrus_bindings_prove_a_row(test: str, truth: bool, set_node: str) -> None:
    assert [_code(f.node) for f in _facts(test, truth) if isinstance(f, guards.Truthy)] == [
        set_node
    ]


@pytest.mark.parametrize(
    ("test", "truth"),
    [
        ("found.count > 1", False),  # zero rows pass
        ("found.count == 0", True),  # the branch that raises
        ("found.count(x) == 0", False),  # a method call, not the response's count
    ],
)
def test_other_count_tests_prove_no_row(test: str, truth: bool) -> None:
    assert not any(isinstance(f, guards.Truthy) for f in _facts(test, truth))
