"""Messages echo the code as it is written and say what the query does when it fails open."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from orgscope_lint.config import config_from_mapping
from orgscope_lint.engine import run

MIGRATION = "create table calls (id uuid, org_id uuid);\n"


def messages(tmp_path: Path, source: str) -> list[str]:
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "001.sql").write_text(MIGRATION, encoding="utf-8")
    (tmp_path / "app.py").write_text(textwrap.dedent(source), encoding="utf-8")
    config = config_from_mapping({"tenant-key": "org_id"}, root=tmp_path)
    result = run([tmp_path], config, cwd=tmp_path, use_cache=False)
    return [f"{f.code} {f.message}" for f in result.findings]


@pytest.mark.parametrize(
    ("call", "echo"),
    [
        ('sb.table("calls").upsert({"id": i})', '`sb.table("calls").upsert`'),
        ('sb.table("calls").insert({"id": i})', '`sb.table("calls").insert`'),
        ('sb.from_("calls").upsert({"id": i})', '`sb.from_("calls").upsert`'),
        ("sb.from_('calls').insert({'id': i})", "`sb.from_('calls').insert`"),
        ('db.upsert("calls", {"id": i})', "`db.upsert`"),
        ('db.insert("calls", {"id": i})', "`db.insert`"),
    ],
)
def test_an_insert_or_upsert_is_named_as_written(tmp_path: Path, call: str, echo: str) -> None:
    found = messages(tmp_path, f"def f(sb, db, i):\n    {call}.execute()\n")
    assert found == [f"ORG003 {echo} into tenant table `calls` writes a record without `org_id`"]


@pytest.mark.parametrize(
    ("chain", "echo"),
    [
        ('self.client.from_("calls")', 'self.client.from_("calls")'),
        ('sb.schema("public").table("calls")', 'sb.schema("public").table("calls")'),
        ('sb.table( "calls" )', 'sb.table( "calls" )'),
        # Over several lines the start is spelled out rather than cut from one line.
        ('sb.table(\n        "calls"\n    )', 'sb.table("calls")'),
    ],
)
def test_a_chain_is_echoed_from_its_start_as_written(tmp_path: Path, chain: str, echo: str) -> None:
    found = messages(tmp_path, f'def f(sb, i):\n    {chain}.delete().eq("id", i).execute()\n')
    assert found == [f"ORG001 `{echo}.delete` on tenant table `calls` does not filter by `org_id`"]


CONDITIONAL = """\
def f(db, i, org_id, admin):
    q = {"id": i}
    if CONDITION:
        q["org_id"] = org_id
    return db.OPERATION("calls", q)
"""


@pytest.mark.parametrize(
    ("condition", "operation", "expected"),
    [
        (
            "org_id",
            "select",
            "only when `org_id` is truthy; otherwise it reads every tenant's rows",
        ),
        ("org_id", "delete", "only when `org_id` is truthy; otherwise it deletes every tenant's"),
        ("org_id", "count", "only when `org_id` is truthy; otherwise it counts every tenant's"),
        ("self.org", "update", "only when `self.org` is truthy; otherwise it updates every"),
        ("org_id is not None", "select", "only when `org_id is not None` holds; otherwise it"),
        # A record: nothing of another tenant is reached, the row just has no tenant.
        ("org_id", "insert", "sets `org_id` only when `org_id` is truthy; otherwise it writes a"),
    ],
)
def test_a_conditional_filter_says_when_and_what_it_does_otherwise(
    tmp_path: Path, condition: str, operation: str, expected: str
) -> None:
    source = CONDITIONAL.replace("CONDITION", condition).replace("OPERATION", operation)
    found = messages(tmp_path, source)
    assert len(found) == 1 and found[0].startswith("ORG007 "), found
    assert expected in found[0]


def test_a_key_set_in_the_else_branch_is_filtered_only_when_the_name_is_falsy(
    tmp_path: Path,
) -> None:
    source = CONDITIONAL.replace(
        '    if CONDITION:\n        q["org_id"] = org_id\n',
        '    if admin:\n        pass\n    else:\n        q["org_id"] = org_id\n',
    ).replace("OPERATION", "select")
    found = messages(tmp_path, source)
    assert len(found) == 1 and "only when `admin` is falsy;" in found[0], found


@pytest.mark.parametrize(
    ("router", "where"),
    [
        ('APIRouter(prefix="/orgs/{org_id}/calls")', "a path parameter"),
        ('APIRouter(prefix="/orgs/{org_id:str}")', "a path parameter"),
        ('APIRouter(prefix="/calls")', "a query-string parameter"),
    ],
)
def test_a_router_prefix_declares_path_parameters(tmp_path: Path, router: str, where: str) -> None:
    found = messages(
        tmp_path,
        f"""\
        from fastapi import APIRouter

        router = {router}

        @router.get("")
        def calls(org_id: str, current_user=Depends(get_current_user)):
            return sb.table("calls").select("*").eq("org_id", org_id).execute().data
        """,
    )
    assert len(found) == 1 and f"from {where}" in found[0], found


@pytest.mark.parametrize("first", ["None", "True", "False"])
def test_a_call_whose_first_argument_is_a_keyword_constant_is_located(
    tmp_path: Path, first: str
) -> None:
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "001.sql").write_text(MIGRATION, encoding="utf-8")
    source = f"""\
        def get_call(call_id, org_id):
            return db.select_one("calls", {{"id": call_id, "org_id": org_id}})


        def route(current_user):
            org_id = current_user["org_id"]
            return get_call({first})
        """
    (tmp_path / "app.py").write_text(textwrap.dedent(source), encoding="utf-8")
    config = config_from_mapping({"tenant-key": "org_id"}, root=tmp_path)
    found = run([tmp_path], config, cwd=tmp_path, use_cache=False).findings
    assert [(f.code, f.span.line, f.span.column) for f in found] == [("ORG004", 7, 12)]


def test_code_after_a_return_is_not_reported(tmp_path: Path) -> None:
    found = messages(
        tmp_path,
        """\
        def f(sb, i, org_id):
            return sb.table("calls").select("*").eq("id", i).eq("org_id", org_id).execute()
            sb.table("calls").delete().eq("id", i).execute()


        def g(sb, i):
            if i:
                return None
            sb.table("calls").delete().eq("id", i).execute()
        """,
    )
    assert [m.split(" ")[0] for m in found] == ["ORG001"]
