"""Suppression comments: parsed from the source text, applied to findings.

`# orgscope: ignore[ORG001] -- reason`, `# noqa: ORG001`, and on a `def` line
`# orgscope: system-context -- reason` (a deliberately cross-tenant function).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from orgscope_lint.facts import Directive, FileFacts
from orgscope_lint.findings import Finding

_CODES = r"[A-Za-z]+[0-9]+(?:\s*,\s*[A-Za-z]+[0-9]+)*"
_ORGSCOPE = re.compile(
    rf"#\s*orgscope:\s*(?P<kind>ignore|system-context)(?:\[(?P<codes>{_CODES})\])?"
    r"(?:\s*--\s*(?P<reason>.*\S))?",
    re.IGNORECASE,
)
_NOQA = re.compile(rf"#\s*noqa(?::\s*(?P<codes>{_CODES}))?", re.IGNORECASE)
# Codes that speak about the file or the tool, not about a function's tenant logic.
_NOT_TENANT_RULES = frozenset({"ORG000", "ORG100"})


def parse_directives(text: str) -> tuple[Directive, ...]:
    if "orgscope:" not in text and "noqa" not in text:
        return ()
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        if "#" not in line:
            continue
        match = _ORGSCOPE.search(line)
        if match:
            found.append(_directive(number, match, match.group("kind").lower(), line))
            continue
        match = _NOQA.search(line)
        if match:
            found.append(_directive(number, match, "ignore", line))
    return tuple(found)


def _directive(number: int, match: re.Match[str], kind: str, line: str) -> Directive:
    codes = match.group("codes") or ""
    reason = match.groupdict().get("reason")
    return Directive(
        line=number,
        kind=kind,
        codes=tuple(c.strip().upper() for c in codes.split(",") if c.strip()),
        reason=reason,
        column=match.start() + 1,
        text=match.group(0),
    )


def apply_suppressions(findings: Iterable[Finding], facts: FileFacts) -> list[Finding]:
    """Mark the findings a directive covers as suppressed (they stay, for SARIF)."""
    ignores = {d.line: d for d in facts.directives if d.kind == "ignore"}
    contexts = [
        (fn.span.line, fn.end_line, d)
        for d in facts.directives
        if d.kind == "system-context"
        for fn in facts.functions
        if fn.span.line == d.line
    ]
    result = []
    for finding in findings:
        directive = ignores.get(finding.line)
        if directive is not None and (not directive.codes or finding.code in directive.codes):
            finding = finding.suppress(directive.reason)
        elif finding.code not in _NOT_TENANT_RULES:
            for start, end, d in contexts:
                if start <= finding.line <= end:
                    finding = finding.suppress(d.reason or "system-context")
                    break
        result.append(finding)
    return result
