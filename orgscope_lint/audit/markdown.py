"""The audit as GitHub-flavoured Markdown: for a pull-request comment, a wiki, a ticket."""

from __future__ import annotations

import re

from orgscope_lint.audit.model import MARKS, OPERATIONS, AuditReport, Cell, FindingRow

LEVEL_BADGES = {"unscoped": "🔴", "partial": "🟡", "scoped": "🟢", "empty": ""}
_BACKTICKS = re.compile(r"`+")


def render(report: AuditReport) -> str:
    sections = (
        _title(report),
        _tenant_model(report),
        _matrix(report),
        _by_rule(report),
        _by_file(report),
        _skipped(report),
    )
    return "\n\n".join("\n".join(lines) for lines in sections) + "\n"


def code(text: str) -> str:
    """`text` as an inline code span, whatever backticks it holds."""
    text = _one_line(text)
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def inline(text: str) -> str:
    """Prose that stays on one line and cannot open HTML; code spans are kept as written."""
    pieces = re.split(r"(`+[^`]*`+)", _one_line(text))
    return "".join(
        piece if piece.startswith("`") else piece.replace("<", "&lt;").replace(">", "&gt;")
        for piece in pieces
    )


def cell(text: str) -> str:
    """`text` made safe inside a table cell: a `|` would end the cell, even in code."""
    return text.replace("|", "\\|")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _row(*values: str) -> str:
    return "| " + " | ".join(values) + " |"


def _header(*names: str, right: tuple[int, ...] = ()) -> list[str]:
    rule = ["---:" if index in right else "---" for index in range(len(names))]
    return [_row(*names), _row(*rule)]


def _title(report: AuditReport) -> list[str]:
    t = report.totals
    return [
        "# orgscope-lint audit",
        "",
        f"**{t.findings} findings** ({t.errors} errors, {t.warnings} warnings, "
        f"{t.suppressed} suppressed) · {t.files_checked} files checked, "
        f"{t.files_analysed} analysed · {t.queries} queries on tenant tables · "
        f"orgscope-lint {report.version}",
    ]


def _tenant_model(report: AuditReport) -> list[str]:
    model = report.tenant_model
    where = code(model.config) if model.config else "defaults (no configuration file found)"
    lines = [
        "## Tenant model",
        "",
        f"- Tenant key: {code(model.tenant_key)}",
        f"- Configuration: {where}",
        f"- Migrations read: {len(model.schema_files)}",
        f"- Global tables (never reported): {_names(model.global_tables)}",
        f"- Legacy keys: {_names(model.legacy_keys)}",
        f"- Queried tables that are not tenant tables (not checked): {_names(model.other_tables)}",
    ]
    if model.assume_all:
        lines += [
            "",
            "> [!WARNING]",
            "> **No schema and no tenant tables configured: every table is treated as a "
            "tenant table.** Point `schema` at your migrations or list `tenant-tables` / "
            "`global-tables` in `[tool.orgscope-lint]` (`orgscope-lint init` proposes them).",
        ]
    if not model.tables:
        return [*lines, "", "No tenant table."]
    lines += [
        "",
        *_header("table", "key", "learned from", "queries", "row-level security", right=(3,)),
    ]
    for table in model.tables:
        lines.append(
            _row(
                cell(code(table.name)),
                cell(code(table.key)),
                cell(inline(table.source)),
                str(table.queries),
                cell(inline(table.rls or "-")),
            )
        )
    return lines


def _names(names: tuple[str, ...]) -> str:
    return ", ".join(code(name) for name in names) if names else "none"


def _matrix(report: AuditReport) -> list[str]:
    lines = ["## Coverage matrix", ""]
    if not report.matrix:
        return [*lines, "No query on a tenant table found."]
    lines += _header("table", *OPERATIONS)
    for row in report.matrix:
        badge = LEVEL_BADGES[row.level]
        name = f"{badge} {code(row.table)}".strip()
        lines.append(_row(cell(name), *(_cell(c) for c in row.cells)))
    legend = " · ".join(f"{mark} {meaning}" for mark, meaning in MARKS.values())
    return [*lines, "", f"Legend: {legend}. Tables are listed worst first."]


def _cell(item: Cell) -> str:
    if not item.total:
        return "·"
    marks = " ".join(f"{MARKS[bucket][0]}{count}" for bucket, count in item.parts())
    return f"{LEVEL_BADGES[item.level]} {marks}"


def _by_rule(report: AuditReport) -> list[str]:
    lines = ["## Findings by rule", ""]
    if not report.findings_by_rule:
        return [*lines, "No findings."]
    lines += _header("code", "name", "severity", "findings", right=(3,))
    for group in report.findings_by_rule:
        lines.append(_row(group.code, cell(code(group.name)), group.severity, str(group.count)))
    for group in report.findings_by_rule:
        lines += ["", f"### {group.code} {inline(group.name)} ({group.count})", ""]
        lines += [f"- {_location(f)} {inline(f.message)}" for f in group.findings]
    return lines


def _by_file(report: AuditReport) -> list[str]:
    lines = ["## Findings by file", ""]
    if not report.findings_by_file:
        return [*lines, "No findings."]
    lines += _header("file", "findings", "by rule", right=(1,))
    for group in report.findings_by_file:
        codes = ", ".join(f"{c}: {n}" for c, n in group.codes)
        lines.append(_row(cell(code(group.path)), str(group.count), codes))
    for group in report.findings_by_file:
        lines += ["", f"### {code(group.path)} ({group.count})", ""]
        lines += [f"- {_location(f)} {f.code} {inline(f.message)}" for f in group.findings]
    return lines


def _location(finding: FindingRow) -> str:
    return code(f"{finding.path}:{finding.line}:{finding.column}")


def _skipped(report: AuditReport) -> list[str]:
    lines = ["## Skipped", ""]
    if not report.skipped:
        return [*lines, "Nothing: every file was analysed."]
    lines += _header("file", "kind", "why")
    for item in report.skipped:
        lines.append(_row(cell(code(item.path)), item.kind, cell(inline(item.reason))))
    return lines
