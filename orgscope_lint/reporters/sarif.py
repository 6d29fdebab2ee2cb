"""SARIF 2.1.0 for code-scanning services (GitHub code scanning and the like).

One run; the driver lists every rule that ran, with its documentation, so a service can
show the rule page next to an alert. Suppressed findings are included with an in-source
suppression, so the service sees them as dismissed rather than fixed.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

from orgscope_lint.findings import Finding, Severity
from orgscope_lint.reporters import Report, occurrences, ordered
from orgscope_lint.rule import Rule

SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
INFORMATION_URI = "https://pypi.org/project/orgscope-lint/"
SRCROOT = "%SRCROOT%"

LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}

# GitHub ranks alerts of rules tagged "security" by this CVSS-like score; a cross-tenant
# read or write is a data leak, hence high for errors.
SECURITY_SEVERITY = {Severity.ERROR: "8.0", Severity.WARNING: "5.0", Severity.INFO: "2.0"}

# Rules about the linter's own input rather than tenant isolation.
TOOLING_CODES = frozenset({"ORG000", "ORG100"})


def render(report: Report) -> str:
    return json.dumps(document(report), indent=2) + "\n"


def document(report: Report) -> dict[str, object]:
    findings = ordered(report.findings)
    descriptors, index = rule_descriptors(report.rules, findings)
    results = [
        result(finding, index[finding.code], occurrence)
        for finding, occurrence in zip(findings, occurrences(findings), strict=True)
    ]
    run = {
        "tool": {
            "driver": {
                "name": "orgscope-lint",
                "version": report.version,
                "semanticVersion": report.version,
                "informationUri": INFORMATION_URI,
                "rules": descriptors,
            }
        },
        "originalUriBaseIds": {SRCROOT: {"uri": root_uri(report.cwd)}},
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def rule_descriptors(
    rules: tuple[type[Rule], ...], findings: list[Finding]
) -> tuple[list[dict[str, object]], dict[str, int]]:
    """Descriptors in code order, and the index of each code among them.

    A finding whose rule is not among the rules that ran (the engine's own parse errors,
    say) still gets a minimal descriptor, so every `ruleIndex` points somewhere.
    """
    by_code: dict[str, dict[str, object]] = {}
    for rule in rules:
        by_code.setdefault(rule.code, rule_descriptor(rule))
    for finding in findings:
        by_code.setdefault(finding.code, bare_descriptor(finding))
    codes = sorted(by_code)
    return [by_code[code] for code in codes], {code: i for i, code in enumerate(codes)}


def rule_descriptor(rule: type[Rule]) -> dict[str, object]:
    markdown = rule.help_markdown()
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.full_description()},
        # The markdown reads well as plain text too; a viewer picks what it can render.
        "help": {"text": markdown, "markdown": markdown},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": properties(rule.code, rule.severity),
    }


def bare_descriptor(finding: Finding) -> dict[str, object]:
    return {
        "id": finding.code,
        "name": finding.name,
        "defaultConfiguration": {"level": LEVELS[finding.severity]},
        "properties": properties(finding.code, finding.severity),
    }


def properties(code: str, severity: Severity) -> dict[str, object]:
    if code in TOOLING_CODES:
        return {"tags": ["orgscope-lint", "tooling"]}
    return {
        # CWE-639: authorization bypass through a user-controlled key, the class every
        # tenant-isolation rule belongs to.
        "tags": ["orgscope-lint", "security", "multi-tenancy", "external/cwe/cwe-639"],
        "security-severity": SECURITY_SEVERITY[severity],
    }


def result(finding: Finding, rule_index: int, occurrence: int) -> dict[str, object]:
    entry: dict[str, object] = {
        "ruleId": finding.code,
        "ruleIndex": rule_index,
        "level": LEVELS[finding.severity],
        "message": {"text": finding.message},
        "locations": [{"physicalLocation": physical_location(finding)}],
        # The fingerprint has no line number in it, so an alert survives unrelated edits;
        # the occurrence separates identical faults in one file, as GitHub's own hash does.
        "partialFingerprints": {"primaryLocationLineHash": f"{finding.fingerprint}:{occurrence}"},
    }
    if finding.related:
        entry["relatedLocations"] = [
            {
                "id": index,
                "physicalLocation": {
                    "artifactLocation": artifact_location(related.path),
                    "region": {"startLine": max(related.line, 1)},
                },
                "message": {"text": related.message},
            }
            for index, related in enumerate(finding.related, start=1)
        ]
    extra = {"table": finding.table, "operation": finding.operation}
    extra = {key: value for key, value in extra.items() if value}
    if extra:
        entry["properties"] = extra
    fix = finding.fix or {}
    edits = fix.get("edits")
    if isinstance(edits, list) and edits:
        entry["fixes"] = [
            sarif_fix(finding.path, str(fix.get("message") or "Apply the fix"), edits)
        ]
    if finding.suppressed:
        suppression: dict[str, object] = {"kind": "inSource"}
        if finding.suppression_reason:
            suppression["justification"] = finding.suppression_reason
        entry["suppressions"] = [suppression]
    return entry


def sarif_fix(path: str, message: str, edits: list) -> dict[str, object]:
    """A fix's text edits (`fix_edits`) as a SARIF fix on one artifact."""
    return {
        "description": {"text": message},
        "artifactChanges": [
            {
                "artifactLocation": artifact_location(path),
                "replacements": [
                    {
                        # An insertion is an empty region: its end is its start.
                        "deletedRegion": {
                            "startLine": edit["line"],
                            "startColumn": edit["column"],
                            "endLine": edit["end_line"],
                            "endColumn": edit["end_column"],
                        },
                        "insertedContent": {"text": edit["content"]},
                    }
                    for edit in edits
                ],
            }
        ],
    }


def physical_location(finding: Finding) -> dict[str, object]:
    span = finding.span
    # The schema wants every position >= 1; an engine-made finding (an unreadable file)
    # may carry zeros.
    start_line = max(span.line, 1)
    start_column = max(span.column, 1)
    return {
        "artifactLocation": artifact_location(finding.path),
        "region": {
            "startLine": start_line,
            "startColumn": start_column,
            "endLine": max(span.end_line, start_line),
            "endColumn": max(span.end_column, 1),
        },
    }


def artifact_location(path: str) -> dict[str, object]:
    local = Path(path)
    if local.is_absolute():
        # Outside the source root: a relative URI against %SRCROOT% would point elsewhere.
        return {"uri": local.as_uri()}
    return {"uri": quote(local.as_posix(), safe="/"), "uriBaseId": SRCROOT}


def root_uri(cwd: Path) -> str:
    uri = cwd.resolve().as_uri()
    # A base URI without the trailing slash would resolve "app.py" next to the
    # directory, not inside it.
    return uri if uri.endswith("/") else uri + "/"
