"""`check --diff-base REF` against real git repositories: only what the change introduced.

Each test builds a small repository (a migration that makes `calls` a tenant table, a
module with one ORG001 on a committed line), changes it the way a branch would, and
runs the CLI in it.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from orgscope_lint.cli import cli

MIGRATION = "CREATE TABLE calls (id int, clerk_org_id text);\nCREATE TABLE plans (id int);\n"
BUG = '    return db.select("calls", {"id": call_id})\n'
OLD = f"def old(db, call_id):\n{BUG}"  # ORG001 on line 2
NEW = f"\n\ndef new(db, call_id):\n{BUG}"  # appended to OLD: ORG001 on line 6


@pytest.fixture(autouse=True)
def _hermetic_git(monkeypatch: pytest.MonkeyPatch) -> None:
    # The user's own git configuration (signing, hooks, diff drivers) must not leak in.
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{role}_NAME", "Test")
        monkeypatch.setenv(f"GIT_{role}_EMAIL", "test@example.com")


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return done.stdout


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`main` with app.py (one ORG001 on line 2), checked out on branch `feature`."""
    root = tmp_path / "repo"
    (root / "migrations").mkdir(parents=True)
    (root / "migrations" / "001.sql").write_text(MIGRATION, encoding="utf-8")
    (root / "app.py").write_text(OLD, encoding="utf-8")
    git(root, "init", "-q", "-b", "main")
    commit(root, "initial")
    git(root, "checkout", "-q", "-b", "feature")
    monkeypatch.chdir(root)
    return root


def commit(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def lint(*args: str) -> Result:
    return CliRunner().invoke(cli, ["check", "--output-format", "text", *args])


def reported(result: Result) -> list[str]:
    """`path:line CODE` of each finding line of the text output."""
    found = []
    for line in result.output.splitlines():
        parts = line.split(": ", 2)
        if len(parts) >= 2 and parts[1].startswith("ORG"):
            path, number = parts[0].rsplit(":", 2)[:2]
            found.append(f"{path}:{number} {parts[1].split()[0]}")
    return found


def test_new_finding_on_a_changed_line_is_reported_the_old_one_hidden(repo: Path) -> None:
    (repo / "app.py").write_text(OLD + NEW, encoding="utf-8")

    assert reported(lint()) == ["app.py:2 ORG001", "app.py:6 ORG001"]
    result = lint("--diff-base", "main")

    assert reported(result) == ["app.py:6 ORG001"], result.output
    assert result.exit_code == 1


def test_an_untouched_file_reports_nothing(repo: Path) -> None:
    (repo / "notes.py").write_text("x = 1\n", encoding="utf-8")
    commit(repo, "unrelated")

    result = lint("--diff-base", "main")

    assert reported(result) == [], result.output
    assert result.exit_code == 0


def test_committed_staged_and_unstaged_changes_all_count(repo: Path) -> None:
    (repo / "app.py").write_text(OLD + NEW, encoding="utf-8")
    commit(repo, "committed on the branch")
    (repo / "staged.py").write_text(f"def s(db, call_id):\n{BUG}", encoding="utf-8")
    git(repo, "add", "staged.py")
    (repo / "app.py").write_text(OLD + NEW + NEW.replace("new", "newer"), encoding="utf-8")

    result = lint("--diff-base", "main")

    assert reported(result) == ["app.py:6 ORG001", "app.py:10 ORG001", "staged.py:2 ORG001"]


def test_the_merge_base_is_the_reference_not_the_tip_of_ref(repo: Path) -> None:
    # main moves on after the branch point, editing the faulty line itself; compared
    # with main's tip the branch would seem to have changed that line back.
    git(repo, "checkout", "-q", "main")
    (repo / "app.py").write_text(OLD.replace("call_id})", "call_id} )"), encoding="utf-8")
    commit(repo, "main moves on")
    git(repo, "checkout", "-q", "feature")

    result = lint("--diff-base", "main")

    assert reported(result) == [], result.output
    assert result.exit_code == 0


def test_a_pure_rename_reports_nothing(repo: Path) -> None:
    git(repo, "mv", "app.py", "renamed.py")
    commit(repo, "rename")

    result = lint("--diff-base", "main")

    assert reported(lint()) == ["renamed.py:2 ORG001"]
    assert reported(result) == [], result.output
    assert result.exit_code == 0


def test_a_moved_and_edited_file_reports_only_its_edited_lines(repo: Path) -> None:
    # git follows a move when most of the file stays: give it a body to recognise.
    body = "".join(f"\n\ndef helper_{n}(x):\n    return x + {n}\n" for n in range(8))
    (repo / "app.py").write_text(OLD + body, encoding="utf-8")
    commit(repo, "helpers")
    git(repo, "branch", "-f", "main")
    (repo / "pkg").mkdir()
    git(repo, "mv", "app.py", "pkg/calls.py")
    (repo / "pkg" / "calls.py").write_text(OLD + NEW + body, encoding="utf-8")

    result = lint("--diff-base", "main")

    assert "rename" in git(repo, "diff", "-M", "--summary", "main", "--")
    assert reported(result) == ["pkg/calls.py:6 ORG001"], result.output


def test_an_untracked_file_counts_as_a_whole(repo: Path) -> None:
    (repo / "fresh.py").write_text(OLD + NEW, encoding="utf-8")

    result = lint("--diff-base", "main")

    assert reported(result) == ["fresh.py:2 ORG001", "fresh.py:6 ORG001"], result.output


def test_an_ignored_untracked_file_is_not_part_of_the_change(repo: Path) -> None:
    (repo / ".gitignore").write_text("scratch/\n", encoding="utf-8")
    (repo / "scratch").mkdir()
    (repo / "scratch" / "try.py").write_text(OLD, encoding="utf-8")

    result = lint("--diff-base", "main", "--no-respect-gitignore")

    assert reported(lint("--no-respect-gitignore")) == [
        "app.py:2 ORG001",
        "scratch/try.py:2 ORG001",
    ]
    assert reported(result) == [], result.output


def test_deleting_the_tenant_key_inside_a_call_reports_that_call(repo: Path) -> None:
    scoped = (
        "def scoped(db, call_id, org_id):\n"
        '    return db.select(\n        "calls",\n'
        '        {\n            "id": call_id,\n            "clerk_org_id": org_id,\n        },\n'
        "    )\n"
    )
    (repo / "scoped.py").write_text(scoped, encoding="utf-8")
    commit(repo, "a scoped query")
    git(repo, "branch", "-f", "main")
    # Only the key's line goes: the call's first line, where the finding is, stays as is.
    (repo / "scoped.py").write_text(
        scoped.replace('            "clerk_org_id": org_id,\n', ""), encoding="utf-8"
    )

    result = lint("--diff-base", "main")

    assert git(repo, "diff", "--numstat", "main", "--").split()[:2] == ["0", "1"]
    assert reported(result) == ["scoped.py:2 ORG001"], result.output


def test_file_names_git_quotes_are_matched(repo: Path) -> None:
    name = 'odd name "é".py'
    (repo / name).write_text(OLD, encoding="utf-8")
    commit(repo, "odd name")
    git(repo, "branch", "-f", "main")
    (repo / name).write_text(OLD + NEW, encoding="utf-8")

    result = lint("--diff-base", "main")

    assert reported(result) == [f"{name}:6 ORG001"], result.output


def test_runs_from_a_subdirectory_and_keeps_paths_relative_to_it(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (repo / "pkg").mkdir()
    (repo / "pkg" / "mod.py").write_text(OLD, encoding="utf-8")
    commit(repo, "pkg")
    git(repo, "branch", "-f", "main")
    (repo / "pkg" / "mod.py").write_text(OLD + NEW, encoding="utf-8")
    monkeypatch.chdir(repo / "pkg")

    result = lint("--diff-base", "main")

    assert reported(result) == ["mod.py:6 ORG001"], result.output


def test_an_unknown_ref_is_a_usage_error(repo: Path) -> None:
    result = lint("--diff-base", "no-such-branch")

    assert result.exit_code == 2
    assert "unknown git revision `no-such-branch`" in result.output


def test_a_ref_that_looks_like_an_option_is_refused(repo: Path) -> None:
    result = lint("--diff-base=--output=x")

    assert result.exit_code == 2
    assert "unknown git revision" in result.output
    assert not (repo / "x").exists()


def test_outside_a_git_work_tree_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "app.py").write_text(OLD, encoding="utf-8")
    monkeypatch.chdir(plain)
    # Whatever encloses the temporary directory must not pass for this project's repository.
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))

    result = lint("--diff-base", "main")

    assert result.exit_code == 2
    assert "needs a git work tree" in result.output
    assert "ORG001" not in result.output


def test_sarif_in_diff_mode_holds_only_the_new_finding(repo: Path) -> None:
    import json

    (repo / "app.py").write_text(OLD + NEW, encoding="utf-8")

    result = lint("--diff-base", "main", "--output-format", "sarif", "-o", "out.sarif")

    assert result.exit_code == 1
    sarif = json.loads((repo / "out.sarif").read_text(encoding="utf-8"))
    lines = [
        r["locations"][0]["physicalLocation"]["region"]["startLine"]
        for r in sarif["runs"][0]["results"]
    ]
    assert lines == [6]


def test_a_branch_without_commits_is_a_usage_error(repo: Path) -> None:
    git(repo, "checkout", "-q", "--orphan", "empty")

    result = lint("--diff-base", "main")

    assert result.exit_code == 2
    assert "HEAD has no commit yet" in result.output


def test_unrelated_histories_are_a_usage_error(repo: Path) -> None:
    git(repo, "checkout", "-q", "--orphan", "other")
    commit(repo, "unrelated")

    result = lint("--diff-base", "main")

    assert result.exit_code == 2
    assert "`main` and HEAD have no common ancestor" in result.output
