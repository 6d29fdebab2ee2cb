"""Every install path the README and `examples/` give works from this repository as it
is, offline: pip from git at a commit and from a clone, the pre-commit hook pinned to a
commit, and the local pre-commit hook.

The git forms name `OWNER` and `COMMIT`; here the repository is this checkout (a
`file://` URL or its path) and the commit its HEAD, so what is tested is the committed
state, as a user pinning a commit would get it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import venv
from pathlib import Path
from typing import Any

import pytest
import yaml

from orgscope_lint import __version__

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
WORKFLOW = REPO / "examples" / "github-actions.yml"
LOCAL_HOOK = REPO / "examples" / "pre-commit-local.yaml"
GIT_URL = "https://github.com/OWNER/orgscope-lint"
MIGRATION = "CREATE TABLE calls (id int, clerk_org_id text);\n"
BUGGY = 'def get(db, call_id):\n    return db.select("calls", {"id": call_id})\n'


def _git_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("GIT_DIR", "GIT_INDEX_FILE")}
    env.update(GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1")
    for role in ("AUTHOR", "COMMITTER"):
        env[f"GIT_{role}_NAME"] = "Test"
        env[f"GIT_{role}_EMAIL"] = "test@example.com"
    return env


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None, **kw: Any):
    return subprocess.run(
        args,
        cwd=cwd,
        env=env or _git_env(),
        capture_output=True,
        text=True,
        timeout=600,  # a guard against a hung install, not a performance assertion
        **kw,
    )


@pytest.fixture(scope="module")
def head() -> str:
    done = run(["git", "rev-parse", "HEAD"], REPO)
    if done.returncode != 0:
        pytest.skip("the install paths are tried from this repository's git checkout")
    return done.stdout.strip()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A scratch git repository with a tenant table and one staged bug."""
    root = tmp_path / "project"
    (root / "migrations").mkdir(parents=True)
    (root / "migrations" / "001.sql").write_text(MIGRATION, encoding="utf-8")
    (root / "app.py").write_text(BUGGY, encoding="utf-8")
    run(["git", "init", "-q"], root, check=True)
    run(["git", "add", "-A"], root, check=True)
    return root


def readme_block(language: str, containing: str) -> str:
    blocks = re.findall(rf"```{language}\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    (found,) = [block for block in blocks if containing in block]
    return found


def pre_commit(project: Path, *args: str, path: str | None = None):
    env = _git_env()
    env["PRE_COMMIT_HOME"] = str(project.parent / "pre-commit-home")
    env.pop("PRE_COMMIT", None)
    if path is not None:
        env["PATH"] = path
    return run([sys.executable, "-m", "pre_commit", *args], project, env)


# ------------------------------------------------------------------------------ pip


def test_the_readme_and_the_workflow_install_the_same_requirement() -> None:
    (job,) = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))["jobs"].values()
    spec = job["env"]["ORGSCOPE_LINT"]
    (install,) = [s for s in job["steps"] if "pip install" in s.get("run", "")]
    readme = re.search(r'pip install "(orgscope-lint @ git\+\S+)"', readme_block("bash", "@"))

    assert spec == f"git+{GIT_URL}@COMMIT"
    assert install["run"] == 'python -m pip install "orgscope-lint @ $ORGSCOPE_LINT"'
    assert readme is not None and readme.group(1) == f"orgscope-lint @ {spec}"


@pytest.mark.slow
def test_pip_installs_from_git_at_a_commit_and_from_a_clone(
    tmp_path: Path, project: Path, head: str
) -> None:
    environment = tmp_path / "venv"
    venv.create(environment, with_pip=True)
    bin_dir = environment / ("Scripts" if os.name == "nt" else "bin")
    env = _git_env()
    env["PATH"] = os.pathsep.join([str(bin_dir), env.get("PATH", "")])
    env.pop("PYTHONPATH", None)
    (job,) = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))["jobs"].values()
    (install,) = [s for s in job["steps"] if "pip install" in s.get("run", "")]
    # The workflow's own install step, its repository and commit replaced by this one's
    # (`file://localhost/...`: older pips refuse a file URL with an empty host).
    env["ORGSCOPE_LINT"] = job["env"]["ORGSCOPE_LINT"].replace(
        f"{GIT_URL}@COMMIT", f"file://localhost{REPO.as_posix()}@{head}"
    )

    from_git = run(["bash", "-eo", "pipefail", "-c", install["run"]], tmp_path, env)
    version = run(["orgscope-lint", "--version"], tmp_path, env)
    checked = run(["orgscope-lint", "check", "."], project, env)
    # The README's clone route, in a clone: building in this checkout would leave build/.
    run(["git", "clone", "-q", str(REPO), "orgscope-lint"], tmp_path, check=True)
    from_clone = run(["python", "-m", "pip", "install", "./orgscope-lint"], tmp_path, env)
    again = run(["orgscope-lint", "check", "."], project, env)

    assert from_git.returncode == 0, from_git.stdout + from_git.stderr
    assert version.stdout.strip().endswith(__version__)
    assert checked.returncode == 1 and "app.py:2:12: ORG001" in checked.stdout, checked
    assert from_clone.returncode == 0, from_clone.stdout + from_clone.stderr
    assert again.returncode == 1 and "app.py:2:12: ORG001" in again.stdout, again


# ------------------------------------------------------------------------ pre-commit


@pytest.mark.slow
def test_the_readme_hook_pinned_by_autoupdate_runs(project: Path, head: str) -> None:
    config = readme_block("yaml", "id: orgscope-lint").replace(GIT_URL, str(REPO))
    (project / ".pre-commit-config.yaml").write_text(config, encoding="utf-8")

    pinned = pre_commit(project, "autoupdate", "--bleeding-edge", "--freeze")
    hooked = pre_commit(project, "run", "--files", "app.py")

    assert pinned.returncode == 0, pinned.stdout + pinned.stderr
    written = yaml.safe_load((project / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    assert written["repos"][0]["rev"] == head
    assert hooked.returncode == 1, hooked.stdout + hooked.stderr
    assert "app.py:2:12: ORG001" in hooked.stdout


def test_the_local_hook_runs_the_installed_orgscope_lint(project: Path) -> None:
    (project / ".pre-commit-config.yaml").write_text(
        LOCAL_HOOK.read_text(encoding="utf-8"), encoding="utf-8"
    )
    # The environment you commit from: the one running these tests has orgscope-lint.
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])

    failed = pre_commit(project, "run", "--files", "app.py", path=path)
    (project / "app.py").write_text("LIMIT = 10\n", encoding="utf-8")
    passed = pre_commit(project, "run", "--files", "app.py", path=path)

    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "app.py:2:12: ORG001" in failed.stdout
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout
