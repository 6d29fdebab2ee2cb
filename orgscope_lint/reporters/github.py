"""GitHub Actions workflow commands: each finding becomes an annotation on the PR diff.

Escaping follows the Actions toolkit: the message (command data) escapes `%`, `\\r` and
`\\n`; property values escape `:` and `,` as well, since those delimit the properties.
"""

from __future__ import annotations

from orgscope_lint.findings import Finding, Severity
from orgscope_lint.reporters import Report, ordered

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def render(report: Report) -> str:
    return "".join(annotation(finding) + "\n" for finding in ordered(report.active))


def annotation(finding: Finding) -> str:
    span = finding.span
    props = [("file", finding.path), ("line", str(span.line))]
    # The runner drops `col`/`endColumn` with a warning in the log when `line` and
    # `endLine` differ, so a span over several lines carries its lines only.
    if span.end_line == span.line:
        props += [
            ("col", str(span.column)),
            ("endLine", str(span.end_line)),
            ("endColumn", str(span.end_column)),
        ]
    else:
        props.append(("endLine", str(span.end_line)))
    props.append(("title", f"{finding.code} {finding.name}"))
    joined = ",".join(f"{key}={escape_property(value)}" for key, value in props)
    return f"::{COMMANDS[finding.severity]} {joined}::{escape_data(finding.message)}"


def escape_data(value: str) -> str:
    # `%` first, or the escapes just written would be escaped again.
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")
