"""What a rule reports: one `Finding` per faulty site, as plain data."""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, replace


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Span:
    """A source range; lines and columns are 1-based, the end column is exclusive."""

    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(frozen=True, slots=True)
class Related:
    """Another site a finding stands for or relies on: a follow-up query, a check."""

    path: str
    line: int
    message: str


@dataclass(frozen=True, slots=True)
class Finding:
    path: str
    span: Span
    code: str
    name: str
    severity: Severity
    message: str
    table: str | None = None
    operation: str | None = None
    # The stripped source text of the reported line: the line-independent part of the
    # fingerprint, so a finding keeps its identity when unrelated lines move it.
    snippet: str = ""
    fix: dict[str, object] | None = None
    suppressed: bool = False
    suppression_reason: str | None = None
    related: tuple[Related, ...] = ()

    @property
    def line(self) -> int:
        return self.span.line

    @property
    def column(self) -> int:
        return self.span.column

    @property
    def fingerprint(self) -> str:
        """Stable identity across unrelated edits: no line number goes into it."""
        basis = "\x1f".join(
            (self.path, self.code, self.table or "", self.operation or "", _squash(self.snippet))
        )
        # surrogateescape: a file name that is not UTF-8 keeps its own bytes.
        return hashlib.sha256(basis.encode("utf-8", "surrogateescape")).hexdigest()[:16]

    def suppress(self, reason: str | None) -> Finding:
        return replace(self, suppressed=True, suppression_reason=reason)

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.span.line, self.span.column, self.code)


def _squash(text: str) -> str:
    return "".join(text.split())
