"""examples/github-actions.yml: valid for GitHub, and its commands do what it promises.

The schema check uses the GitHub workflow schema that check-jsonschema ships (no network).
The behaviour check plays the pull request out locally: a repository with `origin/main`,
a branch that adds one bug next to an old one, and the workflow's own `run:` scripts
executed with bash the way a runner would, `BASE_REF` set as the job's `env` says.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

WORKFLOW = Path(__file__).resolve().parents[1] / "examples" / "github-actions.yml"
BUG = '    return db.select("calls", {"id": call_id})\n'
OLD = f"def old(db, call_id):\n{BUG}"  # ORG001 on line 2
NEW = f"\n\ndef new(db, call_id):\n{BUG}"  # ORG001 on line 6 once appended


def load() -> dict[Any, Any]:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def steps() -> list[dict[str, Any]]:
    (job,) = load()["jobs"].values()
    return job["steps"]


def step_using(action: str) -> dict[str, Any]:
    (found,) = [s for s in steps() if s.get("uses", "").split("@")[0] == action]
    return found


def lint_steps() -> list[dict[str, Any]]:
    return [s for s in steps() if "orgscope-lint check" in s.get("run", "")]


def test_the_workflow_is_valid_against_githubs_schema() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.github-workflows",
            str(WORKFLOW),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_it_runs_on_pull_requests_with_the_whole_history() -> None:
    workflow = load()
    # YAML 1.1 reads a bare `on` key as true.
    triggers = workflow.get("on", workflow.get(True))
    assert "pull_request" in triggers
    assert step_using("actions/checkout")["with"]["fetch-depth"] == 0


def test_the_sarif_it_writes_is_uploaded_even_when_the_check_fails() -> None:
    (sarif_step,) = [s for s in lint_steps() if "--output-format sarif" in s["run"]]
    written = re.search(r"-o (\S+)", sarif_step["run"]).group(1)
    upload = step_using("github/codeql-action/upload-sarif")
    assert upload["with"]["sarif_file"] == written
    assert "always()" in upload["if"]
    assert load()["permissions"]["security-events"] == "write"


def test_no_expression_is_spliced_into_a_script() -> None:
    # `${{ github.base_ref }}` inside `run:` would be shell code chosen by whoever names
    # the branch; the job hands it over in the environment instead.
    for step in steps():
        assert "${{" not in step.get("run", ""), step


@pytest.fixture
def pull_request(tmp_path: Path) -> Path:
    """A clone whose `origin/main` holds OLD and whose branch adds NEW."""
    env = _git_env()
    origin, clone = tmp_path / "origin.git", tmp_path / "work"
    seed = tmp_path / "seed"
    seed.mkdir()
    (seed / "migrations").mkdir()
    (seed / "migrations" / "001.sql").write_text(
        "CREATE TABLE calls (id int, clerk_org_id text);\n", encoding="utf-8"
    )
    (seed / "app.py").write_text(OLD, encoding="utf-8")
    for args, cwd in [
        (["init", "-q", "-b", "main"], seed),
        (["add", "-A"], seed),
        (["commit", "-q", "-m", "main"], seed),
        (["clone", "-q", "--bare", str(seed), str(origin)], tmp_path),
        (["clone", "-q", str(origin), str(clone)], tmp_path),
        (["checkout", "-q", "-b", "feature"], clone),
    ]:
        subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)
    (clone / "app.py").write_text(OLD + NEW, encoding="utf-8")
    return clone


def _git_env() -> dict[str, str]:
    env = dict(os.environ, GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1")
    for role in ("AUTHOR", "COMMITTER"):
        env[f"GIT_{role}_NAME"] = "Test"
        env[f"GIT_{role}_EMAIL"] = "test@example.com"
    return env


def run_step(step: dict[str, Any], cwd: Path) -> subprocess.CompletedProcess[str]:
    """A `run:` step as the runner executes it, with the job's env and base_ref `main`."""
    (job,) = load()["jobs"].values()
    env = _git_env()
    for name, value in {**job.get("env", {}), **step.get("env", {})}.items():
        env[name] = str(value).replace("${{ github.base_ref }}", "main")
        assert "${{" not in env[name], f"{name}: an expression this test does not model"
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
    )


def test_the_check_fails_on_the_new_finding_and_reports_only_it(pull_request: Path) -> None:
    (check, annotate) = lint_steps()

    checked = run_step(check, pull_request)
    annotated = run_step(annotate, pull_request)

    assert checked.returncode == 1, checked.stdout + checked.stderr
    sarif = json.loads((pull_request / "orgscope.sarif").read_text(encoding="utf-8"))
    results = sarif["runs"][0]["results"]
    assert [r["ruleId"] for r in results] == ["ORG001"]
    assert results[0]["locations"][0]["physicalLocation"]["region"]["startLine"] == 6
    assert annotated.returncode == 0, annotated.stderr
    assert annotated.stdout.startswith("::error file=app.py,line=6,")
    assert annotated.stdout.count("::error") == 1


def test_the_check_passes_when_the_branch_adds_no_finding(pull_request: Path) -> None:
    (pull_request / "app.py").write_text(OLD + "\n\nLIMIT = 10\n", encoding="utf-8")
    (check, _) = lint_steps()

    checked = run_step(check, pull_request)

    assert checked.returncode == 0, checked.stdout + checked.stderr
    sarif = json.loads((pull_request / "orgscope.sarif").read_text(encoding="utf-8"))
    assert sarif["runs"][0]["results"] == []
