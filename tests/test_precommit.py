"""The pre-commit hook, for real: `pre-commit try-repo <this repository>` in a scratch repo.

try-repo installs this repository into a fresh environment (from its committed HEAD plus
any staged or modified tracked files) and runs the hook in `.pre-commit-hooks.yaml`, so
these tests fail if the manifest, the entry point or `--force-exclude` break. Each run
installs the package and its dependencies from the package index.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
MIGRATION = (
    "CREATE TABLE calls (id int, clerk_org_id text);\n"
    "CREATE TABLE plans (id int, name text);\n"  # no tenant column: shared by every tenant
)
BUGGY = 'def get(db, call_id):\n    return db.select("calls", {"id": call_id})\n'
CLEAN = (
    "def get(db, call_id, org_id):\n"
    '    return db.select("calls", {"id": call_id, "clerk_org_id": org_id})\n'
    "\n\n"
    "def plans(db):\n"
    '    return db.select("plans", {})\n'
)

pytestmark = pytest.mark.slow


def _git_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("GIT_DIR", "GIT_INDEX_FILE")}
    for role in ("AUTHOR", "COMMITTER"):
        env[f"GIT_{role}_NAME"] = "Test"
        env[f"GIT_{role}_EMAIL"] = "test@example.com"
    return env


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "commit.gpgsign=false", *args],
        cwd=cwd,
        env=_git_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


@pytest.fixture(scope="module", autouse=True)
def _this_repository_is_a_git_checkout() -> None:
    try:
        top = git(REPO, "rev-parse", "--show-toplevel").strip()
    except (subprocess.CalledProcessError, FileNotFoundError):
        pytest.skip("the hook is tried from this repository's git checkout; there is none")
    assert Path(top).resolve() == REPO, "tests/ must sit at the top of the repository"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A scratch repository with a migration that makes `calls` a tenant table."""
    root = tmp_path / "project"
    (root / "migrations").mkdir(parents=True)
    (root / "migrations" / "001.sql").write_text(MIGRATION, encoding="utf-8")
    git(root, "init", "-q")
    return root


def try_repo(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = _git_env()
    # Keep pre-commit's own log and caches out of the user's home.
    env["PRE_COMMIT_HOME"] = str(project.parent / "pre-commit-home")
    env.pop("PRE_COMMIT", None)
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(REPO), "orgscope-lint", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,  # a guard against a hung install, not a performance assertion
    )


def test_a_staged_file_with_a_bug_fails_the_hook(project: Path) -> None:
    (project / "app.py").write_text(BUGGY, encoding="utf-8")
    git(project, "add", "app.py", "migrations/001.sql")

    done = try_repo(project)

    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "app.py:2:12: ORG001" in output
    assert "orgscope-lint" in output and "Failed" in output


def test_only_the_named_files_are_reported_with_the_whole_projects_schema(
    project: Path,
) -> None:
    # Committed and buggy, but not among the files the hook gets: not reported.
    (project / "legacy.py").write_text(BUGGY, encoding="utf-8")
    # Excluded by configuration: dropped even though named, thanks to --force-exclude.
    (project / "generated").mkdir()
    (project / "generated" / "client.py").write_text(BUGGY, encoding="utf-8")
    (project / "pyproject.toml").write_text(
        '[tool.orgscope-lint]\nexclude = ["generated/"]\n', encoding="utf-8"
    )
    # Queries `plans` with no filter: clean only if the migration said it is no tenant
    # table, which the hook learns from a file it was not given.
    (project / "clean.py").write_text(CLEAN, encoding="utf-8")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "project")

    done = try_repo(project, "--files", "clean.py", "generated/client.py")

    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "orgscope-lint" in output and "Passed" in output
    assert "ORG0" not in output
