"""GitLab Code Quality: a JSON list of issues shown in merge requests.

Severity mapping (GitLab has five levels for our three): an error is a likely data leak,
`major`; a warning is a pattern that fails open on some path, `minor`; info is a spot
the analysis cannot see into, `info`. `blocker` and `critical` stay unused so that a
project's own gates keep room above a lint.
"""

from __future__ import annotations

import hashlib
import json

from orgscope_lint.findings import Finding, Severity
from orgscope_lint.reporters import Report, occurrences, ordered

SEVERITIES = {Severity.ERROR: "major", Severity.WARNING: "minor", Severity.INFO: "info"}


def render(report: Report) -> str:
    return json.dumps(issues(report), indent=2) + "\n"


def issues(report: Report) -> list[dict[str, object]]:
    active = ordered(report.active)
    return [
        issue(finding, occurrence)
        for finding, occurrence in zip(active, occurrences(active), strict=True)
    ]


def issue(finding: Finding, occurrence: int) -> dict[str, object]:
    return {
        "description": f"{finding.code}: {finding.message}",
        "check_name": finding.code,
        "fingerprint": fingerprint(finding, occurrence),
        "severity": SEVERITIES[finding.severity],
        "location": {
            "path": finding.path,
            "lines": {"begin": finding.span.line, "end": finding.span.end_line},
        },
    }


def fingerprint(finding: Finding, occurrence: int) -> str:
    """Unique per issue, which GitLab requires, and stable when lines move.

    The first occurrence keeps the finding's own fingerprint, the one baselines use;
    identical faults after it in the same file get one derived from their occurrence.
    """
    if occurrence == 1:
        return finding.fingerprint
    basis = f"{finding.fingerprint}:{occurrence}".encode()
    return hashlib.sha256(basis).hexdigest()[: len(finding.fingerprint)]
