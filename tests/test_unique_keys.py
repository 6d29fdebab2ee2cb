"""Unique keys from the migrations, and the filters they make per-tenant."""

from __future__ import annotations

from pathlib import Path

from orgscope_lint.config import Config
from orgscope_lint.project import build_project
from orgscope_lint.schema import Schema, load_schema


def _schema(tmp_path: Path, *statements: str) -> Schema:
    folder = tmp_path / "migrations"
    folder.mkdir()
    for number, sql in enumerate(statements, 1):
        (folder / f"{number:03}_step.sql").write_text(sql, encoding="utf-8")
    return load_schema(tmp_path, Config().schema)


def test_column_table_and_named_constraints_are_keys(tmp_path: Path) -> None:
    schema = _schema(
        tmp_path,
        "CREATE TABLE p (id uuid PRIMARY KEY, tenant_id text, code text UNIQUE, a int, b int,"
        " UNIQUE (tenant_id, a), CONSTRAINT p_b UNIQUE (b, tenant_id));",
    )
    assert schema.tables["p"].unique == (("b", "tenant_id"), ("code",), ("id",), ("tenant_id", "a"))


def test_alters_and_unique_indexes_add_keys_and_renames_follow(tmp_path: Path) -> None:
    schema = _schema(
        tmp_path,
        "CREATE TABLE p (id uuid, tenant_id text, number text, gone text);",
        "ALTER TABLE ONLY public.p ADD CONSTRAINT p_pkey PRIMARY KEY (id);",
        "CREATE UNIQUE INDEX IF NOT EXISTS p_number ON public.p USING btree (tenant_id, number);",
        "CREATE UNIQUE INDEX p_gone ON p (gone);",
        "ALTER TABLE p RENAME COLUMN number TO code;",
        "ALTER TABLE p DROP COLUMN gone;",
    )
    assert schema.tables["p"].unique == (("id",), ("tenant_id", "code"))


def test_a_key_it_cannot_read_leaves_the_keys_unknown(tmp_path: Path) -> None:
    schema = _schema(
        tmp_path,
        "CREATE TABLE p (id uuid PRIMARY KEY, tenant_id text, email text,"
        " UNIQUE (tenant_id, email));"
        "CREATE TABLE q (id uuid PRIMARY KEY, tenant_id text, email text,"
        " UNIQUE (tenant_id, email));",
        "CREATE UNIQUE INDEX p_email ON p ((lower(email)));",
    )
    assert schema.tables["p"].unique is None  # an expression index: `email` may be unique
    assert schema.tables["q"].unique == (("id",), ("tenant_id", "email"))


def test_a_filter_names_rows_per_tenant_only_by_the_schema_s_keys(tmp_path: Path) -> None:
    schema = _schema(
        tmp_path,
        "CREATE TABLE p (id uuid PRIMARY KEY, tenant_id text NOT NULL, code text,"
        " slug text UNIQUE, UNIQUE (tenant_id, code));",
    )
    project = build_project(Config(tenant_key="tenant_id"), schema)
    assert project.unique_per_tenant("p", ["code"])
    assert not project.unique_per_tenant("p", ["id"])  # a key of its own
    assert not project.unique_per_tenant("p", ["code", "slug"])  # `slug` names one row
    assert not project.unique_per_tenant("p", ["code", "tenant_id"])  # scoped already
    assert not project.unique_per_tenant("p", ["status"])  # no key says anything
