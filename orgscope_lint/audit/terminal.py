"""The audit for a person at a terminal (rich): model, matrix, findings, skipped files.

`print_report` draws on a live console (colours when it is a terminal); `render` returns
the same report as plain text, for `--format text -o FILE` and for pipes.
"""

from __future__ import annotations

import io

from rich import box
from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.rule import Rule as Heading
from rich.table import Table
from rich.text import Text

from orgscope_lint.audit.model import MARKS, OPERATIONS, AuditReport, Cell, MatrixRow

# Style of a matrix cell (and of a table's name) by its level: the worst query in it.
LEVEL_STYLES = {"unscoped": "bold red", "partial": "yellow", "scoped": "green", "empty": "dim"}
SEVERITY_STYLES = {"error": "red", "warning": "yellow", "info": "cyan"}
# Long lists are cut in the terminal; the exported formats always hold everything.
MAX_FILES = 25
MAX_SKIPPED = 30
PLAIN_WIDTH = 110


def render(report: AuditReport) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, width=PLAIN_WIDTH, color_system=None, emoji=False)
    print_report(report, console)
    return buffer.getvalue()


def print_report(report: AuditReport, console: Console) -> None:
    for part in (
        _title(report),
        _tenant_model(report),
        _matrix(report),
        _by_rule(report),
        _by_file(report),
        _skipped(report),
    ):
        console.print(part)
        console.print()


def _title(report: AuditReport) -> RenderableType:
    t = report.totals
    line = Text.assemble(
        ("orgscope-lint audit", "bold"),
        (f"  v{report.version}\n", "dim"),
        (f"{t.findings} findings", "bold red" if t.findings else "bold green"),
        f" ({t.errors} errors, {t.warnings} warnings, {t.suppressed} suppressed) · ",
        f"{t.files_checked} files checked, {t.files_analysed} analysed · ",
        f"{t.queries} queries on tenant tables",
    )
    return Panel(line, box=box.ROUNDED, expand=False)


def _section(title: str) -> Heading:
    return Heading(Text(title, style="bold"), align="left", style="dim")


def _tenant_model(report: AuditReport) -> RenderableType:
    model = report.tenant_model
    facts = Text.assemble(
        ("tenant key: ", "dim"),
        (model.tenant_key, "bold"),
        ("\nconfiguration: ", "dim"),
        model.config or "defaults (no configuration file found)",
        ("\nmigrations read: ", "dim"),
        str(len(model.schema_files)),
    )
    parts: list[RenderableType] = [_section("Tenant model"), facts]
    if model.assume_all:
        parts.append(_assume_all_warning())
    table = Table(
        "table", "key", "learned from", "queries", "row-level security", box=box.SIMPLE_HEAD
    )
    for row in model.tables:
        table.add_row(row.name, row.key, row.source, str(row.queries), row.rls or "-")
    parts.append(table if model.tables else Text("no tenant table", style="dim"))
    parts.extend(_name_line(label, names) for label, names in _name_lists(report))
    return Group(*parts)


def _assume_all_warning() -> RenderableType:
    return Panel(
        Text(
            "No schema and no tenant tables configured: EVERY table is treated as a "
            "tenant table. Point `schema` at your migrations or list `tenant-tables` / "
            "`global-tables` in [tool.orgscope-lint] (`orgscope-lint init` proposes them).",
            style="bold",
        ),
        title="assumed tenant model",
        border_style="bold red",
    )


def _name_lists(report: AuditReport) -> list[tuple[str, tuple[str, ...]]]:
    model = report.tenant_model
    return [
        ("global tables (never reported)", model.global_tables),
        ("legacy keys", model.legacy_keys),
        ("queried tables that are not tenant tables (not checked)", model.other_tables),
    ]


def _name_line(label: str, names: tuple[str, ...]) -> Text:
    return Text.assemble((f"{label}: ", "dim"), ", ".join(names) if names else "none")


def _matrix(report: AuditReport) -> RenderableType:
    heading = _section("Coverage matrix (queries per table and operation)")
    if not report.matrix:
        return Group(heading, Text("no query on a tenant table found", style="dim"))
    table = Table("table", *OPERATIONS, box=box.SIMPLE_HEAD, show_lines=False)
    for row in report.matrix:
        table.add_row(_table_name(row), *(_cell_text(cell) for cell in row.cells))
    legend = Text("  ".join(f"{mark} {meaning}" for mark, meaning in MARKS.values()), style="dim")
    return Group(heading, table, legend)


def _table_name(row: MatrixRow) -> Text:
    return Text(row.table, style=LEVEL_STYLES[row.level] if row.level != "scoped" else "")


def _cell_text(cell: Cell) -> Text:
    if not cell.total:
        return Text("·", style="dim")
    marks = " ".join(f"{MARKS[bucket][0]}{count}" for bucket, count in cell.parts())
    return Text(marks, style=LEVEL_STYLES[cell.level])


def _by_rule(report: AuditReport) -> RenderableType:
    heading = _section("Findings by rule")
    if not report.findings_by_rule:
        return Group(heading, Text("no findings", style="green"))
    table = Table("code", "name", "severity", "findings", box=box.SIMPLE_HEAD)
    for group in report.findings_by_rule:
        style = SEVERITY_STYLES.get(group.severity, "")
        table.add_row(
            Text(group.code, style=f"bold {style}"), group.name, group.severity, str(group.count)
        )
    return Group(heading, table)


def _by_file(report: AuditReport) -> RenderableType:
    heading = _section("Findings by file (worst first)")
    files = report.findings_by_file
    if not files:
        return Group(heading, Text("no findings", style="green"))
    table = Table(box=box.SIMPLE_HEAD)
    table.add_column("file", overflow="fold")
    table.add_column("findings", justify="right")
    table.add_column("by rule")
    for group in files[:MAX_FILES]:
        codes = ", ".join(f"{code}: {count}" for code, count in group.codes)
        table.add_row(group.path, str(group.count), codes)
    parts: list[RenderableType] = [heading, table]
    if len(files) > MAX_FILES:
        parts.append(_more(len(files) - MAX_FILES, "files"))
    return Group(*parts)


def _skipped(report: AuditReport) -> RenderableType:
    heading = _section("Skipped")
    if not report.skipped:
        return Group(heading, Text("nothing: every file was analysed", style="dim"))
    table = Table(box=box.SIMPLE_HEAD)
    table.add_column("file", overflow="fold")
    table.add_column("why")
    for item in report.skipped[:MAX_SKIPPED]:
        table.add_row(item.path, _skip_reason(item.kind, item.reason))
    parts: list[RenderableType] = [heading, table]
    if len(report.skipped) > MAX_SKIPPED:
        parts.append(_more(len(report.skipped) - MAX_SKIPPED, "skipped files"))
    return Group(*parts)


def _skip_reason(kind: str, reason: str) -> Text:
    if kind == "error":
        return Text.assemble(("ORG000 ", "bold red"), reason)
    if kind == "migration":
        return Text.assemble(("unreadable migration: ", "yellow"), reason)
    return Text(reason, style="dim")


def _more(count: int, what: str) -> Text:
    return Text(
        f"… and {count} more {what} (all of them in --format markdown, html or json)", style="dim"
    )
