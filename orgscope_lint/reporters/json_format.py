"""The JSON contract (version 1): findings that count, and a summary.

Suppressed findings are left out of `findings` and only counted in
`summary.suppressed`: a consumer that acts on every entry must not act on a suppressed one.
Keys keep the contract's order and findings the report order, so two runs on the same
code give byte-identical output.

`fix` is null, or the edit `--fix` would make: its `kind`, the key or keyword `name`, the
variable `var`, a `message`, and `edits`, a list of `{"line", "column", "end_line",
"end_column", "content"}` (1-based, in characters, the end exclusive; an insertion is an
empty range) that reproduce the fixed file when applied to the current one.
"""

from __future__ import annotations

import json
from collections import Counter

from orgscope_lint.findings import Finding, Severity
from orgscope_lint.reporters import Report, ordered

VERSION = 1


def render(report: Report) -> str:
    return json.dumps(document(report), indent=2) + "\n"


def document(report: Report) -> dict[str, object]:
    active = ordered(report.active)
    return {
        "version": VERSION,
        "findings": [finding_entry(finding) for finding in active],
        "summary": summary(report, active),
    }


def finding_entry(finding: Finding) -> dict[str, object]:
    span = finding.span
    return {
        "path": finding.path,
        "line": span.line,
        "column": span.column,
        "end_line": span.end_line,
        "end_column": span.end_column,
        "code": finding.code,
        "name": finding.name,
        "severity": finding.severity.value,
        "message": finding.message,
        "table": finding.table,
        "operation": finding.operation,
        "fingerprint": finding.fingerprint,
        "fix": finding.fix,
        # Added to version 1 without a bump: the other sites this finding stands for.
        "related": [
            {"path": r.path, "line": r.line, "message": r.message} for r in finding.related
        ],
    }


def summary(report: Report, active: list[Finding]) -> dict[str, object]:
    by_code = Counter(finding.code for finding in active)
    by_severity = Counter(finding.severity for finding in active)
    return {
        "files_checked": report.files_checked,
        "findings": len(active),
        "suppressed": len(report.findings) - len(active),
        "by_code": {code: by_code[code] for code in sorted(by_code)},
        # Every severity, zero or not: a consumer can index without checking for the key.
        "by_severity": {severity.value: by_severity[severity] for severity in Severity},
    }
