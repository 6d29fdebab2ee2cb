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
