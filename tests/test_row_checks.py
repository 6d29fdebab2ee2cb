"""Assert helpers: which rows a function checks for its caller on every normal exit."""

from __future__ import annotations

import ast
import textwrap

from orgscope_lint.analysis import analyze_module
from orgscope_lint.config import Config
from orgscope_lint.facts import RowCheck

CONFIG = Config(tenant_key="company_id", db_receivers=("db",))


def _checks(source: str, function: str) -> tuple[RowCheck, ...]:
    text = textwrap.dedent(source)
    facts = analyze_module("app/checks.py", text, ast.parse(text), CONFIG)
    return next(fn.checks_rows for fn in facts.functions if fn.name == function)


def test_a_field_compared_with_another_parameter_raising_otherwise() -> None:
    assert _checks(
        """
        def check(poll, company_id):
            if poll["company_id"] != company_id:
                raise PermissionError()
        """,
        "check",
    ) == (RowCheck("poll", "company_id", "company_id"),)


def test_the_comparison_may_be_written_either_way_and_with_get() -> None:
    assert _checks(
        """
        def check(poll, company_id):
            if company_id != poll.get("company_id"):
                raise PermissionError()
            return True
        """,
        "check",
    ) == (RowCheck("poll", "company_id", "company_id"),)


def test_a_parent_found_among_the_ids_a_parameter_pins() -> None:
    assert _checks(
        """
        def check(db, poll, company_id):
            mine = db.table("buildings").select("id").eq("company_id", company_id).execute()
            if poll["building_id"] not in [b["id"] for b in mine.data]:
                raise PermissionError()
        """,
        "check",
    ) == (RowCheck("poll", "building_id", "company_id", "buildings", "company_id"),)


def test_a_parent_among_rows_read_by_another_column_is_no_check() -> None:
    assert (
        _checks(
            """
            def check(db, poll, street):
                mine = db.table("buildings").select("id").eq("street", street).execute()
                if poll["building_id"] not in [b["id"] for b in mine.data]:
                    raise PermissionError()
            """,
            "check",
        )
        == ()
    )


def test_an_exit_before_the_comparison_drops_it() -> None:
    assert (
        _checks(
            """
            def check(poll, company_id):
                if poll.get("is_public"):
                    return
                if poll["company_id"] != company_id:
                    raise PermissionError()
            """,
            "check",
        )
        == ()
    )


def test_a_comparison_that_does_not_refuse_checks_nothing() -> None:
    assert (
        _checks(
            """
            def check(poll, company_id):
                if poll["company_id"] != company_id:
                    print("mismatch")
            """,
            "check",
        )
        == ()
    )


def test_a_comparison_with_a_value_of_its_own_is_not_its_callers() -> None:
    assert (
        _checks(
            """
            def check(poll, company_id):
                expected = lookup(company_id)
                if poll["company_id"] != expected:
                    raise PermissionError()
            """,
            "check",
        )
        == ()
    )
