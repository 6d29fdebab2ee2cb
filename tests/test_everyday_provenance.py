"""Ids read from a query's rows keep that provenance through everyday Python forms."""

from __future__ import annotations

import ast
import textwrap

import pytest

from orgscope_lint.analysis import analyze_module
from orgscope_lint.config import Config
from orgscope_lint.facts import FileFacts

HEAD = """
def f(org_id, other):
    rows = sb.table("calls").select("id").eq("clerk_org_id", org_id).execute().data
"""


def follow_up_row(body: str) -> str | None:
    """The row the last query's `id` filter reads from ("q0" is the first query)."""
    text = HEAD + textwrap.indent(textwrap.dedent(body).strip("\n"), "    ") + "\n"
    facts = analyze_module("m.py", text, ast.parse(text), Config())
    assert facts.error is None, facts.error
    fact = facts.queries[-1].shape.get("id")
    assert fact is not None, facts.queries[-1]
    return fact.row


FROM_ROWS = {
    "list comprehension": """
        ids = [r["id"] for r in rows]
        sb.table("calls").delete().in_("id", ids).execute()
        """,
    "set() of a generator": """
        ids = set(r["id"] for r in rows)
        sb.table("calls").delete().in_("id", ids).execute()
        """,
    "dict comprehension keys": """
        by_id = {r["id"]: r for r in rows}
        for call_id in by_id:
            sb.table("calls").delete().eq("id", call_id).execute()
        """,
    "next()": """
        first = next(r for r in rows if r["status"])
        sb.table("calls").delete().eq("id", first.get("id")).execute()
        """,
    "dict() copy of a row": """
        first = dict(rows[0])
        sb.table("calls").delete().eq("id", first["id"]).execute()
        """,
    "nested comprehension": """
        pairs = [(r["id"], o) for r in rows for o in other]
        ids = [p for p in pairs]
        sb.table("calls").delete().in_("id", [r["id"] for r in rows]).execute()
        """,
}


@pytest.mark.parametrize("body", FROM_ROWS.values(), ids=FROM_ROWS.keys())
def test_ids_from_rows_keep_their_provenance(body: str) -> None:
    assert follow_up_row(body) == "q0"


NOT_FROM_ROWS = {
    "comprehension over a parameter": """
        ids = [i for i in other]
        sb.table("calls").delete().in_("id", ids).execute()
        """,
    "dict() built from other values": """
        first = dict(id=other)
        sb.table("calls").delete().eq("id", first["id"]).execute()
        """,
    "loop variable rebound": """
        ids = [other for r in rows]
        sb.table("calls").delete().in_("id", ids).execute()
        """,
}


@pytest.mark.parametrize("body", NOT_FROM_ROWS.values(), ids=NOT_FROM_ROWS.keys())
def test_other_values_do_not(body: str) -> None:
    assert follow_up_row(body) is None


def test_a_plain_helper_result_is_its_row() -> None:
    text = textwrap.dedent(
        """
        def f(org_id, task_id):
            task = task_by_id(org_id, task_id)
            sb.table("tasks").update({"done": True}).eq("id", task["id"]).execute()
        """
    )
    facts = analyze_module("m.py", text, ast.parse(text), Config())
    (call,) = facts.helper_calls
    assert call.name == "task_by_id"
    assert facts.queries[0].shape.get("id").row == "h0"  # type: ignore[union-attr]


def _facts(source: str) -> FileFacts:
    text = textwrap.dedent(source)
    facts = analyze_module("m.py", text, ast.parse(text), Config())
    assert facts.error is None, facts.error
    return facts


GATHERED = """
async def f(org_id, request):
    tasks = [
        sb.table("calls").select("*").eq("clerk_org_id", org_id).execute(),
        request.json(),
    ]
    {extra}
    {targets} = await asyncio.gather(*tasks)
    sb.table("calls").delete().eq("id", rows.data[0]["id"]).execute()
"""


@pytest.mark.parametrize(
    ("extra", "targets", "row"),
    [
        ("", "rows, body", "q0"),  # each result where it was given
        ("", "body, rows", None),  # swapped: `rows` is the request body
        ("tasks.append(other())", "rows, body, more", "q0"),  # appended: one more position
        ("tasks.reverse()", "rows, body", None),  # reordered: positions lost, merged
        ("", "rows, *rest", None),  # a starred target: positions not followed
    ],
    ids=["in-order", "swapped", "appended", "reordered", "starred"],
)
def test_gather_keeps_each_result_in_its_position(extra: str, targets: str, row: str) -> None:
    facts = _facts(GATHERED.format(extra=extra, targets=targets))
    fact = facts.queries[-1].shape.get("id")
    assert fact is not None
    assert fact.row == row


INSERTED = """
@router.post("/sessions")
def create(org_id, payload: dict = Body(...)):
    session = {{"id": payload["session_id"], "clerk_org_id": org_id}}
    sb.table("sessions").{write}(session).execute()
    sb.table("stats").insert({{"session_id": session["id"]}}).execute()
"""


@pytest.mark.parametrize(
    ("write", "origin"),
    [("insert", "verified:q0"), ("upsert", "request:body")],
    ids=["insert-verifies-its-id", "upsert-may-overwrite"],
)
def test_an_inserted_rows_id_is_verified_by_the_insert(write: str, origin: str) -> None:
    facts = _facts(INSERTED.format(write=write))
    fact = facts.queries[-1].shape.get("session_id")
    assert fact is not None
    assert fact.origin == origin


NARROWED = """
@router.get("/templates")
def templates(venue_id: str | None = None, current_user=Depends(get_current_user)):
    venues = sb.table("venues").select("id").eq("org_id", current_user["org_id"]).execute()
    ids = [v["id"] for v in venues.data]
    query = sb.table("templates").select("*"){first}
    query = query{second}
    return query.execute()
"""


@pytest.mark.parametrize(
    ("first", "second", "row"),
    [
        # both filters apply: the request only narrows the caller's venues
        ('.in_("venue_id", ids)', '.eq("venue_id", venue_id)', "q0"),
        ('.eq("venue_id", venue_id)', '.in_("venue_id", ids)', "q0"),
        # nothing known to narrow
        ("", '.eq("venue_id", venue_id)', None),
    ],
)
def test_request_input_narrowing_a_known_pin_keeps_it(first: str, second: str, row) -> None:
    facts = _facts(NARROWED.format(first=first, second=second))
    (templates,) = [q for q in facts.queries if q.table == "templates"]
    assert templates.shape.get("venue_id").row == row
