"""Which results stay in their function, and which calls they go on into
(`analysis/staying_rows.py`)."""

from __future__ import annotations

import ast
import textwrap

from orgscope_lint.analysis.decision_uses import FunctionText
from orgscope_lint.analysis.existence_probes import own_statements
from orgscope_lint.analysis.staying_rows import staying_results


def _staying(source: str) -> dict[int, list[list[str]]]:
    """For each staying result, by the line its call starts on: for each use handed
    on, the names of the calls it sits in, outermost first."""
    text = textwrap.dedent(source)
    fn = ast.parse(text).body[0]
    assert isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef))
    statements = list(own_statements(fn.body))
    starts = {
        node.lineno
        for stmt in statements
        for node in ast.walk(stmt)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id.startswith("get_")
    }
    found = staying_results(fn, statements, FunctionText(fn, text.split("\n")), starts)
    return {
        calls[0].lineno: [[ast.unparse(call.func) for call in enclosing] for enclosing in handed]
        for calls, handed in found
    }


def test_a_gate_with_its_plan_in_the_error_stays() -> None:
    source = """
        def f(org_id, seats):
            plan = get_plan(org_id)
            if seats > int(plan["limits"]["seats"]):
                raise HTTPException(400, detail=f"The {plan['tier']} plan allows fewer seats")
            return {"ok": True}
        """
    assert _staying(source) == {3: []}


def test_a_pre_check_handing_its_row_on_records_the_calls() -> None:
    source = """
        def f(org_id, workflow_id):
            version = get_version(org_id, workflow_id)
            if not version:
                raise HTTPException(409)
            run = start_run(org_id, wrap(str(version["id"])), plan=None)
            return run
        """
    assert _staying(source) == {3: [["start_run", "wrap"]]}


def test_a_derived_value_goes_on_through_its_target() -> None:
    source = """
        def f(org_id):
            rows = get_rows(org_id)
            current = int((rows.data or [{}])[0].get("count") or 0)
            save(org_id, {"count": current + 1})
        """
    assert _staying(source) == {3: [["save"]]}


def test_a_result_tested_directly_stays() -> None:
    source = """
        def f(org_id, limit):
            if get_count(org_id) >= limit:
                raise HTTPException(402)
        """
    assert _staying(source) == {3: []}


def test_returned_looped_or_tested_through_a_call_it_leaves() -> None:
    for use in (
        "return plan",
        "for item in plan: log(item)",
        "if allowed(plan): raise HTTPException(403)",
        "plan = other()",
        "return [p for p in plan]",
    ):
        source = f"""
            def f(org_id):
                plan = get_plan(org_id)
                {use}
            """
        assert _staying(source) == {}, use


def test_a_word_of_an_f_string_is_no_use() -> None:
    source = """
        def f(org_id):
            plan = get_plan(org_id)
            if not plan:
                raise HTTPException(402, detail=f"No plan: upgrade your plan (ref {org_id})")
        """
    assert _staying(source) == {3: []}


def test_a_keyword_spelled_like_the_name_is_no_use() -> None:
    source = """
        def f(org_id):
            plan = get_plan(org_id)
            bill(org_id=org_id, plan=plan["tier"])
        """
    assert _staying(source) == {3: [["bill"]]}
