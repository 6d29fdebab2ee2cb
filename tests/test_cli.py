"""The command line's contract: exit codes, rule selection, quiet and verbose output, the
JSON document, display paths, and the `rule` command."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import CliResult, run_cli

from orgscope_lint import __version__
from orgscope_lint.rules import ALL_RULES

MIGRATION = (
    "create table calls (id uuid primary key, clerk_org_id text not null);\n"
    "create table voices (id uuid primary key, organization_id text);\n"
    "create table plans (id uuid primary key, name text);\n"
)

# One finding each of ORG001, ORG004, ORG006 and ORG010, on lines 2, 3, 4 and 5.
API = """\
def handler(db, call_id, voice_id):
    db.delete("calls", {"id": call_id})
    db.get_voice(voice_id)
    log(org_id)
    db.select("calls", {"id": call_id, "client_id": voice_id})
    db.select("plans", {"id": call_id})
"""
ALL_FOUND = [
    ("app/api.py", 2, "ORG001"),
    ("app/api.py", 3, "ORG004"),
    ("app/api.py", 4, "ORG006"),
    ("app/api.py", 5, "ORG010"),
]

CLEAN = """\
def handler(db, org, call_id):
    return db.select("calls", {"id": call_id, "clerk_org_id": org})
"""

HEADER = re.compile(r"^[\w./-]+:\d+:\d+: ORG\d{3} .+$")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project root (pyproject.toml without our section) with a migration and app code."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "demo"\n', encoding="utf-8")
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "001_init.sql").write_text(MIGRATION, encoding="utf-8")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "api.py").write_text(API, encoding="utf-8")
    return tmp_path


def check(cwd: Path, *args: str) -> CliResult:
    result = run_cli(["check", *args], cwd=cwd)
    assert "Traceback" not in result.stdout + result.stderr
    return result


def found(result: CliResult) -> list[tuple[str, int, str]]:
    document = json.loads(result.stdout)
    return [(f["path"], f["line"], f["code"]) for f in document["findings"]]


# ------------------------------------------------------------------------ exit codes


def test_exit_1_on_findings(project: Path) -> None:
    result = check(project, "app", "--output-format", "json")
    assert result.exit_code == 1
    assert found(result) == ALL_FOUND


def test_exit_0_when_clean(project: Path) -> None:
    (project / "app" / "api.py").write_text(CLEAN, encoding="utf-8")
    result = check(project, "app")
    assert result.exit_code == 0
    assert "All checks passed!" in result.stdout


def test_exit_zero_flag(project: Path) -> None:
    result = check(project, "app", "--exit-zero", "--output-format", "json")
    assert result.exit_code == 0
    assert found(result) == ALL_FOUND


@pytest.mark.parametrize(
    "args",
    [
        ["--no-such-option"],
        ["--output-format", "yaml"],
        ["--config", "missing.toml"],
    ],
    ids=["unknown-option", "unknown-format", "missing-config"],
)
def test_exit_2_on_usage_errors(project: Path, args: list[str]) -> None:
    result = check(project, "app", *args)
    assert result.exit_code == 2
    assert result.stderr


def test_exit_2_on_config_error_even_with_exit_zero(project: Path) -> None:
    (project / "orgscope.toml").write_text("tenant-key = 3\n", encoding="utf-8")
    result = check(project, "app", "--exit-zero")
    assert result.exit_code == 2


def test_default_path_is_the_current_directory(project: Path) -> None:
    result = check(project, "--output-format", "json")
    assert result.exit_code == 1
    assert found(result) == ALL_FOUND


# ------------------------------------------------------------------------ selection

SELECTIONS: dict[str, tuple[list[str], list[str]]] = {
    "select-one": (["--select", "ORG001"], ["ORG001"]),
    "select-prefix": (["--select", "ORG00"], ["ORG001", "ORG004", "ORG006"]),
    "select-comma": (["--select", "ORG001,ORG010"], ["ORG001", "ORG010"]),
    "select-comma-spaces": (["--select", "ORG001, ORG004"], ["ORG001", "ORG004"]),
    "select-repeated": (["--select", "ORG004", "--select", "ORG006"], ["ORG004", "ORG006"]),
    "select-lowercase": (["--select", "org010"], ["ORG010"]),
    "select-everything": (["--select", "ORG"], ["ORG001", "ORG004", "ORG006", "ORG010"]),
    "ignore-one": (["--ignore", "ORG006"], ["ORG001", "ORG004", "ORG010"]),
    "ignore-prefix": (["--ignore", "ORG00"], ["ORG010"]),
    "ignore-comma": (["--ignore", "ORG001,ORG004"], ["ORG006", "ORG010"]),
    "select-prefix-ignore-one": (
        ["--select", "ORG0", "--ignore", "ORG004"],
        ["ORG001", "ORG006", "ORG010"],
    ),
    "select-and-ignore-the-same": (["--select", "ORG001", "--ignore", "ORG001"], []),
}


@pytest.mark.parametrize(("args", "codes"), SELECTIONS.values(), ids=SELECTIONS.keys())
def test_select_and_ignore(project: Path, args: list[str], codes: list[str]) -> None:
    result = check(project, "app", "--output-format", "json", *args)
    assert [code for _, _, code in found(result)] == codes
    assert result.exit_code == (1 if codes else 0)


def test_select_from_configuration_and_command_line(project: Path) -> None:
    (project / "pyproject.toml").write_text(
        '[tool.orgscope-lint]\nselect = ["ORG001", "ORG004"]\nignore = ["ORG004"]\n',
        encoding="utf-8",
    )
    from_config = check(project, "app", "--output-format", "json")
    assert [code for _, _, code in found(from_config)] == ["ORG001"]
    # --select replaces the configured selection; ignores add up.
    overridden = check(project, "app", "--output-format", "json", "--select", "ORG004,ORG006")
    assert [code for _, _, code in found(overridden)] == ["ORG006"]


# ------------------------------------------------------------------------ output


def test_text_output(project: Path) -> None:
    result = check(project, "app")
    lines = result.stdout.splitlines()
    assert lines[0].startswith("app/api.py:2:5: ORG001 `db.delete` on tenant table `calls`")
    assert [line for line in lines if HEADER.match(line)] == lines[:4]
    assert lines[-1].startswith("Found 4 ")


def test_quiet_prints_findings_only(project: Path) -> None:
    result = check(project, "app", "--quiet")
    lines = result.stdout.splitlines()
    assert len(lines) == 4
    assert all(HEADER.match(line) for line in lines), lines
    assert result.stderr == ""


def test_quiet_prints_nothing_when_clean(project: Path) -> None:
    (project / "app" / "api.py").write_text(CLEAN, encoding="utf-8")
    result = check(project, "app", "-q")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")


def test_verbose_prints_the_tenant_model_on_stderr(project: Path) -> None:
    result = check(project, "app", "--verbose", "--output-format", "json")
    assert found(result) == ALL_FOUND  # stdout is still the JSON document alone
    err = result.stderr
    assert "tenant key: clerk_org_id" in err
    tables = {
        match.group(1): (match.group(2), match.group(3))
        for match in re.finditer(r"^\s+(\w+): (\w+)\s+\((.+)\)$", err, re.M)
    }
    assert tables["calls"][0] == "clerk_org_id"
    assert tables["voices"][0] == "organization_id"
    assert "plans" not in tables
    assert all(source.endswith("001_init.sql") for _, source in tables.values())


def test_verbose_says_when_every_table_is_assumed(tmp_path: Path) -> None:
    (tmp_path / "api.py").write_text(API, encoding="utf-8")
    result = check(tmp_path, "api.py", "-v", "-q")
    assert "every table is treated as a tenant table" in result.stderr
    assert "tenant key: clerk_org_id" in result.stderr
    assert "tenant key" not in result.stdout


CONTRACT_FINDING_KEYS = [
    "path",
    "line",
    "column",
    "end_line",
    "end_column",
    "code",
    "name",
    "severity",
    "message",
    "table",
    "operation",
    "fingerprint",
    "fix",
    "related",
]


def test_json_document_has_exactly_the_contract_keys(project: Path) -> None:
    result = check(project, "app", "--output-format", "json")
    document = json.loads(result.stdout)
    assert sorted(document) == ["findings", "summary", "version"]
    assert document["version"] == 1
    assert isinstance(document["summary"], dict)
    assert document["findings"]
    for entry in document["findings"]:
        assert sorted(entry) == sorted(CONTRACT_FINDING_KEYS)
    first = document["findings"][0]
    assert first["path"] == "app/api.py"
    assert (first["line"], first["column"], first["end_line"]) == (2, 5, 2)
    assert first["end_column"] == len('    db.delete("calls", {"id": call_id})') + 1
    assert (first["code"], first["name"], first["severity"]) == (
        "ORG001",
        "missing-tenant-filter",
        "error",
    )
    assert (first["table"], first["operation"]) == ("calls", "delete")
    assert re.fullmatch(r"[0-9a-f]{16}", first["fingerprint"])


def test_json_output_file_and_text_on_the_terminal(project: Path) -> None:
    result = check(project, "app", "--output-format", "json", "-o", "report.json")
    assert result.exit_code == 1
    document = json.loads((project / "report.json").read_text(encoding="utf-8"))
    assert [f["code"] for f in document["findings"]] == ["ORG001", "ORG004", "ORG006", "ORG010"]
    assert "app/api.py:2:5: ORG001" in result.stdout


@pytest.mark.parametrize("command", ["check", "audit"])
def test_both_commands_take_both_format_spellings(project: Path, command: str) -> None:
    outputs = [
        run_cli([command, "app", option, "json"], cwd=project)
        for option in ("--format", "--output-format")
    ]

    documents = [json.loads(result.stdout) for result in outputs]
    assert documents[0] == documents[1]
    assert documents[0]["version"] == 1


# ------------------------------------------------------------------------ display paths


def test_paths_are_relative_to_the_working_directory(project: Path) -> None:
    from_root = check(project, str(project / "app" / "api.py"), "--output-format", "json")
    assert [path for path, _, _ in found(from_root)] == ["app/api.py"] * 4
    from_app = check(project / "app", ".", "--output-format", "json")
    assert [path for path, _, _ in found(from_app)] == ["api.py"] * 4
    nested = project / "app" / "v1"
    nested.mkdir()
    (project / "app" / "api.py").rename(nested / "api.py")
    from_root_again = check(project, "app", "--output-format", "json")
    assert [path for path, _, _ in found(from_root_again)] == ["app/v1/api.py"] * 4


def test_same_findings_whatever_the_working_directory(project: Path) -> None:
    elsewhere = project / "docs"
    elsewhere.mkdir()
    result = check(elsewhere, "../app", "--output-format", "json")
    document = json.loads(result.stdout)
    assert [f["code"] for f in document["findings"]] == ["ORG001", "ORG004", "ORG006", "ORG010"]


# ------------------------------------------------------------------------ rule command


def test_rule_lists_every_rule(tmp_path: Path) -> None:
    result = run_cli(["rule"], cwd=tmp_path)
    assert result.exit_code == 0
    for rule in ALL_RULES:
        assert re.search(rf"\b{rule.code}\b\s+{re.escape(rule.name)}\b", result.stdout), rule.code


@pytest.mark.parametrize("code", ["ORG001", "org001"])
def test_rule_prints_its_documentation(tmp_path: Path, code: str) -> None:
    result = run_cli(["rule", code], cwd=tmp_path)
    assert result.exit_code == 0
    text = result.stdout
    assert text.startswith("# missing-tenant-filter (ORG001)")
    for section in ("## What it does", "## Why is this bad?", "## Example", "## Use instead"):
        assert section in text
    assert text.index("## What it does") < text.index("## Why is this bad?")


@pytest.mark.parametrize("rule", ALL_RULES, ids=[rule.code for rule in ALL_RULES])
def test_every_rule_has_a_page(tmp_path: Path, rule: type) -> None:
    result = run_cli(["rule", rule.code], cwd=tmp_path)
    assert result.exit_code == 0
    assert f"({rule.code})" in result.stdout.splitlines()[0]
    assert "## What it does" in result.stdout


def test_unknown_rule_exits_2(tmp_path: Path) -> None:
    result = run_cli(["rule", "XYZ"], cwd=tmp_path)
    assert result.exit_code == 2
    assert "XYZ" in result.stderr
    assert result.stdout == ""


# ------------------------------------------------------------------------ the module entry point


def test_python_m_version(tmp_path: Path) -> None:
    process = subprocess.run(
        [sys.executable, "-m", "orgscope_lint", "--version"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert process.returncode == 0, process.stderr
    assert process.stdout.strip() == f"orgscope-lint, version {__version__}"


def test_python_m_check(tmp_path: Path) -> None:
    (tmp_path / "api.py").write_text(textwrap.dedent(API), encoding="utf-8")
    process = subprocess.run(
        [sys.executable, "-m", "orgscope_lint", "check", "api.py", "-q", "--select", "ORG001"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert process.returncode == 1, process.stderr
    assert process.stdout.startswith("api.py:2:5: ORG001 ")
