"""`check` reuses the last findings when nothing they depend on changed."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from orgscope_lint import engine
from orgscope_lint.cli import cli

API = 'def f(db, i):\n    db.delete("calls", {"id": i})\n'


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "001.sql").write_text(
        "create table calls (id uuid, clerk_org_id text);\n"
    )
    (tmp_path / "api.py").write_text(API)
    _age(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _age(root: Path, seconds: int = 60) -> None:
    """Date every file back: files changed in the last seconds are never trusted by stat."""
    when = time.time_ns() - seconds * 1_000_000_000
    for path in root.rglob("*"):
        if path.is_file() and ".cache" not in path.parts:
            os.utime(path, ns=(when, when))


def _check(monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[list[tuple[str, int, str]], int]:
    """Findings of a CLI run, and how many files the rules ran on (0: reused)."""
    checked = []
    real = engine.check_file

    def counting(facts, *rest):
        checked.append(facts.path)
        return real(facts, *rest)

    monkeypatch.setattr(engine, "check_file", counting)
    result = CliRunner().invoke(cli, ["check", ".", "--output-format", "json", *args])
    findings = [(f["path"], f["line"], f["code"]) for f in json.loads(result.output)["findings"]]
    return findings, len(checked)


def test_an_unchanged_project_reuses_the_findings(project: Path, monkeypatch) -> None:
    first = _check(monkeypatch)
    assert first == ([("api.py", 2, "ORG001")], 1)
    assert _check(monkeypatch) == ([("api.py", 2, "ORG001")], 0)


def test_an_edited_file_is_checked_again(project: Path, monkeypatch) -> None:
    _check(monkeypatch)
    target = project / "api.py"
    target.write_text(API.replace('"id": i', '"id": i, "clerk_org_id": i'))
    _age(project, seconds=30)
    assert _check(monkeypatch) == ([], 1)


def test_a_file_changed_just_now_is_never_served_from_the_cache(project: Path, monkeypatch) -> None:
    _check(monkeypatch)
    # Same size, and written within the clock's granularity: only its age gives it away.
    target = project / "api.py"
    target.write_text(API.replace("i)", "j)").replace(": i}", ": j}"))
    assert _check(monkeypatch) == ([("api.py", 2, "ORG001")], 1)


def test_a_changed_migration_or_rule_selection_is_checked_again(project: Path, monkeypatch) -> None:
    _check(monkeypatch)
    (project / "migrations" / "002.sql").write_text("alter table calls drop column clerk_org_id;\n")
    _age(project, seconds=30)
    assert _check(monkeypatch) == ([], 1)  # calls is no tenant table any more
    assert _check(monkeypatch, "--select", "ORG002") == ([], 1)
    assert _check(monkeypatch, "--select", "ORG002") == ([], 0)


def _clock_at(monkeypatch: pytest.MonkeyPatch, path: Path, seconds_later: float) -> None:
    """Pin the clock the stat-keyed caches read to `seconds_later` after `path`'s mtime, so
    "just written" does not depend on how fast the machine runs the test."""
    now = path.stat().st_mtime_ns + int(seconds_later * 1_000_000_000)
    monkeypatch.setattr(time, "time_ns", lambda: now)


def _rewrite_keeping_stat(path: Path, text: str) -> None:
    """New content of the same size under the same mtime: what a coarse clock shows when
    a file is edited twice within one tick."""
    before = path.stat()
    assert len(text.encode()) == before.st_size
    path.write_text(text)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


SCOPED = 'def f(db, i, o):\n    db.delete("calls", {"id": i, "clerk_org_id": o})\n'
UNSCOPED = SCOPED.replace("clerk_org_id", "clerk_org_xx")


@pytest.mark.parametrize(("age", "served_stale"), [(1.0, False), (3.0, True)])
def test_a_file_in_the_racy_window_is_not_trusted_by_its_stat(
    project: Path, monkeypatch, age: float, served_stale: bool
) -> None:
    target = project / "api.py"
    target.write_text(SCOPED)
    _clock_at(monkeypatch, target, seconds_later=age)
    assert _check(monkeypatch) == ([], 1)

    _rewrite_keeping_stat(target, UNSCOPED)

    # Inside the window the edit is seen; outside it the stat key is trusted, which is
    # the trade-off the window exists to make safe.
    expected = [] if served_stale else [("api.py", 2, "ORG001")]
    assert _check(monkeypatch)[0] == expected


HELPERS = (
    "class DatabaseService:\n"
    "    def get_call(self, call_id, org_id):\n"
    '        return self.select_one("calls", {"id": call_id, "clerk_org_id": org_id})\n'
)
ROUTE = (
    "def route(db: DatabaseService, call_id, current_user):\n"
    '    org_id = current_user["clerk_org_id"]\n'
    "    return db.get_call(call_id)\n"
)


@pytest.mark.parametrize(("age", "served_stale"), [(1.0, False), (3.0, True)])
def test_a_partial_run_does_not_trust_the_stat_of_a_file_in_the_racy_window(
    project: Path, monkeypatch, age: float, served_stale: bool
) -> None:
    helpers = project / "db.py"
    (project / "routes.py").write_text(ROUTE)
    helpers.write_text(HELPERS)
    _age(project)
    os.utime(helpers)  # only the helpers, which are not being checked, are fresh
    _clock_at(monkeypatch, helpers, seconds_later=age)
    assert _hook_run() == [("routes.py", 3, "ORG004")]

    # get_call no longer takes the org: calling it without one is no finding any more.
    _rewrite_keeping_stat(helpers, HELPERS.replace("org_id", "org_xx"))

    expected = [("routes.py", 3, "ORG004")] if served_stale else []
    assert _hook_run() == expected


def _hook_run() -> list[tuple[str, int, str]]:
    """Check routes.py alone, as a pre-commit hook would."""
    result = CliRunner().invoke(cli, ["check", "routes.py", "--output-format", "json"])
    return [(f["path"], f["line"], f["code"]) for f in json.loads(result.output)["findings"]]
