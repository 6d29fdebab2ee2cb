"""Uniqueness probes of freshly generated values are not tenant reads."""

from __future__ import annotations

import ast
import textwrap

import pytest

from orgscope_lint.analysis import analyze_module, fresh_values
from orgscope_lint.analysis.values import TOP, Value
from orgscope_lint.config import Config


def probe_of(body: str) -> bool:
    text = "def f(org_id, given, ids):\n" + textwrap.indent(textwrap.dedent(body), "    ")
    facts = analyze_module("m.py", text, ast.parse(text), Config())
    assert facts.error is None, facts.error
    reads = [q for q in facts.queries if q.operation == "read"]
    assert len(reads) == 1, facts.queries
    return fresh_values.probes_fresh_value(reads[0].shape)


PROBES = {
    "project generator in a while loop": """
        code = random_code()
        while db.select_one("projects", {"code": code}):
            code = random_code()
        """,
    "secrets token": """
        token = secrets.token_urlsafe(32)
        db.select_one("tokens", {"token": token})
        """,
    "uuid4 hex slice": """
        code = uuid.uuid4().hex[:10]
        sb.table("projects").select("id").eq("code", code).execute()
        """,
    "f-string of a random number": """
        candidate = f"T{random.randint(0, 10**6 - 1):0{6}d}"
        sb.table("tasks").select("task_id").eq("task_id", candidate).limit(1).execute()
        """,
    "prefix added to a token": """
        db.select_one("invites", {"code": "INV-" + secrets.token_hex(4)})
        """,
    "a closure handed to a retry helper": """
        candidate = f"T{random.randint(0, 999999):06d}"
        def op():
            return sb.table("tasks").select("task_id").eq("task_id", candidate).execute()
        run_safely(op)
        """,
    "joined picks from an alphabet": """
        code = "".join(secrets.choice(ALPHABET) for _ in range(8))
        db.select_one("projects", {"code": code.upper()})
        """,
}


@pytest.mark.parametrize("body", PROBES.values(), ids=PROBES.keys())
def test_probes(body: str) -> None:
    assert probe_of(body)


NOT_PROBES = {
    "value from the caller": """
        db.select_one("projects", {"code": given})
        """,
    "an f-string with a caller's value in it": """
        db.select_one("projects", {"code": f"{given}-{random.randint(0, 99)}"})
        """,
    "a caller's value added to a constant": """
        db.select_one("projects", {"code": "P-" + given})
        """,
    "fresh and a caller's value": """
        code = random_code()
        db.select_one("projects", {"code": code, "name": given})
        """,
    "fresh on one path only": """
        code = given
        if not code:
            code = random_code()
        db.select_one("projects", {"code": code})
        """,
    "a random pick of existing ids": """
        agent_id = random.choice(ids)
        db.select_one("agents", {"id": agent_id})
        """,
    "reading back the row just inserted": """
        new_id = str(uuid4())
        db.insert("projects", {"id": new_id, "clerk_org_id": org_id})
        db.select_one("projects", {"id": new_id})
        """,
    "no filter": """
        db.select_one("projects", {})
        """,
}


@pytest.mark.parametrize("body", NOT_PROBES.values(), ids=NOT_PROBES.keys())
def test_not_probes(body: str) -> None:
    assert not probe_of(body)


def test_string_work_keeps_freshness_only_of_fresh_input() -> None:
    fresh = Value(origin=fresh_values.FRESH)
    assert fresh_values.call_origin("str", [TOP, fresh]) == fresh_values.FRESH
    assert fresh_values.call_origin("str", [TOP, TOP]) is None
    assert fresh_values.call_origin("str.upper", [fresh]) == fresh_values.FRESH
