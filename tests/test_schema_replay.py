"""The schema is replayed beside the analysis of the Python files, and a run is the
same as if it had been replayed first."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from orgscope_lint import engine
from orgscope_lint.config import load_config


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "001.sql").write_text(
        "create table calls (id uuid, clerk_org_id text);\n"
    )
    (tmp_path / "api.py").write_text('def f(db, i):\n    db.delete("calls", {"id": i})\n')
    return tmp_path


def _codes(project: Path) -> list[tuple[str, int]]:
    config = load_config(start=project)
    result = engine.run([project], config, cwd=project, use_cache=False, jobs=1)
    return [(finding.code, finding.line) for finding in result.findings]


def test_the_run_waits_for_the_schema_and_leaves_no_thread_behind(project: Path) -> None:
    before = threading.active_count()
    # The table is a tenant table only because the migration says so.
    assert _codes(project) == [("ORG001", 2)]
    assert threading.active_count() == before


def test_a_replay_that_fails_fails_the_run(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def failing(migrations: object) -> None:
        raise RuntimeError("replay failed")

    monkeypatch.setattr(engine, "replay", failing)
    with pytest.raises(RuntimeError, match="replay failed"):
        _codes(project)


def test_a_cached_schema_starts_no_replay(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = load_config(start=project)
    cache_dir = project / ".cache"
    engine.run([project], config, cwd=project, cache_dir=cache_dir, jobs=1)
    started: list[object] = []
    monkeypatch.setattr(engine, "replay", started.append)
    result = engine.run([project], config, cwd=project, cache_dir=cache_dir, jobs=1)
    assert started == []
    assert [(finding.code, finding.line) for finding in result.findings] == [("ORG001", 2)]
