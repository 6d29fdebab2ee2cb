"""Plain text in ruff's shape, and a coloured variant with code frames for terminals.

`render` is what pipes, files and editors' problem matchers read: one
`path:line:col: CODE message` line per finding and a one-line summary. `render_rich` is
for a person at a terminal.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from orgscope_lint.findings import Finding, Severity
from orgscope_lint.reporters import Report, ordered

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

# Lines of source shown above and below the reported line.
CONTEXT_LINES = 2
TAB_SIZE = 4

SEVERITY_STYLES = {
    Severity.ERROR: "red",
    Severity.WARNING: "yellow",
    Severity.INFO: "cyan",
}


def render(report: Report) -> str:
    active = ordered(report.active)
    lines = [line for finding in active for line in (header(finding), *also(finding))]
    if lines:
        lines.append("")
    lines.append(summary(report))
    return "\n".join(lines) + "\n"


def header(finding: Finding) -> str:
    return f"{finding.path}:{finding.line}:{finding.column}: {finding.code} {finding.message}"


def also(finding: Finding) -> list[str]:
    """`  also: path:line` for each related site, under its finding."""
    return [f"  also: {r.path}:{r.line}: {r.message}" for r in finding.related]


def summary(report: Report) -> str:
    return "".join(text for text, _ in summary_parts(report))


def summary_parts(report: Report) -> list[tuple[str, str]]:
    """The summary line as (text, rich style) pieces: one wording for both outputs."""
    active = report.active
    notes = _notes(report)
    if not active:
        parts = [("All checks passed!", "bold green")]
        return parts + ([(f" ({notes})", "dim")] if notes else [])
    counts = Counter(finding.severity for finding in active)
    noun = "finding" if len(active) == 1 else "findings"
    parts = [(f"Found {len(active)} {noun}: ", "bold")]
    for index, severity in enumerate(s for s in Severity if counts[s]):
        if index:
            parts.append((", ", ""))
        parts.append((_plural(counts[severity], severity), SEVERITY_STYLES[severity]))
    if notes:
        parts.append((f" ({notes})", "dim"))
    return [*parts, (".", "")]


def _notes(report: Report) -> str:
    suppressed = len(report.findings) - len(report.active)
    notes = []
    if suppressed:
        notes.append(f"{suppressed} suppressed")
    if report.fixed:
        notes.append(f"{report.fixed} fixed")
    return ", ".join(notes)


def render_rich(report: Report, console: Console) -> None:
    # rich is imported here, not at module level: plain output must stay cheap to import.
    from rich.text import Text

    sources = _SourceCache(report.cwd)
    for finding in ordered(report.active):
        console.print(_rich_header(finding))
        for line in also(finding):
            console.print(Text(line, style="dim"))
        frame = _code_frame(finding, sources.lines(finding.path))
        if frame is not None:
            console.print(frame)
        console.print()
    console.print(_rich_summary(report))
    fixable = sum(1 for finding in report.active if finding.fix)
    if fixable:
        console.print(Text(f"{fixable} fixable with `--fix`.", style="dim"))


def _rich_header(finding: Finding) -> Text:
    from rich.text import Text

    style = SEVERITY_STYLES.get(finding.severity, "")
    # Text pieces, never markup: a message may contain brackets.
    return Text.assemble(
        (finding.path, "bold"),
        (f":{finding.line}:{finding.column}: ", "dim"),
        (finding.code, f"bold {style}"),
        " ",
        finding.message,
    )


def _code_frame(finding: Finding, source: list[str] | None) -> Text | None:
    from rich.text import Text

    line_no = finding.span.line
    if source is None or not 1 <= line_no <= len(source):
        return None
    first = max(1, line_no - CONTEXT_LINES)
    last = min(len(source), line_no + CONTEXT_LINES)
    width = len(str(last))
    frame = Text()
    for number in range(first, last + 1):
        code = source[number - 1]
        reported = number == line_no
        frame.append(f"{number:>{width}} │ ", style="bold" if reported else "dim")
        frame.append(code.expandtabs(TAB_SIZE) + "\n", style="" if reported else "dim")
        if reported:
            start, end = _caret_cells(finding, code)
            style = SEVERITY_STYLES.get(finding.severity, "")
            frame.append(f"{'':>{width}} │ ", style="dim")
            frame.append(" " * start + "^" * max(1, end - start) + "\n", style=f"bold {style}")
    frame.rstrip()
    return frame


def _caret_cells(finding: Finding, code: str) -> tuple[int, int]:
    """Terminal cells before and up to the end of the span on its first line.

    Columns count code points; a terminal counts cells, and tabs and wide characters
    make the two differ. Tab stops depend only on what precedes them, so expanding each
    prefix on its own lands where expanding the whole line would.
    """
    from rich.cells import cell_len

    span = finding.span
    start_col = min(max(span.column, 1), len(code) + 1)
    end_col = span.end_column if span.end_line == span.line else len(code) + 1
    end_col = min(max(end_col, start_col), len(code) + 1)
    start = cell_len(code[: start_col - 1].expandtabs(TAB_SIZE))
    end = cell_len(code[: end_col - 1].expandtabs(TAB_SIZE))
    return start, end


def _rich_summary(report: Report) -> Text:
    from rich.text import Text

    text = Text()
    for piece, style in summary_parts(report):
        text.append(piece, style=style)
    return text


def _plural(count: int, severity: Severity) -> str:
    word = severity.value
    # "info" is a mass noun: "2 info", not "2 infos".
    if count != 1 and severity is not Severity.INFO:
        word += "s"
    return f"{count} {word}"


class _SourceCache:
    """Each file read once per report; a file that can't be read has no frame."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._cache: dict[str, list[str] | None] = {}

    def lines(self, path: str) -> list[str] | None:
        if path not in self._cache:
            self._cache[path] = self._read(path)
        return self._cache[path]

    def _read(self, path: str) -> list[str] | None:
        try:
            # Universal newlines, as the parser sees them: `\r\n` and `\r` end a line too.
            text = (self.root / path).read_text(encoding="utf-8", errors="replace")
        except (OSError, ValueError):
            return None
        return text.split("\n")
