"""Every output format, on findings built by hand (no engine, no real rules involved)."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from jsonschema import Draft4Validator
from rich.console import Console

from orgscope_lint.findings import Finding, Severity, Span
from orgscope_lint.reporters import (
    FORMATS,
    Report,
    get_renderer,
    github,
    gitlab,
    json_format,
    junit,
    occurrences,
    sarif,
    text,
)
from orgscope_lint.rule import Rule

DATA = Path(__file__).parent / "data"
SARIF_SCHEMA = DATA / "sarif-schema-2.1.0.json"


class MissingFilter(Rule):
    code = "ORG001"
    name = "missing-tenant-filter"
    severity = Severity.ERROR
    summary = "Query on a tenant table without the tenant key in its filter"
    doc = """
        ## What it does
        Checks that every read of a tenant table filters by the tenant key.

        ## Why is this bad?
        Without the key the query returns other tenants' rows.

        ## Example
        ```python
        db.select("voices", {"id": voice_id})
        ```

        ## Use instead
        ```python
        db.select("voices", {"id": voice_id, "clerk_org_id": org_id})
        ```
        """


class ConditionalFilter(Rule):
    code = "ORG007"
    name = "conditional-tenant-filter"
    severity = Severity.WARNING
    summary = "Tenant key present on some paths only"
    doc = """
        ## What it does
        Finds filters that carry the tenant key only when a condition holds.

        ## Why is this bad?
        When the condition is false the query fails open.

        ## Example
        ```python
        if org:
            filters["clerk_org_id"] = org
        ```

        ## Use instead
        ```python
        filters["clerk_org_id"] = org
        ```
        """


class OpaqueFilter(Rule):
    code = "ORG012"
    name = "unverifiable-filter"
    severity = Severity.INFO
    summary = "Filter the analysis cannot see into"
    doc = """
        ## What it does
        Reports filters built where the analysis cannot follow them.

        ## Why is this bad?
        Nobody can tell whether they carry the tenant key.

        ## Example
        ```python
        db.select("voices", build())
        ```

        ## Use instead
        ```python
        db.select("voices", {"clerk_org_id": org_id})
        ```
        """


RULES: tuple[type[Rule], ...] = (MissingFilter, ConditionalFilter, OpaqueFilter)


def make(
    rule: type[Rule],
    path: str = "app/voices.py",
    line: int = 3,
    column: int = 12,
    *,
    end_line: int | None = None,
    end_column: int | None = None,
    message: str | None = None,
    snippet: str = "rows = db.select('voices', {'id': voice_id})",
    suppressed: bool = False,
    reason: str | None = None,
) -> Finding:
    finding = Finding(
        path=path,
        span=Span(line, column, end_line or line, end_column or column + 9),
        code=rule.code,
        name=rule.name,
        severity=rule.severity,
        message=message or f"{rule.summary} (`voices`)",
        table="voices",
        operation="select",
        snippet=snippet,
    )
    return finding.suppress(reason) if suppressed else finding


def report_of(*findings: Finding, cwd: Path | None = None, files: int = 4) -> Report:
    extra = {"cwd": cwd} if cwd is not None else {}
    return Report(
        findings=tuple(sorted(findings, key=Finding.sort_key)),
        files_checked=files,
        rules=RULES,
        **extra,
    )


@pytest.fixture
def mixed() -> Report:
    """Two files, all three severities, one suppressed finding."""
    return report_of(
        make(MissingFilter, "app/voices.py", 3, 12),
        make(ConditionalFilter, "app/voices.py", 9, 5, snippet="db.update('voices', f)"),
        make(OpaqueFilter, "app/calls.py", 20, 1, snippet="db.select('calls', q)"),
        make(
            MissingFilter,
            "app/calls.py",
            30,
            8,
            snippet="db.delete('calls', {})",
            suppressed=True,
            reason="nightly cleanup across tenants",
        ),
    )


# --- registry -------------------------------------------------------------------------


@pytest.mark.parametrize("name", FORMATS)
def test_every_format_renders_newline_terminated_text(name: str, mixed: Report) -> None:
    output = get_renderer(name)(mixed)
    assert output.endswith("\n")
    assert not output.endswith("\n\n")


def test_occurrences_count_identical_fingerprints() -> None:
    first = make(MissingFilter, line=3)
    again = make(MissingFilter, line=8)
    other = make(MissingFilter, line=9, snippet="something else")
    assert occurrences([first, other, again]) == [1, 1, 2]


# --- text -----------------------------------------------------------------------------

TEXT_LINE = re.compile(
    r"^(?P<path>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<code>ORG\d{3}) (?P<msg>.+)$"
)


def test_text_lines_then_blank_then_summary(mixed: Report) -> None:
    lines = text.render(mixed).splitlines()
    assert lines[-2:] == ["", "Found 3 findings: 1 error, 1 warning, 1 info (1 suppressed)."]
    body = lines[:-2]
    assert len(body) == 3
    parsed = [TEXT_LINE.match(line) for line in body]
    assert all(parsed)
    assert [(m["path"], m["line"], m["col"], m["code"]) for m in parsed if m] == [
        ("app/calls.py", "20", "1", "ORG012"),
        ("app/voices.py", "3", "12", "ORG001"),
        ("app/voices.py", "9", "5", "ORG007"),
    ]


def test_text_suppressed_finding_is_not_listed(mixed: Report) -> None:
    assert "app/calls.py:30:" not in text.render(mixed)


def test_text_clean_run() -> None:
    assert text.render(report_of()) == "All checks passed!\n"


def test_text_clean_run_mentions_suppressed() -> None:
    output = text.render(report_of(make(MissingFilter, suppressed=True)))
    assert output == "All checks passed! (1 suppressed)\n"


def test_text_singular_summary() -> None:
    assert (
        text.render(report_of(make(MissingFilter))).splitlines()[-1] == "Found 1 finding: 1 error."
    )


def test_text_does_not_import_rich() -> None:
    script = (
        "import sys\n"
        "from orgscope_lint.findings import Finding, Severity, Span\n"
        "from orgscope_lint.reporters import Report, get_renderer\n"
        "f = Finding('a.py', Span(1, 1, 1, 2), 'ORG001', 'n', Severity.ERROR, 'm')\n"
        "out = get_renderer('text')(Report(findings=(f,), files_checked=1, rules=()))\n"
        "assert out.startswith('a.py:1:1: ORG001 m'), out\n"
        "print(sorted(m for m in sys.modules if m == 'rich' or m.startswith('rich.')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"


SOURCE = """\
from app.db import db


def list_voices(voice_id, org_id):
    rows = db.select("voices", {"id": voice_id})
    return rows


def other():
    pass
"""


def rich_output(report: Report) -> str:
    console = Console(record=True, width=100, color_system=None)
    text.render_rich(report, console)
    return console.export_text()


def test_rich_shows_code_frame_with_caret(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "voices.py").write_text(SOURCE, encoding="utf-8")
    finding = make(MissingFilter, "app/voices.py", 5, 12, end_column=21)
    output = rich_output(report_of(finding, cwd=tmp_path)).splitlines()

    assert output[0].startswith("app/voices.py:5:12: ORG001 ")
    code_line = next(line for line in output if 'db.select("voices"' in line)
    caret_line = output[output.index(code_line) + 1]
    assert caret_line.index("^") == code_line.index("db.select")
    assert caret_line.count("^") == len("db.select")
    # Two lines of context either side, and no further.
    numbered = [re.match(r"\s*(\d+) │", line) for line in output]
    assert [int(m.group(1)) for m in numbered if m] == [3, 4, 5, 6, 7]
    assert any("def list_voices" in line for line in output)
    assert any("return rows" in line for line in output)
    assert output[-1] == "Found 1 finding: 1 error."


def test_rich_caret_follows_tabs(tmp_path: Path) -> None:
    (tmp_path / "t.py").write_text("def f():\n\treturn db.select('x')\n", encoding="utf-8")
    finding = make(MissingFilter, "t.py", 2, 9, end_column=18)
    output = rich_output(report_of(finding, cwd=tmp_path)).splitlines()
    code_line = next(line for line in output if "return db.select" in line)
    caret_line = output[output.index(code_line) + 1]
    assert caret_line.index("^") == code_line.index("db.select")


def test_rich_survives_missing_file(tmp_path: Path) -> None:
    finding = make(MissingFilter, "gone.py", 5, 12)
    output = rich_output(report_of(finding, cwd=tmp_path))
    assert "gone.py:5:12: ORG001" in output
    assert "^" not in output
    assert "│" not in output


def test_rich_survives_line_past_end_of_file(tmp_path: Path) -> None:
    (tmp_path / "short.py").write_text("x = 1\n", encoding="utf-8")
    output = rich_output(report_of(make(MissingFilter, "short.py", 40, 1), cwd=tmp_path))
    assert "short.py:40:1: ORG001" in output
    assert "^" not in output


def test_rich_message_with_brackets_is_not_markup(tmp_path: Path) -> None:
    finding = make(MissingFilter, "gone.py", message="filter [bold]x[/bold] lacks key")
    assert "filter [bold]x[/bold] lacks key" in rich_output(report_of(finding, cwd=tmp_path))


def test_rich_summary_counts_per_severity(mixed: Report, tmp_path: Path) -> None:
    output = rich_output(mixed).splitlines()
    assert output[-1] == "Found 3 findings: 1 error, 1 warning, 1 info (1 suppressed)."


def test_rich_clean_run() -> None:
    assert rich_output(report_of()).strip() == "All checks passed!"


# --- json -----------------------------------------------------------------------------

FINDING_KEYS = [
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
SUMMARY_KEYS = ["files_checked", "findings", "suppressed", "by_code", "by_severity"]


def test_json_keys_are_exactly_the_contract(mixed: Report) -> None:
    data = json.loads(json_format.render(mixed))
    assert list(data) == ["version", "findings", "summary"]
    assert data["version"] == 1
    assert data["findings"]
    for entry in data["findings"]:
        assert list(entry) == FINDING_KEYS
    assert list(data["summary"]) == SUMMARY_KEYS


def test_json_values(mixed: Report) -> None:
    data = json.loads(json_format.render(mixed))
    first = data["findings"][0]
    expected = mixed.active[0]
    assert first == {
        "path": "app/calls.py",
        "line": 20,
        "column": 1,
        "end_line": 20,
        "end_column": 10,
        "code": "ORG012",
        "name": "unverifiable-filter",
        "severity": "info",
        "message": expected.message,
        "table": "voices",
        "operation": "select",
        "fingerprint": expected.fingerprint,
        "fix": None,
        "related": [],
    }


def test_json_leaves_suppressed_out_of_findings(mixed: Report) -> None:
    data = json.loads(json_format.render(mixed))
    assert [(f["path"], f["line"]) for f in data["findings"]] == [
        ("app/calls.py", 20),
        ("app/voices.py", 3),
        ("app/voices.py", 9),
    ]
    assert data["summary"] == {
        "files_checked": 4,
        "findings": 3,
        "suppressed": 1,
        "by_code": {"ORG001": 1, "ORG007": 1, "ORG012": 1},
        "by_severity": {"error": 1, "warning": 1, "info": 1},
    }


def test_json_sorts_findings_whatever_the_input_order() -> None:
    later = make(MissingFilter, "b.py", 1, 1)
    earlier = make(MissingFilter, "a.py", 9, 1)
    report = Report(findings=(later, earlier), files_checked=2, rules=RULES)
    data = json.loads(json_format.render(report))
    assert [f["path"] for f in data["findings"]] == ["a.py", "b.py"]


def test_json_is_indented_and_deterministic(mixed: Report) -> None:
    output = json_format.render(mixed)
    assert output.startswith('{\n  "version": 1,\n')
    assert output == json_format.render(mixed)


def test_json_carries_fix() -> None:
    finding = Finding(
        path="a.py",
        span=Span(1, 1, 1, 5),
        code="ORG001",
        name="missing-tenant-filter",
        severity=Severity.ERROR,
        message="m",
        fix={"insert": '"clerk_org_id": org_id'},
    )
    data = json.loads(json_format.render(report_of(finding)))
    assert data["findings"][0]["fix"] == {"insert": '"clerk_org_id": org_id'}


# --- sarif ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sarif_validator() -> Draft4Validator:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    Draft4Validator.check_schema(schema)
    return Draft4Validator(schema)


def assert_valid_sarif(validator: Draft4Validator, document: object) -> None:
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


def test_schema_copy_matches_its_provenance() -> None:
    provenance = (DATA / "sarif-schema-2.1.0.PROVENANCE.txt").read_text(encoding="utf-8")
    recorded = re.search(r"sha256: ([0-9a-f]{64})", provenance)
    assert recorded
    assert hashlib.sha256(SARIF_SCHEMA.read_bytes()).hexdigest() == recorded.group(1)


def test_sarif_is_valid_against_the_schema(mixed: Report, sarif_validator: Draft4Validator) -> None:
    assert_valid_sarif(sarif_validator, json.loads(sarif.render(mixed)))


def test_sarif_empty_run_is_valid(sarif_validator: Draft4Validator) -> None:
    document = json.loads(sarif.render(report_of()))
    assert_valid_sarif(sarif_validator, document)
    assert document["runs"][0]["results"] == []


def test_the_validator_does_catch_broken_sarif(
    mixed: Report, sarif_validator: Draft4Validator
) -> None:
    document = json.loads(sarif.render(mixed))
    document["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    assert list(sarif_validator.iter_errors(document))


def test_sarif_driver_and_rules(mixed: Report) -> None:
    run = json.loads(sarif.render(mixed))["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "orgscope-lint"
    assert driver["version"] == mixed.version
    assert driver["informationUri"] == "https://pypi.org/project/orgscope-lint/"
    rules = {rule["id"]: rule for rule in driver["rules"]}
    assert list(rules) == ["ORG001", "ORG007", "ORG012"]
    org001 = rules["ORG001"]
    assert org001["name"] == "missing-tenant-filter"
    assert org001["shortDescription"]["text"] == MissingFilter.summary
    assert org001["fullDescription"]["text"] == (
        "Checks that every read of a tenant table filters by the tenant key."
    )
    assert org001["help"]["markdown"] == MissingFilter.help_markdown()
    assert "## Why is this bad?" in org001["help"]["text"]
    assert [rules[c]["defaultConfiguration"]["level"] for c in rules] == [
        "error",
        "warning",
        "note",
    ]
    assert "security" in org001["properties"]["tags"]
    assert run["columnKind"] == "unicodeCodePoints"


def test_sarif_results(mixed: Report) -> None:
    run = json.loads(sarif.render(mixed))["runs"][0]
    rule_ids = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    results = run["results"]
    assert len(results) == 4
    for result in results:
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
    first = results[0]
    assert first["level"] == "note"
    assert first["message"]["text"] == mixed.active[0].message
    location = first["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "app/calls.py", "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {
        "startLine": 20,
        "startColumn": 1,
        "endLine": 20,
        "endColumn": 10,
    }


def test_sarif_includes_suppressed_with_justification(mixed: Report) -> None:
    results = json.loads(sarif.render(mixed))["runs"][0]["results"]
    suppressed = [r for r in results if "suppressions" in r]
    assert len(suppressed) == 1
    assert suppressed[0]["locations"][0]["physicalLocation"]["region"]["startLine"] == 30
    assert suppressed[0]["suppressions"] == [
        {"kind": "inSource", "justification": "nightly cleanup across tenants"}
    ]


def test_sarif_suppression_without_reason(sarif_validator: Draft4Validator) -> None:
    document = json.loads(sarif.render(report_of(make(MissingFilter, suppressed=True))))
    assert_valid_sarif(sarif_validator, document)
    assert document["runs"][0]["results"][0]["suppressions"] == [{"kind": "inSource"}]


def test_sarif_fingerprints_are_line_independent_and_distinct() -> None:
    original = make(MissingFilter, line=5)
    moved = make(MissingFilter, line=50)
    twin = make(MissingFilter, line=60)

    def hashes(*findings: Finding) -> list[str]:
        results = json.loads(sarif.render(report_of(*findings)))["runs"][0]["results"]
        return [r["partialFingerprints"]["primaryLocationLineHash"] for r in results]

    assert hashes(original) == hashes(moved)
    assert re.fullmatch(r"[0-9a-f]{16}:1", hashes(original)[0])
    first, second = hashes(moved, twin)
    assert first == hashes(original)[0]
    assert second == first[:-2] + ":2"


def test_sarif_uri_base_and_escaped_paths(tmp_path: Path, sarif_validator: Draft4Validator) -> None:
    finding = make(MissingFilter, "my app/v#1.py")
    document = json.loads(sarif.render(report_of(finding, cwd=tmp_path)))
    assert_valid_sarif(sarif_validator, document)
    run = document["runs"][0]
    base = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    assert base == tmp_path.resolve().as_uri() + "/"
    artifact = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert artifact["uri"] == "my%20app/v%231.py"


def test_sarif_describes_a_rule_that_did_not_run(sarif_validator: Draft4Validator) -> None:
    parse_error = Finding(
        path="broken.py",
        span=Span(0, 0, 0, 0),
        code="ORG000",
        name="parse-error",
        severity=Severity.ERROR,
        message="cannot parse",
    )
    document = json.loads(sarif.render(report_of(parse_error, make(MissingFilter))))
    assert_valid_sarif(sarif_validator, document)
    run = document["runs"][0]
    rule_ids = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert "ORG000" in rule_ids
    for result in run["results"]:
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]


# --- github ---------------------------------------------------------------------------


def test_github_one_command_per_active_finding(mixed: Report) -> None:
    lines = github.render(mixed).splitlines()
    assert lines == [
        "::notice file=app/calls.py,line=20,col=1,endLine=20,endColumn=10,"
        f"title=ORG012 unverifiable-filter::{mixed.active[0].message}",
        "::error file=app/voices.py,line=3,col=12,endLine=3,endColumn=21,"
        f"title=ORG001 missing-tenant-filter::{mixed.active[1].message}",
        "::warning file=app/voices.py,line=9,col=5,endLine=9,endColumn=14,"
        f"title=ORG007 conditional-tenant-filter::{mixed.active[2].message}",
    ]


def test_github_escapes_data_and_properties() -> None:
    finding = make(
        MissingFilter,
        "app/a,b:c%.py",
        message="100% of rows\r\nleak: org_id, client_id",
    )
    (line,) = github.render(report_of(finding)).splitlines()
    assert line == (
        "::error file=app/a%2Cb%3Ac%25.py,line=3,col=12,endLine=3,endColumn=21,"
        "title=ORG001 missing-tenant-filter::100%25 of rows%0D%0Aleak: org_id, client_id"
    )


def test_github_escape_functions() -> None:
    assert github.escape_data("%\r\n:,") == "%25%0D%0A:,"
    assert github.escape_property("%\r\n:,") == "%25%0D%0A%3A%2C"
    # `%` goes first: an escape already written is not escaped twice.
    assert github.escape_data("%0A") == "%250A"


def test_github_multiline_span_has_no_columns() -> None:
    finding = make(MissingFilter, line=3, column=5, end_line=6, end_column=2)
    assert github.render(report_of(finding)).startswith(
        "::error file=app/voices.py,line=3,endLine=6,title="
    )


def test_github_nothing_to_annotate() -> None:
    assert github.render(report_of(make(MissingFilter, suppressed=True))) == ""


# --- junit ----------------------------------------------------------------------------


def test_junit_parses_with_one_failure_per_finding(mixed: Report) -> None:
    root = ET.fromstring(junit.render(mixed))
    (suite,) = root.iter("testsuite")
    assert suite.get("name") == "orgscope-lint"
    cases = suite.findall("testcase")
    assert [case.get("name") for case in cases] == ["app/calls.py", "app/voices.py"]
    failures = [(case.get("name"), f.get("type")) for case in cases for f in case.iter("failure")]
    assert failures == [
        ("app/calls.py", "ORG012"),
        ("app/voices.py", "ORG001"),
        ("app/voices.py", "ORG007"),
    ]
    assert suite.get("tests") == "2"
    assert suite.get("failures") == "3"
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["files_checked"] == "4"
    assert props["suppressed"] == "1"


def test_junit_failure_message_and_details(mixed: Report) -> None:
    root = ET.fromstring(junit.render(mixed))
    failure = next(root.iter("failure"))
    assert failure.get("message") == mixed.active[0].message
    assert failure.text is not None
    assert failure.text.startswith("app/calls.py:20:1: ORG012 unverifiable-filter (info): ")


def test_junit_escapes_markup_and_drops_control_characters() -> None:
    message = 'a <b> & "c"\nnext line \x1b[31m\x00'
    root = ET.fromstring(junit.render(report_of(make(MissingFilter, "x&<y>.py", message=message))))
    case = next(root.iter("testcase"))
    assert case.get("name") == "x&<y>.py"
    failure = next(root.iter("failure"))
    assert failure.get("message") == 'a <b> & "c"\nnext line \ufffd[31m\ufffd'


def test_junit_empty_report_is_well_formed() -> None:
    root = ET.fromstring(junit.render(report_of()))
    assert root.find("testsuite") is not None
    assert not list(root.iter("failure"))


# --- gitlab ---------------------------------------------------------------------------


def test_gitlab_issues(mixed: Report) -> None:
    issues = json.loads(gitlab.render(mixed))
    assert [issue["check_name"] for issue in issues] == ["ORG012", "ORG001", "ORG007"]
    assert [issue["severity"] for issue in issues] == ["info", "major", "minor"]
    first = issues[0]
    assert set(first) == {"description", "check_name", "fingerprint", "severity", "location"}
    assert first["location"] == {"path": "app/calls.py", "lines": {"begin": 20, "end": 20}}
    assert mixed.active[0].message in first["description"]
    assert first["fingerprint"] == mixed.active[0].fingerprint


def test_gitlab_fingerprints_unique_even_for_identical_findings() -> None:
    report = report_of(
        make(MissingFilter, line=3),
        make(MissingFilter, line=7),
        make(MissingFilter, line=11),
        make(ConditionalFilter, line=3),
    )
    assert len({f.fingerprint for f in report.findings}) == 2
    fingerprints = [issue["fingerprint"] for issue in json.loads(gitlab.render(report))]
    assert len(fingerprints) == 4
    assert len(set(fingerprints)) == 4


def test_gitlab_leaves_suppressed_out(mixed: Report) -> None:
    lines = [issue["location"]["lines"]["begin"] for issue in json.loads(gitlab.render(mixed))]
    assert 30 not in lines
