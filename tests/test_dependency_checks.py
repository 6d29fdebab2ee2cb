"""analysis/dependency_checks: the parameters a function leaves verified on every exit
(`FunctionFact.verifies`), and route parameters a dependency authorises
(docs/architecture.md, "Path parameters a route's dependencies authorise")."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from orgscope_lint.analysis import analyze_module
from orgscope_lint.config import Config, load_config
from orgscope_lint.engine import run

SCOPED = (
    'rows = sb.table("projects").select("id").eq("id", project_id)'
    '.eq("clerk_org_id", org_id).execute()'
)


def _verifies(source: str) -> dict[str, set[str]]:
    facts = analyze_module("m.py", source, ast.parse(source), Config())
    return {fn.name: {v.slot for v in fn.verifies} for fn in facts.functions}


def test_a_check_that_raises_verifies_the_parameter() -> None:
    source = f"""
def authorize(project_id, org_id):
    {SCOPED}
    if not rows.data:
        raise HTTPException(404)
    return rows.data[0]
"""
    assert _verifies(source)["authorize"] == {"project_id", "org_id"}


@pytest.mark.parametrize(
    "body",
    [
        # an exit before the check
        f"if staff:\n        return None\n    {SCOPED}\n    if not rows.data:\n        raise E()",
        # the check's outcome ignored
        f"{SCOPED}\n    return rows.data",
        # the parameter rebound to something else before the check
        f"project_id = other()\n    {SCOPED}\n    if not rows.data:\n        raise E()",
    ],
    ids=["early-exit", "no-raise", "rebound"],
)
def test_what_does_not_verify_the_parameter(body: str) -> None:
    source = f"def authorize(project_id, org_id, staff=False):\n    {body}\n"
    assert "project_id" not in _verifies(source)["authorize"]


ROUTES = """
from fastapi import APIRouter, Depends
from app.access import require_access, require_any
from app.supabase import sb

router = APIRouter()


@router.delete("/projects/{project_id}")
async def delete_checked(project_id: str, _: dict = Depends(require_access)):
    sb.table("projects").delete().eq("id", project_id).execute()


@router.delete("/projects/{project_id}/any")
async def delete_unchecked(project_id: str, _: dict = Depends(require_any)):
    sb.table("projects").delete().eq("id", project_id).execute()
"""

ACCESS = """
from fastapi import Depends, HTTPException
from app.supabase import sb


def _authorize(project_id, org_id):
    rows = sb.table("projects").select("id").eq("id", project_id).eq(
        "clerk_org_id", org_id
    ).execute()
    if not rows.data:
        raise HTTPException(404)


async def require_access(project_id: str, current_user: dict = Depends(get_current_user)):
    _authorize(project_id, current_user["clerk_org_id"])


async def require_any(project_id: str, current_user: dict = Depends(get_current_user)):
    rows = sb.table("projects").select("id").eq("id", project_id).execute()
    if not rows.data:
        raise HTTPException(404)
"""


def test_a_dependency_that_checks_through_a_helper_authorises_the_route(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "p"\n', encoding="utf-8")
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "001.sql").write_text(
        "create table projects (id uuid primary key, clerk_org_id text not null);\n",
        encoding="utf-8",
    )
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "routes.py").write_text(ROUTES, encoding="utf-8")
    (tmp_path / "app" / "access.py").write_text(ACCESS, encoding="utf-8")
    result = run([tmp_path], load_config(start=tmp_path), cwd=tmp_path, jobs=1, use_cache=False)
    found = {
        (f.code, Path(f.path).name, f.span.line)
        for f in result.findings
        if f.path.endswith("routes.py")
    }
    assert found == {("ORG013", "routes.py", 11), ("ORG001", "routes.py", 16)}
    warning = next(f for f in result.findings if f.code == "ORG013")
    assert "`require_access`, which checks `project_id`" in warning.message


_CHECK = "    def check(org_id):\n        pass\n"


@pytest.mark.parametrize(
    ("source", "made"),
    [
        ("def f():\n" + _CHECK + "    return check\n", "f.check"),
        (
            "def f(role):\n" + _CHECK + "    if role:\n        return check\n    return check\n",
            "f.check",
        ),
        # Another value on some path, a function defined elsewhere, or no function at all.
        ("def f(x):\n" + _CHECK + "    if x:\n        return None\n    return check\n", None),
        ("def f():\n    return check\n", None),
        ("def f():\n    def check():\n        return g\n    return 1\n", None),
    ],
)
def test_a_factory_returns_the_function_it_defines(source: str, made: str | None) -> None:
    import libcst as cst

    from orgscope_lint.analysis.syntax import returned_function

    node = cst.parse_module(source).body[0]
    assert isinstance(node, cst.FunctionDef)
    assert returned_function(node, "f") == made


@pytest.mark.parametrize(
    ("body", "verified"),
    [
        ('if current_user["org_id"] != org_id:\n        raise E()', True),
        ('if not current_user.has_role("admin", str(org_id)):\n        raise E()', True),
        # platform staff are no tenant caller: their early return is no exit
        (
            'if current_user.has_role("platform_admin"):\n        return current_user\n'
            '    if not current_user.has_role("admin", org_id):\n        raise E()',
            True,
        ),
        ('if not current_user.has_role("admin"):\n        raise E()', False),
        ("if not current_user.get(org_id):\n        raise E()", False),
        (
            "if current_user.beta:\n        return current_user\n"
            '    if current_user["org_id"] != org_id:\n        raise E()',
            False,
        ),
    ],
)
def test_a_parameter_found_the_principals_on_every_exit_is_verified(
    body: str, verified: bool
) -> None:
    head = "def require_org(org_id: str, current_user=Depends(get_user)):"
    source = f"{head}\n    {body}\n    return current_user\n"
    facts = analyze_module("m.py", source, ast.parse(source), Config())
    (fn,) = facts.functions
    assert [(v.slot, v.origin) for v in fn.verifies] == (
        [("org_id", "principal")] if verified else []
    )
