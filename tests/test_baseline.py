"""Adopting the tool on a codebase with known findings: `--write-baseline`, `--baseline`
and `--statistics`, end to end through the CLI."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from orgscope_lint.cli import cli

MIGRATION = "CREATE TABLE calls (id int, clerk_org_id text);\n"
BUG = '    return db.select("calls", {"id": call_id})\n'


def fault(name: str) -> str:
    return f"\n\ndef {name}(db, call_id):\n{BUG}"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'p'\n", encoding="utf-8")
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "001.sql").write_text(MIGRATION, encoding="utf-8")
    (tmp_path / "app.py").write_text(fault("a") + fault("b"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def lint(*args: str) -> Result:
    return CliRunner().invoke(cli, ["check", "--output-format", "text", *args])


def lines_reported(result: Result) -> list[int]:
    return [int(m.group(1)) for m in re.finditer(r"^app\.py:(\d+):\d+: ", result.output, re.M)]


def test_write_baseline_records_findings_and_exits_zero(project: Path) -> None:
    result = lint("--write-baseline", "baseline.json")

    assert result.exit_code == 0, result.output
    document = json.loads((project / "baseline.json").read_text(encoding="utf-8"))
    assert document["version"] == 1
    assert [(f["path"], f["code"], f["line"]) for f in document["findings"]] == [
        ("app.py", "ORG001", 4),
        ("app.py", "ORG001", 8),
    ]
    for record in document["findings"]:
        assert re.fullmatch(r"[0-9a-f]{16}", record["fingerprint"])
        assert "clerk_org_id" in record["message"]


def test_baselined_findings_are_hidden(project: Path) -> None:
    lint("--write-baseline", "baseline.json")

    result = lint("--baseline", "baseline.json")

    assert lines_reported(lint()) == [4, 8]
    assert lines_reported(result) == []
    assert result.exit_code == 0


def test_the_summary_says_how_many_the_baseline_hid(project: Path) -> None:
    lint("--write-baseline", "baseline.json")

    clean = lint("--baseline", "baseline.json")
    (project / "more.py").write_text(fault("c"), encoding="utf-8")
    one_new = lint("--baseline", "baseline.json")

    assert clean.output.strip() == "All checks passed! (2 hidden by the baseline)"
    assert one_new.output.splitlines()[-1] == "Found 1 finding: 1 error (2 hidden by the baseline)."
    assert "hidden" not in lint().output


def test_lines_inserted_above_keep_a_baselined_finding_hidden(project: Path) -> None:
    lint("--write-baseline", "baseline.json")
    source = project / "app.py"
    source.write_text('"""Calls."""\n\nimport logging\n' + source.read_text(), encoding="utf-8")

    result = lint("--baseline", "baseline.json")

    assert lines_reported(lint()) == [7, 11]
    assert lines_reported(result) == []
    assert result.exit_code == 0


def test_changing_the_faulty_call_makes_it_new_again(project: Path) -> None:
    lint("--write-baseline", "baseline.json")
    source = project / "app.py"
    changed = source.read_text().replace(BUG, BUG.replace("call_id}", "int(call_id)}"), 1)
    source.write_text(changed, encoding="utf-8")

    result = lint("--baseline", "baseline.json")

    assert lines_reported(result) == [4]
    assert result.exit_code == 1


def test_identical_faults_are_counted_not_merged(project: Path) -> None:
    source = project / "app.py"
    lint("--write-baseline", "baseline.json")
    fingerprints = {
        f["fingerprint"] for f in json.loads((project / "baseline.json").read_text())["findings"]
    }
    assert len(fingerprints) == 1, "the two faults are meant to be identical"
    source.write_text(source.read_text() + fault("c"), encoding="utf-8")

    result = lint("--baseline", "baseline.json")

    assert len(lines_reported(result)) == 1
    assert result.exit_code == 1


def test_a_baseline_works_from_another_directory(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lint("--write-baseline", "baseline.json")
    (project / "sub").mkdir()
    monkeypatch.chdir(project / "sub")

    result = lint("--baseline", "../baseline.json", "..")

    assert "ORG001" in lint("..").output
    assert "ORG001" not in result.output
    assert result.exit_code == 0


def test_suppressed_findings_are_not_recorded(project: Path) -> None:
    source = project / "app.py"
    suppressed = BUG.rstrip("\n") + "  # orgscope: ignore[ORG001] -- fixture data\n"
    source.write_text(source.read_text().replace(BUG, suppressed, 1), encoding="utf-8")

    lint("--write-baseline", "baseline.json")

    document = json.loads((project / "baseline.json").read_text(encoding="utf-8"))
    assert [f["line"] for f in document["findings"]] == [8]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "baseline file not found"),
        ("not json", "invalid JSON"),
        ('{"version": 99, "findings": []}', "not a version 1 baseline"),
        ('{"version": 1, "findings": [{"path": "app.py"}]}', "needs string `path`"),
    ],
)
def test_a_broken_baseline_is_a_usage_error(project: Path, content: str | None, message: str):
    if content is not None:
        (project / "baseline.json").write_text(content, encoding="utf-8")

    result = lint("--baseline", "baseline.json")

    assert result.exit_code == 2
    assert message in result.output


def test_write_baseline_refuses_diff_mode(project: Path) -> None:
    result = lint("--write-baseline", "baseline.json", "--diff-base", "main")

    assert result.exit_code == 2
    assert not (project / "baseline.json").exists()


def test_in_diff_mode_a_new_copy_of_a_baselined_fault_is_reported(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    source = project / "app.py"
    source.write_text(fault("a"), encoding="utf-8")
    lint("--write-baseline", "baseline.json")
    git = ["git", "-c", "user.name=T", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=project, check=True)
    subprocess.run([*git, "add", "-A"], cwd=project, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "init"], cwd=project, check=True)
    # The new copy comes first in the file, so report order alone would hide it.
    source.write_text(fault("new") + fault("a"), encoding="utf-8")

    result = lint("--baseline", "baseline.json", "--diff-base", "main")

    assert lines_reported(result) == [4], result.output
    assert result.exit_code == 1
    # The baselined copy lies outside the change: the diff hides it, not the baseline.
    assert "hidden by the baseline" not in result.output


def test_statistics_count_findings_per_rule(project: Path) -> None:
    # Calls are listed by organization somewhere, so a call written without one is lost.
    insert = (
        '\n\ndef add(db):\n    return db.insert("calls", {"id": 1})\n'
        '\n\ndef listed(db, org):\n    return db.select("calls", {"clerk_org_id": org})\n'
    )
    (project / "more.py").write_text(insert + fault("c"), encoding="utf-8")

    result = lint("--statistics")
    # The closing line is the text report's own summary, whatever its wording.
    summary_line = lint().output.splitlines()[-1]

    lines = result.output.splitlines()
    assert lines[:2] == [
        "   3  ORG001  missing-tenant-filter",
        "   1  ORG003  insert-without-tenant",
    ]
    assert lines[2:] == [summary_line] and summary_line.startswith("Found 4 ")
    assert result.exit_code == 1


def test_statistics_count_what_the_baseline_leaves(project: Path) -> None:
    lint("--write-baseline", "baseline.json")
    (project / "more.py").write_text(fault("c"), encoding="utf-8")

    result = lint("--statistics", "--baseline", "baseline.json")

    assert result.output.splitlines()[0] == "   1  ORG001  missing-tenant-filter"
