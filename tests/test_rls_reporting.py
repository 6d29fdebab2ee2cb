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
