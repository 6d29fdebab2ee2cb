"""A finding's fix as text edits, so JSON and SARIF consumers can offer it.

The fix is made exactly as `--fix` would make it (the same LibCST edit on the file as it
is now), then reduced to the one range it replaces and the text it inserts. Positions
follow the findings' convention: 1-based lines, 1-based columns counted in characters,
the end exclusive; an insertion is an empty range.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from orgscope_lint.findings import Finding
from orgscope_lint.fix import Edit, apply_edits

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_FIX_KEYS = frozenset({"kind", "name", "var"})


def describe(kind: str, name: str, var: str, operation: str | None) -> str:
    if kind == "add-argument":
        return f"Pass `{name}={var}`"
    if kind == "add-filter":
        return f'Add `.eq("{name}", {var})` to the query'
    target = "record" if operation == "insert" else "filter"
    return f'Add `"{name}": {var}` to the {target}'


def with_edits(findings: Iterable[Finding], cwd: Path) -> list[Finding]:
    """The findings, each fix carrying its `message` and `edits`; a fix that cannot be
    made on the file as it is now (edited since, unreadable) is dropped."""
    from orgscope_lint.sources import SourceText, read_source

    findings = list(findings)
    by_path: dict[str, list[int]] = defaultdict(list)
    for index, finding in enumerate(findings):
        if finding.fix and not finding.suppressed and finding.fix.keys() >= _FIX_KEYS:
            by_path[finding.path].append(index)
    for path, indexes in by_path.items():
        source = read_source(cwd / path)
        for index in indexes:
            finding = findings[index]
            fix = _described(finding, source.text) if isinstance(source, SourceText) else None
            findings[index] = replace(finding, fix=fix)
    return findings


def _described(finding: Finding, text: str) -> dict[str, object] | None:
    fix = finding.fix or {}
    kind, name, var = (str(fix[key]) for key in ("kind", "name", "var"))
    applied = apply_edits(text, [Edit(finding.line, finding.column, kind, name, var)])
    if applied is None:
        return None
    return {
        **fix,
        "message": describe(kind, name, var, finding.operation),
        "edits": [replacement(text, applied[0])],
    }


def replacement(before: str, after: str) -> dict[str, object]:
    """The one range of `before` that `after` replaces, and the text it puts there."""
    start = 0
    limit = min(len(before), len(after))
    while start < limit and before[start] == after[start]:
        start += 1
    end_before, end_after = len(before), len(after)
    while (
        end_before > start and end_after > start and before[end_before - 1] == after[end_after - 1]
    ):
        end_before -= 1
        end_after -= 1
    content = after[start:end_after]
    if end_before == start and content:
        start, content = _natural_insertion(before, start, content)
        end_before = start
    line, column = _position(before, start)
    end_line, end_column = _position(before, end_before)
    return {
        "line": line,
        "column": column,
        "end_line": end_line,
        "end_column": end_column,
        "content": content,
    }


def _natural_insertion(text: str, at: int, content: str) -> tuple[int, str]:
    """The same insertion slid to where a person would make it: whole lines, else
    before a `.` or a `,` (`.eq(...)`, `, "key": var`), not `q("org_id", org_id).e`."""
    while at > 0 and text[at - 1] == content[-1]:
        at, content = at - 1, text[at - 1] + content[:-1]
    candidates = [(at, content)]
    while at < len(text) and text[at] == content[0]:
        at, content = at + 1, content[1:] + text[at]
        candidates.append((at, content))

    def score(candidate: tuple[int, str]) -> int:
        where, inserted = candidate
        if (where == 0 or text[where - 1] in "\r\n") and inserted.endswith(("\n", "\r")):
            return 0
        return 1 if inserted[0] in ".," else 2

    return min(candidates, key=score)


def _position(text: str, offset: int) -> tuple[int, int]:
    line, line_start = 1, 0
    for match in _LINE_BREAK.finditer(text, 0, offset):
        line, line_start = line + 1, match.end()
    return line, offset - line_start + 1
