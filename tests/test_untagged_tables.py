"""Untagged tables: what one file's reads filter by, and what the project decides."""

from __future__ import annotations

import ast
import textwrap

from conftest import notes_project

from orgscope_lint.analysis import analyze_module
from orgscope_lint.config import Config
from orgscope_lint.facts import FileFacts
from orgscope_lint.project import Project
from orgscope_lint.untagged_tables import untagged_table

CONFIG = Config(tenant_key="workspace_id", db_receivers=("sb",))


def _summary(source: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    text = textwrap.dedent(source)
    return analyze_module("app/api.py", text, ast.parse(text), CONFIG).filter_reads


def _project(*files: FileFacts, migrations: bool = True) -> Project:
    return notes_project(*files, migrations=migrations)


def test_every_read_names_the_columns_it_filters_by_whatever_it_selects() -> None:
    assert _summary(
        """
        def mine(user_id):
            return sb.table("notes").select("*").eq("user_id", user_id).execute()

        def recent(since):
            return sb.table("notes").select("id").gte("created_at", since).execute()
        """
    ) == (("notes", ("created_at", "user_id")),)


def test_a_range_or_a_negation_on_the_key_is_a_read_by_it() -> None:
    assert _summary(
        """
        def others(workspace_id):
            return sb.table("notes").select("id").neq("workspace_id", workspace_id).execute()
        """
    ) == (("notes", ("workspace_id",)),)


def test_a_loop_over_column_names_filters_by_each_of_them() -> None:
    assert _summary(
        """
        def linked(flight_id):
            for column in ("related_flight_id", "reference_id"):
                sb.table("notifications").select("*").eq(column, flight_id).execute()
        """
    ) == (("notifications", ("reference_id", "related_flight_id")),)


def test_a_filter_it_cannot_read_may_be_by_the_key() -> None:
    assert _summary(
        """
        def by(column, value):
            return sb.table("notes").select("id").eq(column, value).execute()
        """
    ) == (("notes", ("*",)),)


def test_no_read_by_the_key_anywhere_makes_the_table_untagged() -> None:
    project = _project(
        FileFacts("app/a.py", filter_reads=(("notes", ("user_id",)),)),
        FileFacts("tests/test_a.py", filter_reads=(("notes", ("workspace_id",)),)),
    )
    assert untagged_table("notes", project)  # a test's read runs in no request


def test_one_read_by_the_key_or_an_unknown_filter_keeps_it_tagged() -> None:
    by_key = FileFacts("app/b.py", filter_reads=(("notes", ("workspace_id",)),))
    unknown = FileFacts("app/c.py", filter_reads=(("notes", ("*",)),))
    mine = FileFacts("app/a.py", filter_reads=(("notes", ("user_id",)),))
    assert not untagged_table("notes", _project(mine, by_key))
    assert not untagged_table("notes", _project(mine, unknown))


def test_without_migrations_who_reads_it_in_sql_is_unknown() -> None:
    mine = FileFacts("app/a.py", filter_reads=(("notes", ("user_id",)),))
    assert not untagged_table("notes", _project(mine, migrations=False))
