"""Where and when the migrations' findings (ORG2xx) are reported."""

from __future__ import annotations

from pathlib import Path

from orgscope_lint.config import config_from_mapping
from orgscope_lint.engine import run

OPEN = (
    "create table calls (id int, clerk_org_id text);{comment}\n"
    "create table voices (id int, clerk_org_id text);\n"
    "alter table voices enable row level security;\n"
)


def _project(tmp_path: Path, comment: str = "", **config: object) -> list[tuple[str, int, str]]:
    (tmp_path / "migrations").mkdir(exist_ok=True)
    (tmp_path / "migrations" / "001.sql").write_text(OPEN.format(comment=comment))
    (tmp_path / "api.py").write_text("x = 1\n")
    settings = config_from_mapping(config, source=tmp_path / "orgscope.toml")
    result = run([tmp_path], settings, cwd=tmp_path, use_cache=False)
    return [(f.path, f.line, f.code) for f in result.active]


def test_reported_on_the_migration_line(tmp_path: Path) -> None:
    assert _project(tmp_path) == [("migrations/001.sql", 1, "ORG201")]


def test_a_suppression_comment_on_the_line(tmp_path: Path) -> None:
    assert _project(tmp_path, "  -- orgscope: ignore[ORG201] -- seeded read-only data") == []
    assert _project(tmp_path, "  -- orgscope: ignore[ORG202]") == [
        ("migrations/001.sql", 1, "ORG201")
    ]


def test_per_file_ignores_apply(tmp_path: Path) -> None:
    assert _project(tmp_path, **{"per-file-ignores": {"migrations/*": ["ORG201"]}}) == []


def test_a_run_on_python_files_only_reports_nothing_on_migrations(tmp_path: Path) -> None:
    _project(tmp_path)
    settings = config_from_mapping({}, source=tmp_path / "orgscope.toml")
    result = run([tmp_path / "api.py"], settings, cwd=tmp_path, use_cache=False)
    assert result.active == []


def test_paths_are_shown_from_the_working_directory(tmp_path: Path) -> None:
    _project(tmp_path)
    settings = config_from_mapping({}, source=tmp_path / "orgscope.toml")
    result = run([tmp_path], settings, cwd=tmp_path.parent, use_cache=False)
    assert [f.path for f in result.active] == [f"{tmp_path.name}/migrations/001.sql"]


def test_an_unreadable_migration_is_one_org000(tmp_path: Path) -> None:
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "002_latin1.sql").write_bytes(b"-- caf\xe9\nselect 1;\n")
    assert ("migrations/002_latin1.sql", 1, "ORG000") in _project(tmp_path)


def test_a_warm_run_reads_rls_from_the_schema_cache(tmp_path: Path, monkeypatch) -> None:
    from orgscope_lint import engine

    _project(tmp_path)
    settings = config_from_mapping({}, source=tmp_path / "orgscope.toml")
    cache = tmp_path / ".cache"
    first = run([tmp_path], settings, cwd=tmp_path, cache_dir=cache)

    def no_replay(migrations: object) -> None:
        raise AssertionError("the schema was replayed again")

    monkeypatch.setattr(engine, "replay", no_replay)
    second = run([tmp_path], settings, cwd=tmp_path, cache_dir=cache)
    assert [(f.path, f.code) for f in second.active] == [(f.path, f.code) for f in first.active]
    assert ("migrations/001.sql", "ORG201") in [(f.path, f.code) for f in second.active]
