"""Which names only decide where the code goes (`analysis/decision_uses.py`)."""

from __future__ import annotations

import ast
import textwrap

from orgscope_lint.analysis.decision_uses import (
    FunctionText,
    compared_with_value,
    deciding_params,
    function_uses,
    pure_names,
)
from orgscope_lint.analysis.existence_probes import own_statements

_Function = ast.FunctionDef | ast.AsyncFunctionDef


def _function(source: str) -> tuple[_Function, list[ast.stmt], list[str]]:
    text = textwrap.dedent(source)
    fn = ast.parse(text).body[0]
    assert isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef))
    return fn, list(own_statements(fn.body)), text.split("\n")


def _decides(source: str, name: str) -> tuple[str, ...] | None:
    """The slots `name` is handed to when it only decides, None when it is used."""
    fn, statements, lines = _function(source)
    handed = function_uses(FunctionText(fn, lines), statements).only_decides(name)
    return None if handed is None else tuple(slot for _, slot in handed)


def test_pure_operations_count_their_names() -> None:
    expr = ast.parse("(plan.get('limits') or {}).get('seats') >= int(n) and len(rows)").body[0]
    assert isinstance(expr, ast.Expr)
    assert pure_names(expr.value) == {"plan": 1, "n": 1, "rows": 1}


def test_names_under_calls_of_unknown_effect_are_not_counted() -> None:
    expr = ast.parse("notify(plan) or f'{tier}' or (lambda: x)() or plan.send()").body[0]
    assert isinstance(expr, ast.Expr)
    assert pure_names(expr.value) == {}


def test_a_derived_limit_that_only_decides() -> None:
    source = """
        def f(org_id, seats):
            plan = get_plan(org_id)
            limit = (plan.get("limits") or {}).get("seats")
            if limit is not None and seats >= int(limit):
                raise ValueError("limit reached")
        """
    assert _decides(source, "plan") == ()


def test_a_derived_value_that_leaves_is_a_use() -> None:
    assert (
        _decides(
            """
            def f(org_id):
                plan = get_plan(org_id)
                tier = plan.get("tier")
                if tier == "free":
                    raise ValueError
                return {"tier": tier}
            """,
            "plan",
        )
        is None
    )


def test_an_f_string_in_the_error_is_a_use() -> None:
    assert (
        _decides(
            """
            def f(org_id, seats):
                plan = get_plan(org_id)
                if seats > plan["seats"]:
                    raise ValueError(f"{plan['tier']} allows fewer")
            """,
            "plan",
        )
        is None
    )


def test_a_second_binding_or_a_nested_reader_is_a_use() -> None:
    rebound = """
        def f(org_id):
            plan = get_plan(org_id)
            if plan:
                plan = {}
            return plan
        """
    nested = """
        def f(org_id):
            plan = get_plan(org_id)
            if plan:
                raise ValueError
            def later():
                return plan
            return later
        """
    assert _decides(rebound, "plan") is None
    assert _decides(nested, "plan") is None


def test_handed_whole_to_a_dropped_call() -> None:
    source = """
        async def f(org_id):
            plan = get_plan(org_id)
            require_feature(plan, "sso")
            await audit(entry=plan)
        """
    assert _decides(source, "plan") == ("0", "entry")


def test_handed_to_a_call_whose_result_is_kept_is_a_use() -> None:
    source = """
        def f(org_id):
            plan = get_plan(org_id)
            ok = require_feature(plan, "sso")
            return ok
        """
    assert _decides(source, "plan") is None


def test_a_gate_decides_on_its_parameter() -> None:
    fn, statements, lines = _function(
        """
        def require_feature(plan, feature):
            features = plan.get("features") or {}
            if not features.get(feature):
                raise PermissionError({"upgrade": feature})
        """
    )
    assert deciding_params(fn, statements, FunctionText(fn, lines)) == ("plan",)


def test_a_gate_that_reports_or_keeps_its_parameter_does_not() -> None:
    for body in (
        "if not plan.get(feature):\n        raise PermissionError(f'{plan}')",
        "if not plan.get(feature):\n        raise PermissionError\n    store(plan)",
        "if not plan.get(feature):\n        raise PermissionError\n    return plan",
    ):
        fn, statements, lines = _function(f"def gate(plan, feature):\n    {body}\n")
        assert "plan" not in deciding_params(fn, statements, FunctionText(fn, lines)), body


def test_only_functions_that_raise_are_asked() -> None:
    fn, statements, lines = _function(
        """
        def check(plan, feature):
            if not plan.get(feature):
                return False
            return None
        """
    )
    assert deciding_params(fn, statements, FunctionText(fn, lines)) == ()


def test_a_comparison_with_a_presented_value_is_not_a_presence_test() -> None:
    _, statements, _ = _function(
        """
        def f(request, org_id):
            expected = get_secret(org_id)
            if not expected or request.headers.get("x-secret") != expected:
                raise PermissionError
            if expected is None:
                raise PermissionError
        """
    )
    assert compared_with_value(statements, "expected")
    _, presence, _ = _function(
        """
        def f(org_id):
            found = get_row(org_id)
            if found is None or len(found) == 0:
                raise LookupError
        """
    )
    assert not compared_with_value(presence, "found")
