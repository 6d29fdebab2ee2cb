"""Suppression comments, `require-suppression-reason`, ORG100 and the file-level switches
(`per-file-ignores`, `exclude`, `.gitignore`, `--force-exclude`), through the CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from orgscope_lint.cli import cli

MIGRATION = "CREATE TABLE calls (id int, clerk_org_id text);\n"
QUERY = 'db.select("calls", {"id": call_id})'  # ORG001


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "001.sql").write_text(MIGRATION, encoding="utf-8")
    configure(tmp_path, "")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def configure(root: Path, body: str) -> None:
    (root / "pyproject.toml").write_text(f"[tool.orgscope-lint]\n{body}", encoding="utf-8")


def module(root: Path, name: str, body: str) -> None:
    target = root / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(body, encoding="utf-8")


def query_line(comment: str = "") -> str:
    """app.py's text: ORG001 on line 2, with `comment` after the faulty call."""
    return f"def get(db, call_id):\n    return {QUERY}{'  ' + comment if comment else ''}\n"


def lint(*args: str) -> Result:
    return CliRunner().invoke(cli, ["check", "--output-format", "text", *args])


def findings(result: Result) -> list[tuple[str, int, str]]:
    pattern = re.compile(r"^(.+?):(\d+):\d+: (ORG\d+) ", re.M)
    return [(m.group(1), int(m.group(2)), m.group(3)) for m in pattern.finditer(result.output)]


# -- the comment forms --------------------------------------------------------------------


@pytest.mark.parametrize(
    "comment",
    [
        "# orgscope: ignore[ORG001] -- id checked by the webhook signature",
        "# orgscope: ignore[ORG004, ORG001]",
        "# orgscope: ignore",
        "# noqa: ORG001",
        "# noqa: E501, ORG001",
        "# noqa",
        "# NOQA:ORG001",
    ],
)
def test_a_suppression_on_the_line_silences_the_finding(project: Path, comment: str) -> None:
    module(project, "app.py", query_line(comment))

    result = lint("--ignore", "ORG100")

    assert findings(result) == []
    assert "1 suppressed" in result.output
    assert result.exit_code == 0


@pytest.mark.parametrize(
    "comment", ["# orgscope: ignore[ORG004]", "# noqa: E501", "# noqa: ORG004"]
)
def test_a_suppression_for_another_code_does_not(project: Path, comment: str) -> None:
    module(project, "app.py", query_line(comment))

    result = lint("--select", "ORG001")

    assert findings(result) == [("app.py", 2, "ORG001")]


def test_a_directive_inside_a_string_is_no_directive(project: Path) -> None:
    text = query_line().replace('"id": call_id', '"id": call_id, "note": "# noqa: ORG001"')
    module(project, "app.py", text)

    result = lint()

    assert findings(result) == [("app.py", 2, "ORG001")]


def test_system_context_exempts_the_whole_function(project: Path) -> None:
    module(
        project,
        "app.py",
        "def nightly(db, call_id):  # orgscope: system-context -- cross-tenant rollup\n"
        f"    rows = {QUERY}\n"
        f"    return rows, {QUERY}\n"
        "\n\n"
        f"def other(db, call_id):\n    return {QUERY}\n",
    )

    result = lint()

    assert findings(result) == [("app.py", 7, "ORG001")]
    assert "2 suppressed" in result.output


def test_a_suppression_reason_reaches_sarif_as_its_justification(project: Path) -> None:
    module(project, "app.py", query_line("# orgscope: ignore[ORG001] -- seeded test data"))

    result = lint("--output-format", "sarif")

    results = json.loads(result.output)["runs"][0]["results"]
    assert [r["suppressions"][0]["justification"] for r in results] == ["seeded test data"]
    assert result.exit_code == 0


# -- require-suppression-reason -------------------------------------------------------------


def test_without_a_required_reason_the_finding_stays_and_org100_says_why(project: Path) -> None:
    configure(project, "require-suppression-reason = true\n")
    module(project, "app.py", query_line("# orgscope: ignore[ORG001]"))

    result = lint()

    assert findings(result) == [("app.py", 2, "ORG001"), ("app.py", 2, "ORG100")]
    assert "require-suppression-reason" in result.output
    assert result.exit_code == 1


def test_with_a_required_reason_the_suppression_holds(project: Path) -> None:
    configure(project, "require-suppression-reason = true\n")
    module(project, "app.py", query_line("# noqa: ORG001 -- fixture rows only"))

    result = lint()

    assert findings(result) == []
    assert result.exit_code == 0


def test_a_bare_noqa_cannot_carry_the_reason_so_it_lets_the_finding_through(
    project: Path,
) -> None:
    configure(project, "require-suppression-reason = true\n")
    module(project, "app.py", query_line("# noqa"))

    result = lint()

    assert findings(result) == [("app.py", 2, "ORG001")]


def test_system_context_without_a_required_reason_exempts_nothing(project: Path) -> None:
    configure(project, "require-suppression-reason = true\n")
    module(
        project,
        "app.py",
        f"def job(db, call_id):  # orgscope: system-context\n    return {QUERY}\n",
    )

    result = lint()

    assert findings(result) == [("app.py", 1, "ORG100"), ("app.py", 2, "ORG001")]


# -- ORG100 unused-suppression ----------------------------------------------------------------


def test_an_unused_suppression_is_reported_at_the_comment(project: Path) -> None:
    module(project, "app.py", "x = 1  # orgscope: ignore[ORG001] -- was a query once\n")

    result = lint()

    assert (
        "app.py:1:8: ORG100 unused suppression: no `ORG001` finding on this line" in result.output
    )
    assert result.exit_code == 1


def test_the_unused_codes_of_a_partly_used_suppression_are_named(project: Path) -> None:
    module(project, "app.py", query_line("# orgscope: ignore[ORG001,ORG004] -- checked"))

    result = lint()

    assert findings(result) == [("app.py", 2, "ORG100")]
    assert "no `ORG004` finding" in result.output
    assert "`ORG001`" not in result.output


@pytest.mark.parametrize("comment", ["# noqa", "# noqa: E501", "# noqa: E501, F401"])
def test_other_tools_noqa_comments_are_never_org100(project: Path, comment: str) -> None:
    module(project, "app.py", f"import os  {comment}\n")

    result = lint()

    assert findings(result) == []
    assert result.exit_code == 0


def test_an_orgscope_code_in_a_mixed_noqa_is_judged(project: Path) -> None:
    module(project, "app.py", "import os  # noqa: F401, ORG001\n")

    assert findings(lint()) == [("app.py", 1, "ORG100")]


def test_an_unknown_code_is_reported(project: Path) -> None:
    module(project, "app.py", query_line("# orgscope: ignore[ORG001, ORG999]"))

    result = lint()

    assert findings(result) == [("app.py", 2, "ORG100")]
    assert "unknown rule `ORG999`" in result.output


def test_codes_whose_rule_did_not_run_are_not_judged(project: Path) -> None:
    module(project, "app.py", "x = 1  # orgscope: ignore[ORG001]\n")
    configure(project, 'per-file-ignores = { "legacy/*" = ["ORG001"] }\n')
    module(project, "legacy/old.py", "y = 2  # orgscope: ignore[ORG001]\n")

    assert findings(lint("--select", "ORG002,ORG100")) == []
    assert findings(lint()) == [("app.py", 1, "ORG100")]


def test_org100_can_be_turned_off(project: Path) -> None:
    module(project, "app.py", "x = 1  # orgscope: ignore[ORG001]\n")

    assert findings(lint("--ignore", "ORG100")) == []


def test_a_directive_naming_org100_silences_its_own_report(project: Path) -> None:
    module(
        project, "app.py", "x = 1  # orgscope: ignore[ORG001, ORG100] -- kept for the migration\n"
    )

    result = lint()

    assert findings(result) == []
    assert result.exit_code == 0


@pytest.mark.parametrize(
    "text",
    [
        # a function whose queries are all scoped
        "def tidy(db, org_id):  # orgscope: system-context -- admin tool\n"
        '    return db.select("calls", {"clerk_org_id": org_id})\n',
        # a function with no query at all, beside one with a query
        "def total(xs):  # orgscope: system-context -- admin tool\n    return sum(xs)\n\n\n"
        'def tidy(db, org_id):\n    return db.select("calls", {"clerk_org_id": org_id})\n',
        # not on a `def` line: it exempts nothing, not even the query on the next line
        "x = 1  # orgscope: system-context -- admin tool\n"
        f"def get(db, call_id):\n    return {QUERY}\n",
    ],
)
def test_an_unused_system_context_is_reported(project: Path, text: str) -> None:
    module(project, "app.py", text)

    result = lint()

    assert ("app.py", 1, "ORG100") in findings(result)
    assert "unused `system-context`" in result.output
    assert "suppressed" not in result.output


@pytest.mark.parametrize("broken", ["def broken(:\n", 'x = """never closed\n'])
def test_a_file_that_does_not_parse_gets_no_org100(project: Path, broken: str) -> None:
    module(project, "app.py", f"x = 1  # orgscope: ignore[ORG001]\n{broken}")

    assert [code for _, _, code in findings(lint())] == ["ORG000"]


# -- which files: per-file-ignores, exclude, .gitignore, --force-exclude ------------------------


def test_per_file_ignores_drop_a_rule_for_matching_files(project: Path) -> None:
    configure(project, 'per-file-ignores = { "scripts/*" = ["ORG001"] }\n')
    module(project, "scripts/backfill.py", query_line())
    module(project, "app.py", query_line())

    assert findings(lint()) == [("app.py", 2, "ORG001")]


def test_exclude_takes_gitignore_style_patterns(project: Path) -> None:
    configure(project, 'exclude = ["generated/", "*_pb2.py", "/top_only.py"]\n')
    for name in ("generated/api.py", "deep/x_pb2.py", "top_only.py", "pkg/top_only.py"):
        module(project, name, query_line())

    assert findings(lint()) == [("pkg/top_only.py", 2, "ORG001")]


def test_gitignore_is_honoured_unless_told_otherwise(project: Path) -> None:
    (project / ".gitignore").write_text("scratch/\n", encoding="utf-8")
    module(project, "scratch/try.py", query_line())
    module(project, "app.py", query_line())

    assert findings(lint()) == [("app.py", 2, "ORG001")]
    assert findings(lint("--no-respect-gitignore")) == [
        ("app.py", 2, "ORG001"),
        ("scratch/try.py", 2, "ORG001"),
    ]


def test_force_exclude_applies_exclude_to_named_files(project: Path) -> None:
    configure(project, 'exclude = ["generated/"]\n')
    module(project, "generated/api.py", query_line())

    assert findings(lint("generated/api.py")) == [("generated/api.py", 2, "ORG001")]
    result = lint("--force-exclude", "generated/api.py")
    assert findings(result) == []
    assert result.exit_code == 0
