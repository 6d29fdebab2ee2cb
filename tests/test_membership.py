"""Membership checks: after `x in <the caller's own tenants>`, x is the principal's."""

from __future__ import annotations

import ast
import textwrap

import libcst as cst
import pytest

from orgscope_lint.analysis import analyze_module, membership
from orgscope_lint.config import Config

KEY = "tenant_id"

ROUTE = """
@router.get("/tenants/{{tenant_id}}/projects")
def f(tenant_id: str, body: Body, current_user=Depends(get_current_user)):
    mine = sb.table("memberships").select("tenant_id").eq("user_id", current_user["id"]).execute()
{check}
    return sb.table("projects").select("*").eq("tenant_id", tenant_id).execute()
"""


def tenant_origin(check: str) -> str | None:
    text = ROUTE.format(check=textwrap.indent(textwrap.dedent(check).strip("\n"), "    "))
    facts = analyze_module("m.py", text, ast.parse(text), Config(tenant_key=KEY))
    assert facts.error is None, facts.error
    projects = [q for q in facts.queries if q.table == "projects"]
    assert len(projects) == 1, facts.queries
    fact = projects[0].shape.get(KEY)
    assert fact is not None
    return fact.origin


SANITISED = {
    "list comprehension and str alias": """
        allowed = [m["tenant_id"] for m in mine.data]
        tid = str(tenant_id)
        if tid not in allowed:
            raise HTTPException(403)
        """,
    "set comprehension, early return": """
        allowed = {m["tenant_id"] for m in mine.data}
        if tenant_id not in allowed:
            return []
        """,
    "dict comprehension": """
        roles = {m["tenant_id"]: m["role"] for m in mine.data}
        if tenant_id not in roles:
            raise HTTPException(403)
        """,
    "any over the rows": """
        if not any(m["tenant_id"] == tenant_id for m in mine.data):
            raise HTTPException(403)
        """,
    "set() of a list": """
        allowed = set([m["tenant_id"] for m in mine.data])
        if tenant_id not in allowed:
            raise HTTPException(403)
        """,
    "the principal's own list": """
        if tenant_id not in current_user["tenant_ids"]:
            raise HTTPException(403)
        """,
}


@pytest.mark.parametrize("check", SANITISED.values(), ids=SANITISED.keys())
def test_membership_checks_make_the_requested_tenant_the_principals(check: str) -> None:
    assert tenant_origin(check) == "principal"


STILL_REQUEST = {
    "collection from the request": """
        allowed = body.tenant_ids
        if tenant_id not in allowed:
            raise HTTPException(403)
        """,
    "check that does not raise": """
        allowed = [m["tenant_id"] for m in mine.data]
        if tenant_id not in allowed:
            logger.warning("not a member")
        """,
    "collection from every user's rows": """
        everyone = sb.table("memberships").select("tenant_id").execute()
        allowed = [m["tenant_id"] for m in everyone.data]
        if tenant_id not in allowed:
            raise HTTPException(403)
        """,
    "alias rebound before the check": """
        allowed = [m["tenant_id"] for m in mine.data]
        tid = str(tenant_id)
        tid = allowed[0]
        if tid not in allowed:
            raise HTTPException(403)
        """,
    "any that compares two loop values": """
        if not any(m["tenant_id"] == m["id"] for m in mine.data):
            raise HTTPException(403)
        """,
}


@pytest.mark.parametrize("check", STILL_REQUEST.values(), ids=STILL_REQUEST.keys())
def test_checks_that_prove_nothing_leave_the_request_origin(check: str) -> None:
    assert (tenant_origin(check) or "").startswith("request")


@pytest.mark.parametrize(
    ("source", "expected"),
    [("x", "x"), ("str(x)", "x"), ("uuid.UUID(x)", "x"), ("x.strip().lower()", "x")],
)
def test_alias_sources(source: str, expected: str) -> None:
    assert membership.alias_source(cst.parse_expression(source)) == expected


@pytest.mark.parametrize("source", ["f(x)", "x + y", "x[0]", "str(x, y)"])
def test_not_aliases(source: str) -> None:
    assert membership.alias_source(cst.parse_expression(source)) is None
