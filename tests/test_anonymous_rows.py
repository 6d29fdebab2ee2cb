"""Anonymous tables: what one file's inserts say, and what the project's joined inserts
decide about a route that authenticates no one reading a row by the id it presents."""

from __future__ import annotations

import ast
import json
import os
import textwrap
import time
from pathlib import Path

from orgscope_lint.analysis import analyze_module
from orgscope_lint.config import Config
from tests.conftest import run_cli

CONFIG = Config(tenant_key="workspace_id", db_receivers=("sb",), principal_names=("user",))

SCHEMA = """
create table workspaces (id uuid primary key);
create table sessions (
    id uuid primary key default gen_random_uuid(),
    workspace_id uuid references workspaces (id),
    email text
);
"""
VISITOR = """
from fastapi import APIRouter
router = APIRouter()

@router.post("/sessions")
def start(email: str):
    return sb.table("sessions").insert({"email": email}).execute()

@router.get("/sessions/{session_id}")
def resume(session_id: str):
    return sb.table("sessions").select("*").eq("id", session_id).execute()
"""


def _creations(source: str) -> tuple:
    text = textwrap.dedent(source)
    return analyze_module("app/api.py", text, ast.parse(text), CONFIG).row_creations


def test_an_insert_by_a_route_that_authenticates_no_one_is_anonymous() -> None:
    assert _creations(VISITOR) == (("sessions", "start", True, ("email",)),)


def test_a_route_with_a_principal_or_an_upsert_creates_no_visitor_row() -> None:
    found = _creations(
        """
        from fastapi import APIRouter, Depends
        router = APIRouter()

        @router.post("/mine")
        def mine(email: str, user=Depends(current)):
            return sb.table("sessions").insert({"email": email}).execute()

        @router.put("/sessions")
        def save(email: str):
            return sb.table("sessions").upsert({"email": email}).execute()
        """
    )
    assert sorted(found) == [
        ("sessions", "mine", False, ("email",)),
        ("sessions", "save", False, ("email",)),
    ]


def test_an_id_the_request_chooses_is_no_credential() -> None:
    found = _creations(
        """
        from fastapi import APIRouter
        router = APIRouter()

        @router.post("/sessions/{session_id}")
        def start(session_id: str, email: str):
            return sb.table("sessions").insert({"id": session_id, "email": email}).execute()
        """
    )
    assert found == (("sessions", "start", False, ("email", "id")),)


def _project(root: Path, **files: str) -> Path:
    (root / "pyproject.toml").write_text(
        "[tool.orgscope-lint]\n"
        'tenant-key = "workspace_id"\n'
        'db-receivers = ["sb"]\n'
        'principal-names = ["user"]\n'
    )
    (root / "migrations").mkdir()
    (root / "migrations" / "001.sql").write_text(SCHEMA)
    when = time.time_ns() - 60 * 1_000_000_000  # summaries ignore files changed just now
    for name, text in files.items():
        path = root / f"{name}.py"
        path.write_text(textwrap.dedent(text))
        os.utime(path, ns=(when, when))
    return root


def _lines(root: Path, *paths: str) -> list[tuple[str, int, str]]:
    result = run_cli(["check", *paths, "--output-format", "json"], root)
    return sorted((f["path"], f["line"], f["code"]) for f in json.loads(result.stdout)["findings"])


def test_the_visitor_reads_back_the_row_it_was_given(tmp_path: Path) -> None:
    assert _lines(_project(tmp_path, visitor=VISITOR), ".") == []


def test_a_row_authenticated_code_creates_elsewhere_keeps_the_read_reported(
    tmp_path: Path,
) -> None:
    staff = """
    from fastapi import APIRouter, Depends
    router = APIRouter()

    @router.post("/staff/sessions")
    def add(email: str, user=Depends(current)):
        record = {"email": email, "workspace_id": user["workspace_id"]}
        return sb.table("sessions").insert(record).execute()
    """
    root = _project(tmp_path, visitor=VISITOR, staff=staff)
    reported = [("visitor.py", 11, "ORG001")]
    assert _lines(root, ".") == reported
    # Edited since, the file is analysed again in a partial run, which sees the other
    # file's insert only through the summary the full run left.
    visitor = root / "visitor.py"
    visitor.write_text(visitor.read_text() + "# edited\n")
    assert _lines(root, "visitor.py") == reported
