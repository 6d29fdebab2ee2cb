"""Tests passed by one of several ways (`analysis/alternatives.py`, replayed by
`PathChecks._assume_any`): flags, either-or tests, an access check's answer."""

from __future__ import annotations

import ast
import textwrap

import libcst as cst
import pytest

from orgscope_lint.analysis import alternatives, analyze_module
from orgscope_lint.config import Config

FETCH = """
@router.get("/pages/{{page_id}}")
async def f(page_id: str, title: str, user_id: str = Depends(get_current_user)):
    res = sb.table("pages").select("*").eq("id", page_id).execute()
    page = res.data[0]
{check}
    return page
"""


def _checked(check: str) -> bool:
    body = textwrap.indent(textwrap.dedent(check).strip("\n"), "    ")
    text = FETCH.format(check=body)
    config = Config(tenant_key="workspace_id", principal_names=("user_id",))
    facts = analyze_module("m.py", text, ast.parse(text), config)
    assert facts.error is None, facts.error
    assert facts.queries[0].table == "pages"
    return facts.queries[0].ownership_checked


CHECKED = {
    "the access check's answer": """
        access = await check_workspace_access(user_id, page["workspace_id"])
        if not access["has_access"]:
            raise HTTPException(403)
    """,
    "a flag set on two checked ways": """
        has_access = False
        if page["user_id"] == user_id:
            has_access = True
        elif page.get("workspace_id"):
            access = await check_workspace_access(user_id, page["workspace_id"])
            if access["has_access"]:
                has_access = True
        if not has_access:
            raise HTTPException(403)
    """,
    "an either-or of two flags": """
        is_owner = page["user_id"] == user_id
        access = await check_workspace_access(user_id, page["workspace_id"])
        allowed = bool(access["has_access"])
        if not is_owner and not allowed:
            raise HTTPException(403)
    """,
    "an assert of a flag": """
        is_owner = page["user_id"] == user_id
        assert is_owner
    """,
}

UNCHECKED = {
    "the answer is not acted on": """
        access = await check_workspace_access(user_id, page["workspace_id"])
        page["allowed"] = access["has_access"]
    """,
    "one way to the flag checks nothing": """
        has_access = False
        if page["user_id"] == user_id:
            has_access = True
        elif page.get("workspace_id"):
            has_access = True
        if not has_access:
            raise HTTPException(403)
    """,
    "the flag is never tested": """
        is_owner = page["user_id"] == user_id
        page["mine"] = is_owner
    """,
    "the other way is the request's word": """
        is_owner = page["user_id"] == user_id
        if not is_owner and page["title"] != title:
            raise HTTPException(403)
    """,
    "the flag is rebound before the test": """
        is_owner = page["user_id"] == user_id
        is_owner = title
        if not is_owner:
            raise HTTPException(403)
    """,
    "a flag that is never true": """
        has_access = False
        if not has_access:
            raise HTTPException(403)
    """,
}


@pytest.mark.parametrize("check", CHECKED.values(), ids=CHECKED.keys())
def test_every_way_checks_the_row(check: str) -> None:
    assert _checked(check)


@pytest.mark.parametrize("check", UNCHECKED.values(), ids=UNCHECKED.keys())
def test_a_way_that_checks_nothing_leaves_the_row_unchecked(check: str) -> None:
    assert not _checked(check)


def test_a_flag_tested_in_its_own_making_is_not_expanded_forever() -> None:
    assert not _checked(
        """
        found = page.get("id") is not None
        if found:
            found = True
        if not found:
            raise HTTPException(404)
        """
    )


def _expr(source: str) -> cst.BaseExpression:
    return cst.parse_expression(source)


def test_an_either_or_stands_for_each_way_it_can_hold() -> None:
    options = alternatives.of(_expr("not a and not b"), False, {})
    assert options is not None
    assert [
        [(cst.Module([]).code_for_node(t), truth) for t, truth in o.tests] for o in options
    ] == [
        [("not a", False)],
        [("not a", True), ("not b", False)],
    ]


def test_a_conjunction_that_held_is_one_fact() -> None:
    assert alternatives.of(_expr("a and b"), True, {}) is None
    assert alternatives.of(_expr("a or b"), False, {}) is None


def test_a_flag_stands_for_the_ways_it_was_made_true_only_when_true() -> None:
    made = alternatives.made_by(_expr("row['user_id'] == me"), (), {})
    assert made is not None and len(made) == 1
    flags = {"ok": made}
    assert alternatives.of(_expr("not ok"), False, flags) == made
    assert alternatives.of(_expr("ok"), False, flags) is None


def test_what_makes_a_flag() -> None:
    assert alternatives.made_by(_expr("False"), (), {}) == ()
    assert alternatives.made_by(_expr("bool(found.data)"), (), {}) is not None
    assert alternatives.made_by(_expr("rows.data"), (), {}) is None
    assert alternatives.made_by(_expr("compute(x)"), (), {}) is None


def test_where_paths_meet_a_flag_holds_every_way_and_a_rebinding_forgets_it() -> None:
    one = alternatives.Alternative(((_expr("a"), True),))
    two = alternatives.Alternative(((_expr("b"), True),))
    joined = alternatives.join_flags([{"f": (one,), "g": (one,)}, {"f": (one, two)}])
    assert joined == {"f": (one, two)}


CREATE = """
@router.post("/pages")
async def f(body: PageIn, flag: bool, user_id: str = Depends(get_current_user)):
{check}
    sb.table("pages").insert({{"workspace_id": body.workspace_id, "user_id": user_id}}).execute()
"""


def _tenant_origin(check: str) -> str | None:
    body = textwrap.indent(textwrap.dedent(check).strip("\n"), "    ")
    text = CREATE.format(check=body)
    config = Config(tenant_key="workspace_id", principal_names=("user_id",))
    facts = analyze_module("m.py", text, ast.parse(text), config)
    assert facts.error is None, facts.error
    fact = facts.queries[-1].shape.get("workspace_id")
    assert fact is not None
    return fact.origin


def test_a_request_expression_handed_to_a_passed_check_is_verified() -> None:
    origin = _tenant_origin(
        """
        access = check_workspace_access(user_id, body.workspace_id)
        if not access["has_access"]:
            raise HTTPException(403)
        """
    )
    assert (origin or "").startswith("verified:")


def test_an_expression_checked_on_one_path_only_is_not_verified() -> None:
    origin = _tenant_origin(
        """
        if flag:
            access = check_workspace_access(user_id, body.workspace_id)
            if not access["has_access"]:
                raise HTTPException(403)
        """
    )
    assert origin == "request:body"


def test_where_the_expression_is_empty_it_needs_no_check() -> None:
    origin = _tenant_origin(
        """
        if body.workspace_id:
            access = check_workspace_access(user_id, body.workspace_id)
            if not access["has_access"]:
                raise HTTPException(403)
        """
    )
    assert (origin or "").startswith("verified:")
