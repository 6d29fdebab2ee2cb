"""Baselines: adopt the tool on a codebase with known findings, and fail only on new ones.

`check --write-baseline FILE` records the active findings; `check --baseline FILE` hides
the findings recorded there. A finding is matched by (path, code, fingerprint), never by
line: the fingerprint leaves the line number out, so inserting code above a recorded
finding keeps it hidden, while editing the faulty line itself makes it new again.

Matching counts: two identical faults in one file share a fingerprint, so the baseline
holds each key as many times as it was found, and hides at most that many (a third copy
of a twice-recorded fault is reported).

Paths in the file are relative to the directory holding it, and fingerprints are taken
with those paths, so a baseline works from whichever directory the tool runs in.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from orgscope_lint.findings import Finding

BASELINE_VERSION = 1

Key = tuple[str, str, str]  # (path, code, fingerprint)


class BaselineError(Exception):
    """A baseline file that cannot be read or is not one; the CLI exits 2 with it."""


@dataclass(frozen=True)
class Baseline:
    entries: Counter[Key]
    directory: Path  # where the baseline file lives: its paths are relative to it

    def hide(
        self,
        findings: Iterable[Finding],
        cwd: Path,
        *,
        hide_first: Callable[[Finding], bool] | None = None,
    ) -> list[Finding]:
        """The findings left once the recorded ones are taken out.

        Identical faults cannot be told apart, so which copy a record hides is a choice:
        those for which `hide_first` is true are matched first (diff mode passes "not in
        the change", so an old copy absorbs the record and a new copy stays visible).
        """
        findings = list(findings)
        remaining = Counter(self.entries)
        order = sorted(
            range(len(findings)),
            key=lambda i: (not hide_first(findings[i])) if hide_first else False,
        )
        hidden = set()
        for index in order:
            finding = findings[index]
            if finding.suppressed:
                continue  # already silenced in the source; it never used a record
            key = baseline_key(finding, cwd, self.directory)
            if remaining[key] > 0:
                remaining[key] -= 1
                hidden.add(index)
        return [f for i, f in enumerate(findings) if i not in hidden]


def baseline_key(finding: Finding, cwd: Path, directory: Path) -> Key:
    path = _relative_path(cwd / finding.path, directory)
    return (path, finding.code, replace(finding, path=path).fingerprint)


def write_baseline(target: Path, findings: Iterable[Finding], cwd: Path) -> int:
    """Record the active findings in `target`; returns how many were recorded."""
    directory = target.resolve().parent
    records = []
    for finding in sorted((f for f in findings if not f.suppressed), key=Finding.sort_key):
        path, code, fingerprint = baseline_key(finding, cwd, directory)
        records.append(
            # line and message are for a person reading the file; matching ignores them.
            {
                "path": path,
                "code": code,
                "fingerprint": fingerprint,
                "line": finding.line,
                "message": finding.message,
            }
        )
    document = {"version": BASELINE_VERSION, "findings": records}
    try:
        target.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise BaselineError(f"cannot write baseline {target}: {exc.strerror or exc}") from None
    return len(records)


def load_baseline(source: Path) -> Baseline:
    try:
        document = json.loads(source.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BaselineError(f"baseline file not found: {source}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BaselineError(f"cannot read baseline {source}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise BaselineError(f"{source}: not a baseline (invalid JSON: {exc})") from None
    return Baseline(_entries(document, source), source.resolve().parent)


def _entries(document: object, source: Path) -> Counter[Key]:
    if not isinstance(document, dict) or document.get("version") != BASELINE_VERSION:
        raise BaselineError(
            f"{source}: not a version {BASELINE_VERSION} baseline; write it again with "
            "`orgscope-lint check --write-baseline`"
        )
    records = document.get("findings")
    if not isinstance(records, list):
        raise BaselineError(f"{source}: `findings` must be a list")
    entries: Counter[Key] = Counter()
    for number, record in enumerate(records, start=1):
        fields = [record.get(name) if isinstance(record, dict) else None for name in _KEY_FIELDS]
        if not all(isinstance(value, str) for value in fields):
            raise BaselineError(
                f"{source}: finding {number} needs string `path`, `code` and `fingerprint`"
            )
        entries[(fields[0], fields[1], fields[2])] += 1
    return entries


_KEY_FIELDS = ("path", "code", "fingerprint")


def _relative_path(path: Path, directory: Path) -> str:
    # The directory is resolved like the baseline's own; the file name stays as found,
    # since a symlinked file is reported under its link's name.
    absolute = os.path.join(os.path.realpath(os.path.dirname(os.path.abspath(path))), path.name)
    try:
        return Path(os.path.relpath(absolute, directory)).as_posix()
    except ValueError:  # another drive on Windows
        return Path(absolute).as_posix()
