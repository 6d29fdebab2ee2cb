"""A run on a few files uses the rest of the project's summaries, cached by stat."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from orgscope_lint import engine, parallel
from orgscope_lint.config import load_config

HELPERS = (
    "class DatabaseService:\n"
    "    def get_story(self, story_id, org_id):\n"
    '        return self.select_one("stories", {"id": story_id, "clerk_org_id": org_id})\n'
)
ROUTE = (
    "def route(db: DatabaseService, story_id, current_user):\n"
    '    org_id = current_user["clerk_org_id"]\n'
    "    return db.get_story(story_id)\n"
)


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "db.py").write_text(HELPERS)
    (tmp_path / "routes.py").write_text(ROUTE)
    _age(tmp_path)
    return tmp_path


def _age(root: Path, seconds: int = 60) -> None:
    """Date files back: the stat-keyed summaries ignore files changed in the last seconds."""
    when = time.time_ns() - seconds * 1_000_000_000
    for path in root.glob("*.py"):
        os.utime(path, ns=(when, when))


def _hook_run(root: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], int]:
    """Check routes.py alone, as a pre-commit hook would; count files analysed for real."""
    analysed = []
    real = parallel.analyse

    def counting(work, *args, **kwargs):
        analysed.extend(work)
        return real(work, *args, **kwargs)

    monkeypatch.setattr(parallel, "analyse", counting)
    result = engine.run(
        [root / "routes.py"], load_config(start=root), cwd=root, cache_dir=root / ".cache"
    )
    return [f"{f.path}:{f.line}:{f.code}" for f in result.findings], len(analysed)


def test_the_helper_defined_elsewhere_is_known(project: Path, monkeypatch) -> None:
    findings, analysed = _hook_run(project, monkeypatch)
    assert findings == ["routes.py:3:ORG004"]
    assert analysed == 2  # routes.py, and db.py for its summary


def test_a_warm_hook_run_analyses_nothing(project: Path, monkeypatch) -> None:
    _hook_run(project, monkeypatch)
    assert list((project / ".cache" / "summaries").rglob("*")), "the context was stored"
    assert _hook_run(project, monkeypatch) == (["routes.py:3:ORG004"], 0)


def test_an_edited_helper_file_is_read_again(project: Path, monkeypatch) -> None:
    _hook_run(project, monkeypatch)
    helpers = project / "db.py"
    helpers.write_text(HELPERS.replace(', "clerk_org_id": org_id', ""))
    _age(project, seconds=30)
    findings, analysed = _hook_run(project, monkeypatch)
    # get_story no longer scopes by its org: not a scoped helper any more, and a dropper.
    assert findings == []
    assert analysed == 1
