"""Retention sweeps: deletes and updates of rows whose expiry has passed."""

from __future__ import annotations

import ast
import textwrap

import pytest

from orgscope_lint.analysis import analyze_module, retention
from orgscope_lint.config import Config
from orgscope_lint.facts import Query

CONFIG = Config(tenant_key="workspace_id", db_receivers=("sb",))


def query_of(body: str) -> Query:
    text = "from datetime import datetime, timedelta\n\n" + textwrap.dedent(body)
    facts = analyze_module("app/jobs.py", text, ast.parse(text), CONFIG)
    (query,) = facts.queries
    return query


@pytest.mark.parametrize(
    "body",
    [
        """
        def sweep():
            sb.table("sessions").delete().lt("expires_at", datetime.utcnow().isoformat()).execute()
        """,
        """
        def sweep():
            now = datetime.now(timezone.utc)
            sb.table("links").update({"status": "expired"}).lte("valid_until", now).execute()
        """,
    ],
)
def test_expiry_before_now_is_a_sweep(body: str) -> None:
    assert retention.sweeps_expired(query_of(body))


@pytest.mark.parametrize(
    "body",
    [
        # A moment the caller passes in.
        """
        def sweep(before):
            sb.table("sessions").delete().lt("expires_at", before).execute()
        """,
        # Shifted into the future: reaches rows still valid.
        """
        def sweep():
            soon = datetime.utcnow() + timedelta(days=7)
            sb.table("sessions").delete().lt("expires_at", soon.isoformat()).execute()
        """,
        # Not an expiry column.
        """
        def sweep():
            sb.table("sessions").delete().lt("created_at", datetime.utcnow().isoformat()).execute()
        """,
        # After now: rows not yet expired.
        """
        def sweep():
            sb.table("sessions").delete().gt("expires_at", datetime.utcnow().isoformat()).execute()
        """,
        # Something else pinned beside it.
        """
        def sweep(user_id):
            cutoff = datetime.utcnow()
            sb.table("sessions").delete().eq("user_id", user_id).lt("expires_at", cutoff).execute()
        """,
        # A read: its rows leave.
        """
        def expired():
            return sb.table("sessions").select("*").lt("expires_at", datetime.utcnow()).execute()
        """,
    ],
)
def test_anything_else_is_no_sweep(body: str) -> None:
    assert not retention.sweeps_expired(query_of(body))


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        ("expires_at", True),
        ("expiry_date", True),
        ("token_expires_at", True),
        ("valid_until", True),
        ("expired", True),
        ("created_at", False),
        ("updated_at", False),
        ("expires_in_days", False),
    ],
)
def test_expiry_columns(column: str, expected: bool) -> None:
    assert retention.is_expiry_column(column) is expected
