"""`--fix --dry-run` says how much is fixable and keeps the exit code honest;
`--dry-run` alone is a usage error."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from orgscope_lint.cli import cli

FIXABLE = textwrap.dedent(
    """\
    def delete_call(call_id, current_user, db):
        clerk_org_id = current_user["clerk_org_id"]
        db.delete("calls", {"id": call_id})
    """
)
UNFIXABLE = textwrap.dedent(
    """\
    def purge(call_id, db):
        db.delete("calls", {"id": call_id})
    """
)
SUPPRESSED = textwrap.dedent(
    """\
    def webhook(call_id, db):
        db.delete("calls", {"id": call_id})  # orgscope: ignore[ORG001] -- signed webhook
    """
)
CLEAN = textwrap.dedent(
    """\
    def read(call_id, current_user, db):
        return db.select("calls", {"id": call_id, "clerk_org_id": current_user["clerk_org_id"]})
    """
)


def project(tmp_path: Path, monkeypatch, *modules: str) -> dict[Path, str]:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    files = {}
    for index, text in enumerate(modules):
        path = tmp_path / f"api_{index}.py"
        path.write_text(text)
        files[path] = text
    monkeypatch.chdir(tmp_path)
    return files


def check(*args: str):
    return CliRunner().invoke(cli, ["check", ".", "--no-cache", *args])


def unchanged(files: dict[Path, str]) -> bool:
    return all(path.read_text() == text for path, text in files.items())


@pytest.mark.parametrize(
    ("modules", "said", "exit_code"),
    [
        ((FIXABLE, UNFIXABLE), "1 of 2 findings fixable", 1),
        ((FIXABLE,), "1 of 1 finding fixable", 1),
        ((UNFIXABLE, UNFIXABLE), "0 of 2 findings fixable", 1),
        # A suppressed finding is not one of the findings.
        ((UNFIXABLE, SUPPRESSED), "0 of 1 finding fixable", 1),
        ((CLEAN,), "0 of 0 findings fixable", 0),
    ],
    ids=["some", "all", "none", "suppressed-not-counted", "clean"],
)
def test_dry_run_says_how_many_findings_are_fixable(
    tmp_path: Path, monkeypatch, modules: tuple[str, ...], said: str, exit_code: int
) -> None:
    files = project(tmp_path, monkeypatch, *modules)
    result = check("--fix", "--dry-run")
    assert said in result.stderr
    assert result.exit_code == exit_code
    assert unchanged(files)


def test_dry_run_prints_only_the_diff_on_stdout(tmp_path: Path, monkeypatch) -> None:
    project(tmp_path, monkeypatch, FIXABLE, UNFIXABLE)
    result = check("--fix", "--dry-run")
    assert result.stdout.startswith("--- a/api_0.py\n+++ b/api_0.py\n")
    assert "fixable" not in result.stdout
    assert '+    db.delete("calls", {"id": call_id, "clerk_org_id": clerk_org_id})' in result.stdout


def test_dry_run_with_exit_zero_exits_zero(tmp_path: Path, monkeypatch) -> None:
    project(tmp_path, monkeypatch, UNFIXABLE)
    result = check("--fix", "--dry-run", "--exit-zero")
    assert "0 of 1 finding fixable" in result.stderr
    assert result.exit_code == 0


def test_dry_run_without_fix_is_a_usage_error(tmp_path: Path, monkeypatch) -> None:
    files = project(tmp_path, monkeypatch, FIXABLE)
    result = check("--dry-run")
    assert result.exit_code == 2
    assert "--fix --dry-run" in result.stderr
    assert unchanged(files)
