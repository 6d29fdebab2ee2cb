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


MEMBER_OF_ROW = """
async def verify(client, sandbox_id, current_user):
    result = client.table("projects").select("*").eq("sandbox_id", sandbox_id).execute()
    project = result.data[0]
    member = (
        client.table("members").select("role")
        .eq("user_id", current_user["id"]).eq("clerk_org_id", project["clerk_org_id"])
        .execute()
    )
{check}
"""


@pytest.mark.parametrize(
    ("check", "checked"),
    [
        ("    if not member.data:\n        raise Forbidden()\n    return project", True),
        # the same check written the other way round: found, return; else raise
        ("    if member.data:\n        return project\n    raise Forbidden()", True),
        # found, return; otherwise the row is used anyway
        ("    if member.data:\n        return project\n    return project", False),
        ("    if member.data:\n        log(member)\n    return project", False),
    ],
    ids=["raise-if-absent", "return-if-found-then-raise", "no-raise", "no-exit"],
)
def test_a_membership_check_of_the_rows_tenant_checks_the_row(check: str, checked: bool) -> None:
    text = MEMBER_OF_ROW.format(check=check)
    config = Config(owner_keys=("user_id",))
    facts = analyze_module("m.py", text, ast.parse(text), config)
    assert facts.queries[0].table == "projects"
    assert facts.queries[0].ownership_checked is checked


def test_a_membership_check_after_an_earlier_exit_checks_nothing() -> None:
    # The public project leaves before the check: the row is not the caller's on that path.
    check = (
        '    if project["is_public"]:\n        return project\n'
        "    if not member.data:\n        raise Forbidden()\n    return project"
    )
    text = MEMBER_OF_ROW.format(check=check)
    facts = analyze_module("m.py", text, ast.parse(text), Config(owner_keys=("user_id",)))
    assert facts.queries[0].ownership_checked is False


KEYED = """
@router.post("/agents")
async def f(request: Request):
    api_key = request.headers.get("X-Api-Key")
    sessions = sb.table("sessions").select("id").eq({column}, api_key).execute().data
    data = await request.json()
    session_ids = [s["id"] for s in sessions]
    if data["session_id"] not in session_ids:
        raise Forbidden()
    sb.table("agents").upsert({{"session_id": data["session_id"]}}).execute()
"""


@pytest.mark.parametrize(
    ("column", "origin"),
    [('"api_key"', "principal"), ('"name"', "request:body")],
    ids=["rows-of-the-presented-key", "rows-of-any-name"],
)
def test_membership_in_the_rows_of_the_presented_credential(column: str, origin: str) -> None:
    text = KEYED.format(column=column)
    facts = analyze_module("m.py", text, ast.parse(text), Config())
    fact = facts.queries[-1].shape.get("session_id")
    assert fact is not None
    assert fact.origin == origin


def test_conversions_keep_the_id_they_respell() -> None:
    principal = membership.V.Value(origin="principal", params=frozenset({"user"}))
    assert membership.same_items("str", [principal]).origin == "principal"
    assert membership.same_items("UUIDType", [principal], {"UUIDType"}).origin == "principal"
    assert membership.same_items("UUIDType", [principal]) is None
    assert membership.same_items("str", [membership.V.TOP]) is membership.V.TOP


def test_a_lookup_by_a_respelling_finds_the_original_too() -> None:
    alias = membership.ALIAS
    env = {
        alias + "org_id": membership.V.Value(text="organization_id"),
        alias + "oid": membership.V.Value(text="org_id"),
    }
    assert membership.spelled_from({"oid"}, env) == {"oid", "org_id", "organization_id"}
    assert membership.spelled_from({"other"}, env) == {"other"}
    assert membership.alias_source(cst.parse_expression("UUIDType(x)"), {"UUIDType"}) == "x"
    assert membership.alias_source(cst.parse_expression("UUIDType(x)")) is None
    assert membership.renamed_conversion("uuid", "UUID")
    assert not membership.renamed_conversion("app.ids", "UUID")


VENUES = """
@router.get("/templates")
def f(venue_id: str, {org}):
    venues = sb.table("venues").select("id").eq("tenant_id", org_id).execute()
    ids = [v["id"] for v in venues.data]
    if venue_id not in ids:
        raise HTTPException(403)
    return sb.table("templates").select("*").eq("venue_id", venue_id).execute()
"""


@pytest.mark.parametrize(
    ("org", "origin"),
    [
        # the tenant a dependency of the route resolved: its venues are the caller's
        ("org_id: str = Depends(get_active_org)", "principal"),
        ("org_id: Annotated[str, Depends(get_active_org)]", "principal"),
        # the tenant the request names: its venues are anyone's
        ("org_id: str = Header(...)", "request:query"),
        ("org_id: str", "request:query"),
    ],
)
def test_ids_of_the_tenant_a_dependency_resolved_are_the_callers(org: str, origin: str) -> None:
    text = VENUES.format(org=org)
    facts = analyze_module("m.py", text, ast.parse(text), Config(tenant_key=KEY))
    (templates,) = [q for q in facts.queries if q.table == "templates"]
    assert templates.shape.get("venue_id").origin == origin
