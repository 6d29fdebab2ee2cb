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
from orgscope_lint.sources import text_encoding

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
    if report.baselined:
        notes.append(f"{report.baselined} hidden by the baseline")
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
        frame = _code_frame(finding, sources.lines(finding.path), console.width)
        if frame is not None:
            console.print(frame, no_wrap=True, overflow="ignore", crop=False)
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


def _code_frame(finding: Finding, source: list[str] | None, width: int = 0) -> Text | None:
    """The reported line with its neighbours and a caret under the span, fitted to `width`
    terminal cells (0: no limit): long lines are cut with an ellipsis, and when the span
    lies beyond the right edge every line of the frame scrolls by the same amount, so
    the caret stays under the code it marks."""
    from rich.text import Text

    line_no = finding.span.line
    if source is None or not 1 <= line_no <= len(source):
        return None
    first = max(1, line_no - CONTEXT_LINES)
    last = min(len(source), line_no + CONTEXT_LINES)
    number_width = len(str(last))
    gutter = number_width + len(" │ ")
    code = source[line_no - 1]
    start, end = _caret_cells(finding, code)
    window = _Window.around(start, end, max(width - gutter, MIN_CODE_CELLS) if width else 0)
    frame = Text()
    for number in range(first, last + 1):
        reported = number == line_no
        frame.append(f"{number:>{number_width}} │ ", style="bold" if reported else "dim")
        shown = window.cut(source[number - 1].expandtabs(TAB_SIZE))
        frame.append(shown + "\n", style="" if reported else "dim")
        if reported:
            style = SEVERITY_STYLES.get(finding.severity, "")
            left, right = window.caret(start, end)
            frame.append(f"{'':>{number_width}} │ ", style="dim")
            frame.append(" " * left + "^" * (right - left) + "\n", style=f"bold {style}")
    frame.rstrip()
    return frame


ELLIPSIS = "…"
# However narrow the terminal, this much code is shown (the terminal wraps the rest).
MIN_CODE_CELLS = 16
# Cells of code kept visible left of the span when the frame scrolls to reach it.
LEFT_CONTEXT = 8


class _Window:
    """The columns of terminal cells a frame shows: [offset, offset + size)."""

    def __init__(self, offset: int, size: int) -> None:
        self.offset = offset
        self.size = size  # 0: unlimited

    @classmethod
    def around(cls, start: int, end: int, size: int) -> _Window:
        # Scroll only when the start of the span would not show, so the usual frame,
        # code cut at the right edge, keeps its left margin.
        if not size or start < size - 1:
            return cls(0, size)
        return cls(max(0, start - LEFT_CONTEXT), size)

    def cut(self, line: str) -> str:
        """`line` (tabs expanded) as the window shows it, at most `size` cells."""
        if not self.size:
            return line
        from rich.cells import cell_len

        text = _cells_from(line, self.offset)
        if self.offset and text:  # a line that ends left of the window shows nothing
            text = ELLIPSIS + _cells_from(text, 1)
        if cell_len(text) > self.size:
            text = _cells_upto(text, self.size - 1) + ELLIPSIS
        return text

    def caret(self, start: int, end: int) -> tuple[int, int]:
        """The span's cells inside the window: at least one caret, never past the edge."""
        left = max(start - self.offset, 1 if self.offset else 0)
        right = max(end - self.offset, left + 1)
        if self.size:
            left = min(left, self.size - 1)
            right = min(right, self.size)
        return left, max(right, left + 1)


def _cells_from(text: str, cells: int) -> str:
    """`text` without its first `cells` cells; a wide character cut in two leaves a space
    for its second half, so what follows stays in its column."""
    from rich.cells import get_character_cell_size

    used = 0
    for index, char in enumerate(text):
        if used >= cells:
            return " " * (used - cells) + text[index:]
        used += get_character_cell_size(char)
    return ""


def _cells_upto(text: str, cells: int) -> str:
    """The longest start of `text` that fits in `cells` cells."""
    from rich.cells import get_character_cell_size

    used = 0
    for index, char in enumerate(text):
        used += get_character_cell_size(char)
        if used > cells:
            return text[:index]
    return text


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
            data = (self.root / path).read_bytes()
        except (OSError, ValueError):
            return None
        # Universal newlines, as the parser sees them: `\r\n` and `\r` end a line too.
        text = data.decode(text_encoding(data), errors="replace")
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        return text.split("\n")
