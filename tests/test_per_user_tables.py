"""Per-user tables: what one file's reads say, and what the project's joined reads decide."""

from __future__ import annotations

import ast
import textwrap

from conftest import notes_project

from orgscope_lint.analysis import analyze_module
from orgscope_lint.config import Config
from orgscope_lint.facts import FileFacts
from orgscope_lint.per_user_tables import per_user_table
from orgscope_lint.project import Project

CONFIG = Config(tenant_key="workspace_id", db_receivers=("sb",))


def _summary(source: str, path: str = "app/api.py") -> tuple[tuple[str, tuple[str, ...]], ...]:
    text = textwrap.dedent(source)
    return analyze_module(path, text, ast.parse(text), CONFIG).owner_reads


def test_reads_pinned_by_an_owner_on_every_path() -> None:
    assert _summary(
        """
        def mine(user_id):
            return sb.table("notes").select("*").eq("user_id", user_id).execute()
        """
    ) == (("notes", ()),)


def test_one_read_by_the_tag_unpins_the_table() -> None:
    assert _summary(
        """
        def mine(user_id):
            return sb.table("notes").select("*").eq("user_id", user_id).execute()

        def theirs(workspace_id):
            return sb.table("notes").select("id").eq("workspace_id", workspace_id).execute()
        """
    ) == (("notes", ("id", "workspace_id")),)


def test_a_read_by_other_columns_names_what_it_filters_by_and_selects() -> None:
    assert _summary(
        """
        def counted(page_id):
            return sb.table("notes").select("id", count="exact").eq("page_id", page_id).execute()
        """
    ) == (("notes", ("id", "page_id")),)


def test_a_read_of_every_column_may_read_the_tag() -> None:
    assert _summary(
        """
        def one(note_id):
            return sb.table("notes").select("*").eq("id", note_id).execute()
        """
    ) == (("notes", ("*",)),)


def test_an_owner_pinned_on_some_paths_only_does_not_pin() -> None:
    assert _summary(
        """
        def mine(user_id, everyone):
            q = sb.table("notes").select("*")
            if not everyone:
                q = q.eq("user_id", user_id)
            return q.execute()
        """
    ) == (("notes", ("*",)),)


def test_a_read_that_embeds_related_rows_does_not_pin() -> None:
    assert _summary(
        """
        def mine(user_id):
            return sb.table("notes").select("*, pages(title)").eq("user_id", user_id).execute()
        """
    ) == (("notes", ("*",)),)


def test_writes_say_nothing_of_who_reads() -> None:
    assert (
        _summary(
            """
        def add(user_id, workspace_id):
            sb.table("notes").insert({"user_id": user_id, "workspace_id": workspace_id}).execute()
        """
        )
        == ()
    )


def _project(*files: FileFacts, migrations: bool = True) -> Project:
    return notes_project(*files, migrations=migrations)


def test_a_table_every_file_reads_by_its_owner_is_per_user() -> None:
    project = _project(
        FileFacts("app/a.py", owner_reads=(("notes", ()),)),
        FileFacts("app/b.py", owner_reads=(("notes", ()),)),
    )
    assert per_user_table("notes", project)


def test_one_file_reading_by_the_tag_is_enough_to_refuse() -> None:
    project = _project(
        FileFacts("app/a.py", owner_reads=(("notes", ()),)),
        FileFacts("app/b.py", owner_reads=(("notes", ("id", "workspace_id")),)),
    )
    assert not per_user_table("notes", project)


def test_reads_that_neither_filter_by_nor_select_the_tag_leave_it_unread() -> None:
    project = _project(
        FileFacts("app/a.py", owner_reads=(("notes", ()),)),
        FileFacts("app/b.py", owner_reads=(("notes", ("id", "page_id")),)),
    )
    assert per_user_table("notes", project)


def test_a_read_that_may_read_any_column_refuses() -> None:
    project = _project(
        FileFacts("app/a.py", owner_reads=(("notes", ()),)),
        FileFacts("app/b.py", owner_reads=(("notes", ("*",)),)),
    )
    assert not per_user_table("notes", project)


def test_tests_read_as_they_like() -> None:
    project = _project(
        FileFacts("app/a.py", owner_reads=(("notes", ()),)),
        FileFacts("tests/test_notes.py", owner_reads=(("notes", ("*",)),)),
    )
    assert per_user_table("notes", project)


def test_a_table_nobody_reads_is_not_known_to_be_per_user() -> None:
    assert not per_user_table("notes", _project(FileFacts("app/a.py")))


def test_a_table_without_a_tenant_key_or_parent_is_none_of_its_business() -> None:
    project = _project(FileFacts("app/a.py", owner_reads=(("settings", ()),)))
    assert not per_user_table("settings", project)


def test_without_migrations_who_reads_it_in_sql_is_unknown() -> None:
    files = FileFacts("app/a.py", owner_reads=(("notes", ()),))
    assert not per_user_table("notes", _project(files, migrations=False))
