from __future__ import annotations

import logging
import os
import pickle
from pathlib import Path

import pytest

from orgscope_lint.config import Config
from orgscope_lint.schema import DEFAULT_SKIP_DIRS, Schema, TableInfo, load_schema, reverts

PATTERNS = Config().schema


def write(root: Path, relative: str, text: str | bytes) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def load(root: Path) -> Schema:
    return load_schema(root, PATTERNS)


def columns(schema: Schema, table: str) -> set[str]:
    return set(schema.tables[table].columns)


# --- replay ----------------------------------------------------------------------------


def test_replays_create_add_drop_rename_in_file_name_order(tmp_path: Path) -> None:
    # Written newest first, so creation order cannot pass for replay order.
    write(tmp_path, "migrations/004_rename_table.sql", "ALTER TABLE agent RENAME TO agents;")
    write(
        tmp_path,
        "migrations/003_drop_legacy.sql",
        "ALTER TABLE calls DROP COLUMN client_id;\nALTER TABLE agent DROP COLUMN legacy;",
    )
    write(
        tmp_path,
        "migrations/002_add_org.sql",
        "ALTER TABLE calls ADD COLUMN clerk_org_id text;\n"
        "ALTER TABLE agent RENAME COLUMN owner TO clerk_org_id;",
    )
    write(
        tmp_path,
        "migrations/001_init.sql",
        "CREATE TABLE calls (id uuid PRIMARY KEY, client_id text);\n"
        "CREATE TABLE agent (id uuid, owner text, legacy int);",
    )

    schema = load(tmp_path)

    assert schema.files == (
        "migrations/001_init.sql",
        "migrations/002_add_org.sql",
        "migrations/003_drop_legacy.sql",
        "migrations/004_rename_table.sql",
    )
    assert columns(schema, "calls") == {"id", "clerk_org_id"}
    assert columns(schema, "agents") == {"id", "clerk_org_id"}
    assert "agent" not in schema.tables
    assert schema.tables["agents"].source == "migrations/002_add_org.sql"
    assert schema.tables["calls"] == TableInfo(
        name="calls",
        columns=frozenset({"id", "clerk_org_id"}),
        source="migrations/002_add_org.sql",
        unique=(("id",),),
    )


def test_files_in_different_folders_sort_together_by_file_name(tmp_path: Path) -> None:
    write(tmp_path, "a/migrations/002_drop.sql", "DROP TABLE voices;")
    write(tmp_path, "b/migrations/001_create.sql", "CREATE TABLE voices (id int);")
    write(tmp_path, "c/migrations/003_recreate.sql", "CREATE TABLE voices (clerk_org_id text);")

    schema = load(tmp_path)

    assert schema.files == (
        "b/migrations/001_create.sql",
        "a/migrations/002_drop.sql",
        "c/migrations/003_recreate.sql",
    )
    assert columns(schema, "voices") == {"clerk_org_id"}
    assert schema.tables["voices"].source == "c/migrations/003_recreate.sql"


def test_a_table_created_again_in_unsequenced_files_keeps_what_both_say(
    tmp_path: Path,
) -> None:
    # Which of `add-org-to-calls.sql` and `schema.sql` ran first is unknown: the key the
    # first adds is not taken away by the second's plain CREATE.
    write(tmp_path, "sql/add-org-to-calls.sql", "ALTER TABLE calls ADD COLUMN org_id uuid;")
    write(tmp_path, "sql/schema.sql", "CREATE TABLE calls (id int, title text);")
    write(tmp_path, "sql/001_voices.sql", "CREATE TABLE voices (id int, org_id uuid);")
    write(tmp_path, "sql/002_voices_again.sql", "CREATE TABLE voices (id int);")

    schema = load_schema(tmp_path, ("sql/*.sql",))

    assert columns(schema, "calls") == {"id", "title", "org_id"}
    # Numbered files ran in their order: the later definition wins.
    assert columns(schema, "voices") == {"id"}


def test_if_not_exists_keeps_the_existing_table(tmp_path: Path) -> None:
    write(
        tmp_path,
        "migrations/001.sql",
        "CREATE TABLE IF NOT EXISTS calls (id int, clerk_org_id text);\n"
        "CREATE TABLE IF NOT EXISTS calls (id int);\n"
        "ALTER TABLE IF EXISTS ONLY calls ADD COLUMN IF NOT EXISTS status text;\n"
        "ALTER TABLE calls ADD COLUMN IF NOT EXISTS status text;",
    )

    assert columns(load(tmp_path), "calls") == {"id", "clerk_org_id", "status"}


def test_if_not_exists_completes_a_table_only_alters_had_shown(tmp_path: Path) -> None:
    # Deltas for older databases sort before the full schema: their ALTERs ran on a
    # table the schema creates, which must not lose its columns to them.
    write(
        tmp_path,
        "db/002_fix_existing_tables.sql",
        "ALTER TABLE buildings ADD COLUMN IF NOT EXISTS floors int;",
    )
    write(
        tmp_path,
        "db/schema.sql",
        "CREATE TABLE IF NOT EXISTS companies (id int primary key);\n"
        "CREATE TABLE IF NOT EXISTS buildings (id int,"
        " company_id int REFERENCES companies (id), address text);\n"
        "CREATE TABLE IF NOT EXISTS buildings (id int);",
    )

    schema = load_schema(tmp_path, ("db/*.sql",))

    assert columns(schema, "buildings") == {"id", "company_id", "address", "floors"}
    assert dict(schema.tables["buildings"].references) == {"company_id": "companies"}


def test_several_actions_in_one_alter(tmp_path: Path) -> None:
    write(
        tmp_path,
        "migrations/001.sql",
        "CREATE TABLE t (a int, b int, c int);\n"
        "ALTER TABLE t ADD COLUMN d int, ADD e text DEFAULT 'x, y', DROP COLUMN a,"
        " DROP b CASCADE, ADD CONSTRAINT c_positive CHECK (c > 0);",
    )

    assert columns(load(tmp_path), "t") == {"c", "d", "e"}


def test_schema_qualified_and_quoted_names(tmp_path: Path) -> None:
    write(
        tmp_path,
        "migrations/001.sql",
        'CREATE TABLE "public"."Voices" ("Id" uuid, "Clerk_Org_Id" text);\n'
        "CREATE TABLE public.calls (id uuid);\n"
        'ALTER TABLE "public".calls ADD COLUMN "Clerk_Org_Id" text;\n'
        'ALTER TABLE public."Voices" RENAME COLUMN "Id" TO "Voice_Id";',
    )

    schema = load(tmp_path)

    assert set(schema.tables) == {"voices", "calls"}
    assert columns(schema, "voices") == {"voice_id", "clerk_org_id"}
    assert columns(schema, "calls") == {"id", "clerk_org_id"}


def test_drop_table_removes_every_listed_table(tmp_path: Path) -> None:
    write(
        tmp_path,
        "migrations/001.sql",
        "CREATE TABLE a (id int); CREATE TABLE b (id int); CREATE TABLE c (id int);\n"
        'DROP TABLE IF EXISTS a, "public"."B" CASCADE;',
    )

    assert set(load(tmp_path).tables) == {"c"}


def test_create_table_as_select_has_unknown_columns(tmp_path: Path) -> None:
    write(
        tmp_path,
        "migrations/001.sql",
        "CREATE TABLE calls (id int, clerk_org_id text);\n"
        "CREATE TABLE calls_archive AS SELECT * FROM calls;",
    )

    schema = load(tmp_path)

    assert schema.tables["calls_archive"].columns == frozenset()
    assert not schema.table_with_column("calls_archive", "clerk_org_id")


def test_rename_without_the_column_keyword_renames_a_column(tmp_path: Path) -> None:
    # PostgreSQL's COLUMN keyword is optional; this must not read as a table rename.
    write(
        tmp_path,
        "migrations/001.sql",
        "CREATE TABLE calls (id int, client_id text);\n"
        "ALTER TABLE calls RENAME client_id TO clerk_org_id;",
    )

    schema = load(tmp_path)

    assert set(schema.tables) == {"calls"}
    assert columns(schema, "calls") == {"id", "clerk_org_id"}


def test_alter_of_a_table_no_migration_created_registers_it(tmp_path: Path) -> None:
    write(tmp_path, "migrations/001.sql", "ALTER TABLE voices ADD COLUMN clerk_org_id text;")

    assert load(tmp_path).table_with_column("voices", "clerk_org_id")


def test_like_and_inherits_copy_the_columns_of_their_table(tmp_path: Path) -> None:
    write(
        tmp_path,
        "migrations/001.sql",
        "CREATE TABLE base (id int, clerk_org_id text);\n"
        "CREATE TABLE copy (LIKE base INCLUDING ALL, extra int);\n"
        "CREATE TABLE child (note text) INHERITS (base);",
    )

    schema = load(tmp_path)

    assert columns(schema, "copy") == {"id", "clerk_org_id", "extra"}
    assert columns(schema, "child") == {"id", "clerk_org_id", "note"}


def test_temporary_tables_are_not_schema(tmp_path: Path) -> None:
    write(
        tmp_path,
        "migrations/001.sql",
        "CREATE TEMP TABLE scratch (id int);\nCREATE TEMPORARY TABLE scratch2 (id int);",
    )

    assert load(tmp_path).tables == {}


# --- statements sqlglot cannot read ----------------------------------------------------

SUPABASE_MIGRATION = """\
-- Supabase style; comments; with semicolons;
create extension if not exists "uuid-ossp";

create table public.calls (
  id uuid primary key default uuid_generate_v4(),
  clerk_org_id text not null,
  note text default 'a;b'
);

create or replace function public.touch_updated_at() returns trigger
language plpgsql as $$
begin
  new.updated_at = now();
  -- create table inside_function (nope int);
  return new;
end;
$$;

create trigger calls_touch before update on public.calls
  for each row execute function public.touch_updated_at();

alter table public.calls enable row level security;

create policy "org members read calls" on public.calls
  for select using (clerk_org_id = (auth.jwt() ->> 'org_id'));

comment on table public.calls is 'one row per call; create table not_a_table (id int)';
grant select on public.calls to authenticated;

/* create table commented_out (id int); */
alter table public.calls add column updated_at timestamptz, replica identity full;
create table public.voices (id uuid, clerk_org_id text);
"""


def test_supabase_file_learns_ddl_and_prints_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    write(tmp_path, "supabase/migrations/20240101000000_init.sql", SUPABASE_MIGRATION)
    caplog.set_level(logging.DEBUG)

    schema = load(tmp_path)

    assert set(schema.tables) == {"calls", "voices"}
    assert columns(schema, "calls") == {"id", "clerk_org_id", "note", "updated_at"}
    assert schema.unreadable == ()
    assert caplog.records == []
    assert capsys.readouterr() == ("", "")


def test_sqlglot_logger_is_restored_after_loading(tmp_path: Path) -> None:
    # An action sqlglot does not know makes it warn and fall back to a Command.
    write(tmp_path, "migrations/001.sql", "alter table t add column a int, replica identity full;")
    logger = logging.getLogger("sqlglot")
    before = logger.level
    logger.setLevel(logging.INFO)
    try:
        load(tmp_path)
        assert logger.level == logging.INFO
    finally:
        logger.setLevel(before)


def test_alter_action_sqlglot_silently_drops_is_still_learned(tmp_path: Path) -> None:
    # sqlglot reads this without an error yet keeps only the first action.
    write(
        tmp_path,
        "migrations/001.sql",
        "CREATE TABLE calls (id int);\n"
        "ALTER TABLE calls ADD COLUMN a int, SET (fillfactor = 50), ADD COLUMN clerk_org_id text;",
    )

    assert columns(load(tmp_path), "calls") == {"id", "a", "clerk_org_id"}


def test_alter_sqlglot_falls_back_on_still_learns_its_columns(tmp_path: Path) -> None:
    write(
        tmp_path,
        "migrations/001.sql",
        "CREATE TABLE calls (id int);\n"
        "ALTER TABLE calls ADD COLUMN clerk_org_id text, ENABLE ROW LEVEL SECURITY;",
    )

    assert load(tmp_path).table_with_column("calls", "clerk_org_id")


def test_statement_that_breaks_sqlglot_costs_nothing_else(tmp_path: Path) -> None:
    # Deep nesting exhausts sqlglot's recursive parser; the text fallback reads it instead.
    deep = "(" * 2000 + "1" + ")" * 2000
    write(
        tmp_path,
        "migrations/001.sql",
        f"CREATE TABLE first (id int);\n"
        f"CREATE TABLE deep (a int DEFAULT {deep}, clerk_org_id text);\n"
        f"CREATE TABLE last (id int);",
    )

    schema = load(tmp_path)

    assert set(schema.tables) == {"first", "deep", "last"}
    assert columns(schema, "deep") == {"a", "clerk_org_id"}


def test_ddl_inside_a_do_block_is_learned(tmp_path: Path) -> None:
    write(
        tmp_path,
        "migrations/001.sql",
        "CREATE TABLE voices (id int);\n"
        "DO $body$\n"
        "BEGIN\n"
        "  IF NOT EXISTS (SELECT 1 FROM information_schema.columns\n"
        "                 WHERE table_name = 'voices' AND column_name = 'clerk_org_id') THEN\n"
        "    ALTER TABLE voices ADD COLUMN clerk_org_id text;\n"
        "  END IF;\n"
        "  EXECUTE 'ALTER TABLE voices ADD COLUMN dynamic_only text';\n"
        "END\n"
        "$body$;",
    )

    schema = load(tmp_path)

    assert columns(schema, "voices") == {"id", "clerk_org_id"}


def test_psql_meta_commands_and_copy_data_are_skipped(tmp_path: Path) -> None:
    write(
        tmp_path,
        "migrations/001_dump.sql",
        "\\restrict abc123\n"
        "CREATE TABLE public.calls (id int, clerk_org_id text);\n"
        "COPY public.calls (id, clerk_org_id) FROM stdin;\n"
        "CREATE TABLE from_data (x int);\t1\n"
        "\\.\n"
        "CREATE TABLE public.voices (id int);\n",
    )

    assert set(load(tmp_path).tables) == {"calls", "voices"}


# --- files -----------------------------------------------------------------------------


def test_unreadable_file_is_reported_once_and_the_rest_is_read(tmp_path: Path) -> None:
    write(tmp_path, "migrations/001_init.sql", "CREATE TABLE calls (id int);")
    write(
        tmp_path,
        "migrations/002_latin1.sql",
        "-- caf\xe9\nCREATE TABLE x (id int);".encode("latin-1"),
    )
    write(tmp_path, "migrations/003_more.sql", "ALTER TABLE calls ADD COLUMN clerk_org_id text;")

    schema = load(tmp_path)

    assert [path for path, _ in schema.unreadable] == ["migrations/002_latin1.sql"]
    assert "UTF-8" in schema.unreadable[0][1]
    assert schema.files == ("migrations/001_init.sql", "migrations/003_more.sql")
    assert set(schema.tables) == {"calls"}
    assert schema.table_with_column("calls", "clerk_org_id")


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    write(tmp_path, "migrations/001.sql", b"\xef\xbb\xbfCREATE TABLE calls (id int);")

    schema = load(tmp_path)

    assert schema.unreadable == ()
    assert set(schema.tables) == {"calls"}


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "utf-32"])
def test_a_migration_a_byte_order_mark_says_is_utf16_or_utf32_is_replayed(
    tmp_path: Path, codec: str
) -> None:
    # What Windows editors write: the mark says how to read the rest.
    text = "CREATE TABLE calls (id int,\r\n  clerk_org_id text);"
    mark = {"utf-16-be": b"\xfe\xff"}.get(codec, b"")
    write(tmp_path, "migrations/001.sql", mark + text.encode(codec))

    schema = load(tmp_path)

    assert schema.unreadable == ()
    assert schema.table_with_column("calls", "clerk_org_id")


def test_a_utf16_migration_cut_mid_character_is_unreadable(tmp_path: Path) -> None:
    write(tmp_path, "migrations/001.sql", "CREATE TABLE calls (id int);".encode("utf-16") + b"\x00")

    schema = load(tmp_path)

    assert [path for path, _ in schema.unreadable] == ["migrations/001.sql"]
    assert "not valid UTF-16" in schema.unreadable[0][1]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_broken_symlink_is_unreadable(tmp_path: Path) -> None:
    write(tmp_path, "migrations/001.sql", "CREATE TABLE calls (id int);")
    (tmp_path / "migrations" / "002_gone.sql").symlink_to(tmp_path / "nowhere.sql")

    schema = load(tmp_path)

    assert schema.unreadable == (("migrations/002_gone.sql", "broken symbolic link"),)
    assert schema.files == ("migrations/001.sql",)
    assert not schema.empty


def test_default_pattern_matches_at_root_and_nested(tmp_path: Path) -> None:
    for relative in (
        "migrations/001_root.sql",
        "supabase/migrations/002_supabase.sql",
        "db/migrations/versions/003_deeper.sql",
        # None of these is a migration under the default pattern.
        "migrations.sql",
        "sql/004_elsewhere.sql",
        "migrations/notes.md",
        "my_migrations/005_lookalike.sql",
    ):
        write(tmp_path, relative, "SELECT 1;")

    assert load(tmp_path).files == (
        "migrations/001_root.sql",
        "supabase/migrations/002_supabase.sql",
        "db/migrations/versions/003_deeper.sql",
    )


def test_explicit_patterns(tmp_path: Path) -> None:
    write(tmp_path, "db/schema.sql", "CREATE TABLE calls (id int);")
    write(tmp_path, "db/seed.sql", "CREATE TABLE seeded (id int);")
    write(tmp_path, "sql/v1/001_up.sql", "CREATE TABLE voices (id int);")

    schema = load_schema(tmp_path, ["db/schema.sql", "./sql/*/[0-9]*_up.sql"])

    assert schema.files == ("sql/v1/001_up.sql", "db/schema.sql")
    assert set(schema.tables) == {"calls", "voices"}


def test_excluded_directories_are_skipped(tmp_path: Path) -> None:
    write(tmp_path, "migrations/001.sql", "CREATE TABLE calls (id int);")
    for skipped in ("node_modules/pkg", ".venv/lib", ".git", "build", "dist/x"):
        write(tmp_path, f"{skipped}/migrations/002.sql", "CREATE TABLE leaked (id int);")

    assert load(tmp_path).files == ("migrations/001.sql",)
    assert {"node_modules", ".venv", ".git", "build", "dist"} <= DEFAULT_SKIP_DIRS


def test_exclude_dirs_parameter_replaces_the_default(tmp_path: Path) -> None:
    write(tmp_path, "app/migrations/001.sql", "CREATE TABLE calls (id int);")
    write(tmp_path, "legacy/migrations/002.sql", "CREATE TABLE old (id int);")
    write(tmp_path, "build/migrations/003.sql", "CREATE TABLE built (id int);")

    schema = load_schema(tmp_path, PATTERNS, exclude_dirs={"legacy"})

    assert schema.files == ("app/migrations/001.sql", "build/migrations/003.sql")


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_directory_symlinks_are_not_followed(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    write(repo, "migrations/001.sql", "CREATE TABLE calls (id int);")
    write(tmp_path, "elsewhere/migrations/002.sql", "CREATE TABLE outside (id int);")
    (repo / "vendored").symlink_to(tmp_path / "elsewhere", target_is_directory=True)

    assert load(repo).files == ("migrations/001.sql",)


def test_fingerprint_changes_with_any_migration_and_only_then(tmp_path: Path) -> None:
    write(tmp_path, "migrations/001.sql", "CREATE TABLE calls (id int);")
    write(tmp_path, "migrations/002.sql", "ALTER TABLE calls ADD COLUMN clerk_org_id text;")
    write(tmp_path, "README.md", "not a migration")
    first = load(tmp_path).fingerprint

    assert load(tmp_path).fingerprint == first
    write(tmp_path, "README.md", "still not a migration")
    assert load(tmp_path).fingerprint == first

    write(tmp_path, "migrations/002.sql", "ALTER TABLE calls ADD COLUMN org_id text;")
    changed = load(tmp_path).fingerprint
    assert changed != first

    (tmp_path / "migrations" / "002.sql").rename(tmp_path / "migrations" / "003.sql")
    renamed = load(tmp_path).fingerprint
    assert renamed not in (first, changed)

    write(tmp_path, "migrations/004.bin.sql", b"\xff\xfe")
    assert load(tmp_path).fingerprint != renamed


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_fingerprint_tells_an_unreadable_file_from_an_empty_one(tmp_path: Path) -> None:
    path = write(tmp_path, "migrations/001.sql", "")
    empty = load(tmp_path).fingerprint
    path.unlink()
    path.symlink_to(tmp_path / "nowhere.sql")

    assert load(tmp_path).fingerprint != empty


def test_no_migration_means_empty(tmp_path: Path) -> None:
    write(tmp_path, "app/models.py", "x = 1")

    schema = load(tmp_path)

    assert schema.empty
    assert (schema.tables, schema.files, schema.unreadable) == ({}, (), ())
    write(tmp_path, "migrations/001.sql", b"\xff")
    assert not load(tmp_path).empty


def test_missing_root_is_empty(tmp_path: Path) -> None:
    assert load(tmp_path / "does-not-exist").empty


# --- the tenant key --------------------------------------------------------------------


def test_migration_adding_the_tenant_key_to_several_tables(tmp_path: Path) -> None:
    write(
        tmp_path,
        "migrations/001_init.sql",
        "CREATE TABLE voices (id uuid, client_id text);\n"
        "CREATE TABLE calls (id uuid, client_id text);\n"
        "CREATE TABLE campaigns (id uuid);\n"
        "CREATE TABLE countries (code text);",
    )
    write(
        tmp_path,
        "migrations/024_add_missing_clerk_org_id_columns.sql",
        "-- Add clerk_org_id where missing, with an optional backfill.\n"
        "ALTER TABLE voices ADD COLUMN IF NOT EXISTS clerk_org_id TEXT;\n"
        "ALTER TABLE public.calls ADD COLUMN IF NOT EXISTS clerk_org_id TEXT;\n"
        "ALTER TABLE campaigns ADD COLUMN IF NOT EXISTS clerk_org_id TEXT"
        " REFERENCES organizations(clerk_org_id) ON DELETE CASCADE;\n"
        "UPDATE voices SET clerk_org_id = client_id WHERE clerk_org_id IS NULL;\n"
        "CREATE INDEX IF NOT EXISTS idx_calls_clerk_org_id ON calls (clerk_org_id);",
    )

    schema = load(tmp_path)

    for table in ("voices", "calls", "campaigns"):
        assert schema.table_with_column(table, "clerk_org_id"), table
        assert schema.tables[table].source == (
            "migrations/024_add_missing_clerk_org_id_columns.sql"
        )
    assert not schema.table_with_column("countries", "clerk_org_id")


def test_table_with_column_normalizes_names(tmp_path: Path) -> None:
    write(tmp_path, "migrations/001.sql", "CREATE TABLE calls (id int, clerk_org_id text);")

    schema = load(tmp_path)

    assert schema.table_with_column("public.calls", "CLERK_ORG_ID")
    assert schema.table_with_column('"public"."Calls"', "clerk_org_id")
    assert not schema.table_with_column("calls", "client_id")
    assert not schema.table_with_column("voices", "clerk_org_id")


def test_schema_pickles(tmp_path: Path) -> None:
    write(tmp_path, "migrations/001.sql", "CREATE TABLE calls (id int, clerk_org_id text);")
    schema = load(tmp_path)

    assert pickle.loads(pickle.dumps(schema)) == schema


@pytest.mark.parametrize(
    ("relative", "undoes"),
    [
        ("migrations/034_rollback.sql", True),
        ("migrations/001_init.down.sql", True),
        ("db/migrations/down/001_init.sql", True),
        ("migrations/rollbacks/001.sql", True),
        # A new migration that reverts an earlier change runs forward like any other.
        ("migrations/003_revert_rename.sql", False),
        ("migrations/001_init.up.sql", False),
        ("migrations/002_add_download_links.sql", False),
        ("migrations/004_dropdown_options.sql", False),
        ("migrations/005_countdown.sql", False),
    ],
)
def test_migrations_that_undo_others_are_known_by_name(relative: str, undoes: bool) -> None:
    assert reverts(relative) is undoes


def test_a_rollback_is_not_replayed_unless_named(tmp_path: Path) -> None:
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    (migrations / "001_quotes.sql").write_text("create table quotes (id uuid, org_id uuid);\n")
    (migrations / "001_rollback.sql").write_text("drop table quotes;\n")
    assert "quotes" in load_schema(tmp_path, ["migrations/*.sql"]).tables
    named = ["migrations/*.sql", "migrations/001_rollback.sql"]
    assert "quotes" not in load_schema(tmp_path, named).tables
