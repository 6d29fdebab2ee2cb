"""Output formats: one module per format, each a function from a `Report` to text.

Every renderer returns the complete output, each line ending in a newline (no output at
all is the empty string), so a caller writes it as it is, to a terminal or to a file.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from orgscope_lint import __version__
from orgscope_lint.findings import Finding
from orgscope_lint.rule import Rule


@dataclass(frozen=True)
class Report:
    """Everything a reporter may show. Paths in findings are relative to `cwd` already."""

    findings: tuple[Finding, ...]  # sorted; suppressed ones included with `suppressed=True`
    files_checked: int
    rules: tuple[type[Rule], ...]  # the rules that ran, for rule metadata
    cwd: Path = field(default_factory=Path.cwd)
    version: str = __version__
    fixed: int = 0
    baselined: int = 0  # findings a baseline file hid; they are not in `findings`

    @property
    def active(self) -> tuple[Finding, ...]:
        """The findings that count: not suppressed."""
        return tuple(f for f in self.findings if not f.suppressed)


Renderer = Callable[[Report], str]


def ordered(findings: Iterable[Finding]) -> list[Finding]:
    """Findings in report order, whatever order the caller built them in."""
    return sorted(findings, key=Finding.sort_key)


def occurrences(findings: Iterable[Finding]) -> list[int]:
    """The 1-based occurrence of each finding's fingerprint among those before it.

    A fingerprint leaves the line out on purpose, so two identical faults in one file
    share it; the occurrence tells them apart while staying stable when lines move.
    """
    seen: Counter[str] = Counter()
    numbers = []
    for finding in findings:
        seen[finding.fingerprint] += 1
        numbers.append(seen[finding.fingerprint])
    return numbers


def get_renderer(name: str) -> Renderer:
    # Imported lazily: a run pays only for the format it prints.
    from importlib import import_module

    module = import_module(f"orgscope_lint.reporters.{_MODULES[name]}")
    return module.render


_MODULES = {
    "text": "text",
    "json": "json_format",
    "sarif": "sarif",
    "github": "github",
    "junit": "junit",
    "gitlab": "gitlab",
}

FORMATS: tuple[str, ...] = tuple(_MODULES)
