"""Suppression comments in SQL migrations: `-- orgscope: ignore[ORG201] -- reason` on the
line a finding is reported on (the first line of its statement)."""

from __future__ import annotations

import re

from orgscope_lint.findings import Finding

_IGNORE = re.compile(r"--\s*orgscope:\s*ignore\[(?P<codes>[^\]]*)\](?:\s*--\s*(?P<reason>.*))?")


def suppress_sql(finding: Finding) -> Finding:
    match = _IGNORE.search(finding.snippet)
    if match is None:
        return finding
    codes = {c.strip().upper() for c in match.group("codes").split(",")}
    if finding.code not in codes:
        return finding
    return finding.suppress((match.group("reason") or "").strip() or None)
