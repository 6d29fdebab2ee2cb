"""analysis/dependency_values: what a dependency may hand a route (docs/architecture.md,
"Tenant ids a route receives from its dependencies")."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from orgscope_lint.analysis import analyze_module
from orgscope_lint.config import Config, load_config


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


# --- dependencies that hand a route the caller's own id ----------------------------

DEPENDENCIES = """
from fastapi import Depends, Header


async def current_user_id(authorization: str = Header(...)) -> str:
    return verify_jwt(authorization[7:], SECRET)["sub"]


def make_bearer_dependency():
    async def dependency(authorization: str = Header(...)) -> str:
        return verify_jwt(authorization[7:], SECRET)["sub"]

    return dependency


jwt_auth = make_bearer_dependency()


async def requested_user_id(user_id: str) -> str:
    return user_id
"""


def _identity_params(tmp_path: Path, param: str) -> frozenset[str]:
    from orgscope_lint.engine import run

    (tmp_path / "pyproject.toml").write_text('[project]\nname = "p"\n', encoding="utf-8")
    (tmp_path / "deps.py").write_text(DEPENDENCIES, encoding="utf-8")
    route = (
        "from deps import current_user_id, jwt_auth, requested_user_id\n\n"
        f'@router.get("/notes")\ndef notes({param}):\n'
        '    return db.select("notes", {"user_id": user_id})\n'
    )
    (tmp_path / "api.py").write_text(route, encoding="utf-8")
    result = run([tmp_path], load_config(start=tmp_path), cwd=tmp_path, jobs=1, use_cache=False)
    (facts,) = [facts for facts in result.facts if facts.path == "api.py"]
    return result.project.identity_params(facts.function("notes"))


@pytest.mark.parametrize(
    ("param", "own"),
    [
        ("user_id: str = Depends(current_user_id)", True),
        ("user_id: Annotated[str, Depends(current_user_id)]", True),
        ("user_id: str = Depends(jwt_auth)", True),  # what the factory returned
        ("user_id: str = Depends(requested_user_id)", False),  # the query string's
        ("user_id: str", False),
    ],
)
def test_a_dependency_that_returns_a_verified_subject_gives_the_callers_id(
    tmp_path: Path, param: str, own: bool
) -> None:
    assert _identity_params(tmp_path, param) == (frozenset({"user_id"}) if own else frozenset())
