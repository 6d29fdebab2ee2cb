"""The audit as one self-contained HTML page: inline CSS, no script, nothing fetched.

Every piece of text from the project (paths, table names, messages, error texts) goes
through `html.escape`; backtick spans in messages become `<code>` after escaping.
"""

from __future__ import annotations

import re
from html import escape

from orgscope_lint.audit.model import (
    OPERATIONS,
    AuditReport,
    Cell,
    FileGroup,
    FindingRow,
    RuleGroup,
    TenantModel,
)

_CODE_SPAN = re.compile(r"`([^`]+)`")

LEGEND = (
    (
        "unscoped",
        "any unscoped query: no tenant key, no filter, a legacy key only, a helper that "
        "drops its org, or a tenant id taken from the request",
    ),
    ("partial", "conditional (key on some paths, or an id that may be missing) or unknown"),
    ("scoped", "every query scoped"),
    ("empty", "no query"),
)

CSS = """
:root { color-scheme: light; --red: #b42318; --red-bg: #fde4e1; --yellow: #8a6100;
  --yellow-bg: #fff3c4; --green: #1f7a3a; --green-bg: #e1f5e6; --line: #d8dce3;
  --muted: #5d6675; --ink: #1d2330; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 -apple-system, "Segoe UI", Roboto, "Helvetica Neue",
  Arial, sans-serif; color: var(--ink); background: #f5f6f8; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 0 0 12px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px;
  padding: 18px 22px; margin: 18px 0; }
.sub { color: var(--muted); margin: 0 0 14px; }
code { font: 13px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  background: #f0f2f5; border-radius: 4px; padding: 1px 4px; overflow-wrap: anywhere; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px;
  padding: 10px 14px; flex: 1 1 0; min-width: 100px; }
.card b { display: block; font-size: 24px; }
.card span { color: var(--muted); font-size: 13px; }
.card.bad b { color: var(--red); }
.card.good b { color: var(--green); }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line);
  vertical-align: top; }
th { font-size: 13px; color: var(--muted); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0 0 14px; }
dt { color: var(--muted); }
dd { margin: 0; }
.warning { border: 2px solid var(--red); background: var(--red-bg); color: var(--red);
  border-radius: 6px; padding: 10px 14px; margin: 0 0 14px; font-weight: 600; }
table.matrix td, table.matrix th { text-align: center; border: 1px solid #fff; }
table.matrix th:first-child, table.matrix td:first-child { text-align: left; }
table.matrix td.cell { min-width: 110px; font-size: 13px; }
td.unscoped { background: var(--red-bg); color: var(--red); }
td.unscoped .unscoped { font-weight: 700; }
td.partial { background: var(--yellow-bg); color: var(--yellow); }
td.scoped { background: var(--green-bg); color: var(--green); }
td.empty { background: #f3f4f6; color: #a0a7b4; }
td.cell span { display: block; white-space: nowrap; }
.dot { display: inline-block; width: 10px; height: 10px; border-radius: 50%;
  margin-right: 8px; vertical-align: baseline; }
.dot.unscoped { background: var(--red); } .dot.partial { background: #e0a800; }
.dot.scoped { background: var(--green); } .dot.empty { background: #c4c9d2; }
.legend { color: var(--muted); font-size: 13px; margin-top: 10px; }
.legend > span { margin-right: 18px; white-space: nowrap; display: inline-block; }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 3px;
  margin-right: 6px; vertical-align: -1px; }
.swatch.unscoped { background: var(--red-bg); border: 1px solid var(--red); }
.swatch.partial { background: var(--yellow-bg); border: 1px solid #e0a800; }
.swatch.scoped { background: var(--green-bg); border: 1px solid var(--green); }
.swatch.empty { background: #f3f4f6; border: 1px solid #c4c9d2; }
.sev { font-size: 12px; font-weight: 600; border-radius: 10px; padding: 1px 8px; }
.sev.error { background: var(--red-bg); color: var(--red); }
.sev.warning { background: var(--yellow-bg); color: var(--yellow); }
.sev.info { background: #e0f0ff; color: #1b5e9b; }
.chip { display: inline-block; background: #eef0f4; border-radius: 10px; padding: 0 8px;
  margin: 0 4px 2px 0; font-size: 12px; }
details { border-top: 1px solid var(--line); padding: 6px 0; }
summary { cursor: pointer; font-weight: 600; }
ul.findings { list-style: none; padding: 0; margin: 6px 0 0; }
ul.findings li { padding: 3px 0 3px 12px; border-left: 3px solid var(--line); margin: 3px 0; }
ul.findings li.error { border-left-color: var(--red); }
ul.findings li.warning { border-left-color: #e0a800; }
.none { color: var(--muted); }
.loc { font: 12.5px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  color: var(--muted); margin-right: 8px; overflow-wrap: anywhere; }
footer { color: var(--muted); font-size: 12px; text-align: center; }
"""


def render(report: AuditReport) -> str:
    body = "\n".join(
        (
            _header(report),
            _tenant_model(report.tenant_model),
            _matrix(report),
            _by_rule(report.findings_by_rule),
            _by_file(report.findings_by_file),
            _skipped(report),
            f"<footer>orgscope-lint {escape(report.version)}</footer>",
        )
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "<title>orgscope-lint audit</title>\n"
        f"<style>{CSS}</style>\n</head>\n<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def message_html(text: str) -> str:
    """Escaped text where `backtick spans` become <code> elements."""
    pieces = _CODE_SPAN.split(text)
    return "".join(
        f"<code>{escape(piece)}</code>" if index % 2 else escape(piece)
        for index, piece in enumerate(pieces)
    )


def _code(text: str) -> str:
    return f"<code>{escape(text)}</code>"


def _header(report: AuditReport) -> str:
    t = report.totals
    unscoped = sum(cell.unscoped for cell in report.coverage)
    cards = (
        (t.findings, "findings", "bad" if t.findings else "good"),
        (t.errors, "errors", "bad" if t.errors else ""),
        (t.warnings, "warnings", ""),
        (t.suppressed, "suppressed", ""),
        (unscoped, "unscoped queries", "bad" if unscoped else "good"),
        (t.queries, "queries on tenant tables", ""),
        (t.files_checked, "files checked", ""),
        (t.files_analysed, "files analysed", ""),
    )
    html_cards = "".join(
        f'<div class="card {kind}"><b>{value}</b><span>{escape(label)}</span></div>'
        for value, label, kind in cards
    )
    return (
        "<header><h1>orgscope-lint audit</h1>"
        '<p class="sub">Tenant isolation of the queries in this repository.</p>'
        f'<div class="cards">{html_cards}</div></header>'
    )


def _tenant_model(model: TenantModel) -> str:
    where = _code(model.config) if model.config else "defaults (no configuration file found)"
    facts = (
        ("tenant key", _code(model.tenant_key)),
        ("configuration", where),
        ("migrations read", str(len(model.schema_files))),
        ("global tables", _names(model.global_tables) + " (never reported)"),
        ("legacy keys", _names(model.legacy_keys)),
        ("not tenant tables", _names(model.other_tables) + " (queried, not checked)"),
    )
    rows = "".join(f"<dt>{escape(label)}</dt><dd>{value}</dd>" for label, value in facts)
    parts = ['<section id="tenant-model"><h2>Tenant model</h2>', f"<dl>{rows}</dl>"]
    if model.assume_all:
        parts.append(
            '<div class="warning">No schema and no tenant tables configured: every table '
            "is treated as a tenant table. Point <code>schema</code> at your migrations or "
            "list <code>tenant-tables</code> / <code>global-tables</code> in "
            "<code>[tool.orgscope-lint]</code> (<code>orgscope-lint init</code> proposes "
            "them).</div>"
        )
    parts.append(_tenant_tables(model))
    return "".join(parts) + "</section>"


def _names(names: tuple[str, ...]) -> str:
    return ", ".join(_code(name) for name in names) if names else '<span class="none">none</span>'


def _tenant_tables(model: TenantModel) -> str:
    if not model.tables:
        return '<p class="none">No tenant table.</p>'
    rows = "".join(
        f"<tr><td>{_code(t.name)}</td><td>{_code(t.key)}</td><td>{escape(t.source)}</td>"
        f'<td class="num">{t.queries}</td><td>{escape(t.rls or "-")}</td></tr>'
        for t in model.tables
    )
    head = (
        '<tr><th>table</th><th>key</th><th>learned from</th><th class="num">queries</th>'
        "<th>row-level security</th></tr>"
    )
    return f"<table>{head}{rows}</table>"


def _matrix(report: AuditReport) -> str:
    parts = [
        '<section id="coverage"><h2>Coverage matrix</h2>',
        '<p class="sub">Queries on each tenant table by operation; worst tables first.</p>',
    ]
    if not report.matrix:
        parts.append('<p class="none">No query on a tenant table found.</p>')
        return "".join(parts) + "</section>"
    head = "".join(f"<th>{escape(op)}</th>" for op in OPERATIONS)
    rows = "".join(
        f'<tr><td><span class="dot {row.level}"></span>{_code(row.table)}</td>'
        + "".join(_cell(cell) for cell in row.cells)
        + "</tr>"
        for row in report.matrix
    )
    legend = "".join(
        f'<span><span class="swatch {level}"></span>{escape(meaning)}</span>'
        for level, meaning in LEGEND
    )
    parts.append(f'<table class="matrix"><tr><th>table</th>{head}</tr>{rows}</table>')
    parts.append(f'<div class="legend">{legend}</div>')
    return "".join(parts) + "</section>"


def _cell(cell: Cell) -> str:
    if not cell.total:
        return '<td class="cell empty">&ndash;</td>'
    lines = "".join(
        f'<span class="{bucket}">{count} {escape(bucket)}</span>' for bucket, count in cell.parts()
    )
    title = escape(f"{cell.table} {cell.operation}: {cell.total} queries")
    return f'<td class="cell {cell.level}" title="{title}">{lines}</td>'


def _by_rule(groups: tuple[RuleGroup, ...]) -> str:
    parts = ['<section id="findings-by-rule"><h2>Findings by rule</h2>']
    if not groups:
        return parts[0] + '<p class="none">No findings.</p></section>'
    head = '<tr><th>code</th><th>name</th><th>severity</th><th class="num">findings</th></tr>'
    rows = "".join(
        f"<tr><td><b>{escape(g.code)}</b></td><td>{escape(g.name)}</td>"
        f'<td><span class="sev {escape(g.severity)}">{escape(g.severity)}</span></td>'
        f'<td class="num">{g.count}</td></tr>'
        for g in groups
    )
    parts.append(f"<table>{head}{rows}</table>")
    for g in groups:
        items = "".join(
            _finding_item(f, f"{_location(f)} {message_html(f.message)}") for f in g.findings
        )
        parts.append(
            f"<details open><summary>{escape(g.code)} {escape(g.name)} ({g.count})</summary>"
            f'<ul class="findings">{items}</ul></details>'
        )
    return "".join(parts) + "</section>"


def _by_file(groups: tuple[FileGroup, ...]) -> str:
    parts = ['<section id="findings-by-file"><h2>Findings by file</h2>']
    if not groups:
        return parts[0] + '<p class="none">No findings.</p></section>'
    parts.append('<p class="sub">Worst files first.</p>')
    for g in groups:
        chips = "".join(f'<span class="chip">{escape(c)} &times; {n}</span>' for c, n in g.codes)
        items = "".join(
            _finding_item(f, f"{_location(f)} <b>{escape(f.code)}</b> {message_html(f.message)}")
            for f in g.findings
        )
        parts.append(
            f"<details><summary>{_code(g.path)} ({g.count}) {chips}</summary>"
            f'<ul class="findings">{items}</ul></details>'
        )
    return "".join(parts) + "</section>"


def _finding_item(finding: FindingRow, content: str) -> str:
    return f'<li class="{escape(finding.severity)}">{content}</li>'


def _location(finding: FindingRow) -> str:
    return f'<span class="loc">{escape(f"{finding.path}:{finding.line}:{finding.column}")}</span>'


def _skipped(report: AuditReport) -> str:
    parts = ['<section id="skipped"><h2>Skipped</h2>']
    if not report.skipped:
        return parts[0] + '<p class="none">Nothing: every file was analysed.</p></section>'
    kinds = {
        "error": "ORG000 error",
        "skipped": "skipped",
        "migration": "unreadable migration",
        "system-context": "system context",
    }
    rows = "".join(
        f"<tr><td>{_code(item.path)}</td><td>{escape(kinds.get(item.kind, item.kind))}</td>"
        f"<td>{escape(item.reason)}</td></tr>"
        for item in report.skipped
    )
    head = "<tr><th>file</th><th>kind</th><th>why</th></tr>"
    return "".join(parts) + f"<table>{head}{rows}</table></section>"
