"""The replayed schema is cached by the migrations' fingerprint."""

from __future__ import annotations

from pathlib import Path

import pytest

from orgscope_lint import engine
from orgscope_lint.config import load_config


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "001.sql").write_text("create table calls (id uuid);\n")
    (tmp_path / "api.py").write_text('def f(db, i):\n    db.delete("calls", {"id": i})\n')
    return tmp_path


def _run(root: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, list[str]]:
    replays = []
    real = engine.replay
    monkeypatch.setattr(engine, "replay", lambda m: replays.append(1) or real(m))
    result = engine.run([root], load_config(start=root), cwd=root, cache_dir=root / ".cache")
    return len(replays), [f.code for f in result.findings]


def test_a_warm_run_does_not_replay_the_migrations(project: Path, monkeypatch) -> None:
    assert _run(project, monkeypatch) == (1, [])  # calls has no tenant key: not a tenant table
    assert _run(project, monkeypatch) == (0, [])


def test_a_changed_migration_is_replayed(project: Path, monkeypatch) -> None:
    _run(project, monkeypatch)
    (project / "migrations" / "002.sql").write_text(
        "alter table calls add column clerk_org_id text;\n"
    )
    assert _run(project, monkeypatch) == (1, ["ORG001"])
    assert _run(project, monkeypatch) == (0, ["ORG001"])
