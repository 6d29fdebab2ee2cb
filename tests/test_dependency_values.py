"""analysis/dependency_values: what a dependency may hand a route (docs/architecture.md,
"Tenant ids a route receives from its dependencies")."""

from __future__ import annotations

import ast

import pytest

from orgscope_lint.analysis import analyze_module
from orgscope_lint.config import Config


def _functions(source: str) -> dict:
    facts = analyze_module("m.py", source, ast.parse(source), Config())
    return {fn.name: fn for fn in facts.functions}


@pytest.mark.parametrize(
    "param",
    [
        "org_id: str = Depends(org_context)",
        "org_id: Annotated[str, Depends(org_context)]",
        "org_id: Annotated[str | None, Depends(deps.org_context)] = None",
        "org_id: typing.Annotated[str, Query(), Depends(org_context)]",
    ],
)
def test_a_parameter_filled_by_a_dependency_names_it(param: str) -> None:
    source = f"""
@router.get("/calls")
def calls({param}):
    return sb.table("calls").select("*").eq("org_id", org_id).execute()
"""
    assert _functions(source)["calls"].param_dependencies == (("org_id", "org_context"),)


def test_an_annotated_dependency_is_no_request_body() -> None:
    source = """
@router.get("/calls")
def calls(org_id: Annotated[str, Depends(org_context)]):
    return sb.table("calls").select("*").eq("org_id", org_id).execute()
"""
    facts = analyze_module("m.py", source, ast.parse(source), Config())
    assert [q.shape.get("org_id").origin for q in facts.queries] == [None]


@pytest.mark.parametrize(
    ("body", "origin"),
    [
        ("return x_org", "request:header"),
        ("if not x_org:\n        return None\n    return x_org", "request:header"),
        ('return request.query_params.get("org_id")', "request:query"),
        # compared with the principal's own org first: the principal's
        ('if x_org != current_user["org_id"]:\n        raise E()\n    return x_org', None),
        ('return current_user["org_id"]', None),
        # found among the caller's organizations, else the caller's default one
        (
            "tid = None\n    allowed = my_orgs(current_user)\n"
            "    if x_org in allowed:\n        tid = x_org\n"
            "    else:\n        tid = default_org(current_user)\n    return tid",
            None,
        ),
        # found among them, else the header anyway for a caller with none
        (
            "allowed = my_orgs(current_user)\n    if x_org in allowed:\n        return x_org\n"
            "    if not allowed:\n        return x_org\n    return None",
            "request:header",
        ),
        # tested against another header: still the caller's choice
        (
            'if x_org != request.headers.get("x-confirm"):\n        raise E()\n    return x_org',
            "request:header",
        ),
    ],
)
def test_what_a_dependency_returns(body: str, origin: str | None) -> None:
    source = f"""
def org_context(request: Request, x_org: str = Header(...), current_user=Depends(get_current_user)):
    {body}
"""
    assert _functions(source)["org_context"].returns_request == origin
