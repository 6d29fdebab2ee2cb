"""A finding's fix as text edits, so JSON and SARIF consumers can offer it.

Each file is edited once, exactly as `--fix` would edit it (all its fixes, or none if
the result would not parse), and each fix is reduced to the one range it replaces and
the text it inserts. Positions follow the findings' convention: 1-based lines, 1-based
columns counted in characters, the end exclusive; an insertion is an empty range.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from orgscope_lint.findings import Finding

if TYPE_CHECKING:
    from orgscope_lint.cache import FactsCache
    from orgscope_lint.fix import Change, Edit

# (line, column, kind, name, var): the fields of `fix.Edit`, as plain data a cache
# entry can hold.
EditKey = tuple[int, int, str, str, str]
Lines = tuple[tuple[int, int], ...]  # (first, last) lines of top-level statements
# The digest of the bytes LibCST read, the statements it was not given, every statement.
LibcstRead = tuple[str, Lines, Lines]
TextEdit = dict[str, object]

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_FIX_KEYS = frozenset({"kind", "name", "var"})


def describe(kind: str, name: str, var: str, operation: str | None) -> str:
    if kind == "add-argument":
        return f"Pass `{name}={var}`"
    if kind == "add-filter":
        return f'Add `.eq("{name}", {var})` to the query'
    target = "record" if operation == "insert" else "filter"
    return f'Add `"{name}": {var}` to the {target}'


def with_edits(
    findings: Iterable[Finding],
    cwd: Path,
    cache: FactsCache | None = None,
    jobs: int | None = None,
    libcst_reads: Mapping[str, LibcstRead] | None = None,
) -> list[Finding]:
    """The findings, each fix carrying its `message` and `edits`; a fix `--fix` would not
    make on the file as it is now (edited since, unreadable) is dropped. With a `cache`,
    the edits of a file whose bytes and wanted fixes are unchanged are read from it:
    computing them parses the file with LibCST. The others are computed in `jobs`
    processes when there are many files (a cold report on a large project).
    `libcst_reads` (`RunResult.libcst_reads`): by path, the digest of the bytes the
    analysis had LibCST read, the top-level statements it left out and the lines of
    all of them; where the file is still those bytes, it is split by these lines, and
    only the statements left out and the edited ones are parsed to know `ast` and
    LibCST read the edited file."""
    findings = list(findings)
    by_path: dict[str, dict[EditKey, int]] = defaultdict(dict)
    for index, finding in enumerate(findings):
        fix = finding.fix
        if fix and not finding.suppressed and fix.keys() >= _FIX_KEYS:
            kind, name, var = (str(fix[key]) for key in ("kind", "name", "var"))
            by_path[finding.path][(finding.line, finding.column, kind, name, var)] = index
    made = _edits_by_path(
        {path: sorted(wanted) for path, wanted in by_path.items()},
        cwd,
        cache,
        jobs,
        libcst_reads or {},
    )
    for path, wanted in by_path.items():
        for key, index in wanted.items():
            finding = findings[index]
            edit = made[path].get(key)
            fix = None
            if edit is not None:
                message = describe(key[2], key[3], key[4], finding.operation)
                fix = {**(finding.fix or {}), "message": message, "edits": [edit]}
            findings[index] = replace(finding, fix=fix)
    return findings


def _edits_by_path(
    wanted: dict[str, list[EditKey]],
    cwd: Path,
    cache: FactsCache | None,
    jobs: int | None,
    libcst_reads: Mapping[str, LibcstRead],
) -> dict[str, dict[EditKey, TextEdit | None]]:
    """Each file's edits: from the cache, else computed (and then stored)."""
    from orgscope_lint.sources import SourceText, read_source

    made: dict[str, dict[EditKey, TextEdit | None]] = {}
    pending: list[_Job] = []
    for path, keys in wanted.items():
        source = read_source(cwd / path)
        if not isinstance(source, SourceText) or not source.text:
            made[path] = {}
            continue
        known = cache.load_edits(path, source.digest, tuple(keys)) if cache else None
        if known is not None:
            made[path] = known
        else:
            read, unparsed, statements = libcst_reads.get(path, ("", None, None))
            if read != source.digest:  # edited since: what the analysis saw tells nothing
                unparsed = statements = None
            pending.append((path, source.digest, source.text, tuple(keys), unparsed, statements))
    from orgscope_lint.parallel import map_files

    for (path, digest, _, keys, _, _), edits in zip(
        pending, map_files(_compute_edits, pending, jobs=jobs), strict=True
    ):
        made[path] = edits
        if cache is not None:
            cache.store_edits(path, digest, keys, edits)
    return made


# (path, digest, text, wanted fixes, and, if the analysis read these very bytes, the
# lines of the top-level statements LibCST was not given and of all of them)
_Job = tuple[str, str, str, tuple[EditKey, ...], Lines | None, Lines | None]


def _compute_edits(job: _Job) -> dict[EditKey, TextEdit | None]:
    """The text edit of each wanted fix in the file's text (None: `--fix` would not make
    it). Module-level: it runs in worker processes."""
    # Imported here: LibCST is a fifth of a hook run's start-up, needed only on a miss.
    from orgscope_lint.fix import Edit, changes

    _, _, text, wanted, unparsed, statements = job
    found = changes(text, [Edit(*k) for k in wanted], unparsed, statements)
    done = {_key_of(change.edit): change for change in found}
    return {key: _text_edit(text, done[key]) if key in done else None for key in wanted}


def _key_of(edit: Edit) -> EditKey:
    return (edit.line, edit.column, edit.kind, edit.name, edit.var)


def _text_edit(text: str, change: Change) -> dict[str, object] | None:
    """The change as a range of `text`; None if the call's code is not where LibCST
    said (then nothing is offered rather than a wrong edit)."""
    starts = [0] + [match.end() for match in _LINE_BREAK.finditer(text)]
    if change.line > len(starts):
        return None
    at = starts[change.line - 1] + change.column
    if text[at : at + len(change.before)] != change.before:
        return None
    return replacement(text, at, change.before, change.after)


def replacement(text: str, at: int, before: str, after: str) -> dict[str, object]:
    """The one range of `text` that replacing `before` (found at `at`) with `after`
    changes, and the text it puts there."""
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
    start, end = at + start, at + end_before
    if end == start and content:
        start, content = _natural_insertion(text, start, content)
        end = start
    line, column = _position(text, start)
    end_line, end_column = _position(text, end)
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

    # Never between the two characters of a \r\n line break.
    whole = [c for c in candidates if not text.startswith("\r\n", c[0] - 1) or c[0] == 0]
    return min(whole or candidates, key=score)


def _position(text: str, offset: int) -> tuple[int, int]:
    line, line_start = 1, 0
    for match in _LINE_BREAK.finditer(text, 0, offset):
        line, line_start = line + 1, match.end()
    return line, offset - line_start + 1
