"""The audit as plain data: built once from a `RunResult`, rendered by every format.

Nothing here prints; every renderer reads the same `AuditReport`, so the terminal, the
Markdown, the HTML and the JSON always show the same numbers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from orgscope_lint import __version__
from orgscope_lint.analysis.builder_api import TABLE_PARAM
from orgscope_lint.audit.coverage import classified
from orgscope_lint.engine import RunResult
from orgscope_lint.facts import Query
from orgscope_lint.findings import Finding, Severity
from orgscope_lint.rls.summary import rls_summary
from orgscope_lint.suppressions import SYSTEM_CONTEXT

OPERATIONS: tuple[str, ...] = ("read", "count", "update", "delete", "insert")

# The short mark of each coverage bucket in text formats, and what it means.
MARKS: dict[str, tuple[str, str]] = {
    "unscoped": ("✗", "unscoped (no tenant key)"),
    "conditional": ("~", "conditional (key on some paths)"),
    "unknown": ("?", "unknown (filter not visible)"),
    "scoped": ("✓", "scoped"),
}


@dataclass(frozen=True, slots=True)
class TenantTable:
    name: str
    key: str
    source: str  # "config: table-keys", "migrations/001_init.sql", "assumed: ..."
    queries: int  # queries on it found in the code
    # Row-level security as the migrations leave it ("" when they never mention it).
    rls: str = ""


@dataclass(frozen=True, slots=True)
class TenantModel:
    tenant_key: str
    config: str | None  # the configuration file, None when running on defaults
    assume_all: bool  # no schema, no configured tables: every table is a tenant table
    tables: tuple[TenantTable, ...]
    global_tables: tuple[str, ...]
    legacy_keys: tuple[str, ...]
    schema_files: tuple[str, ...]
    unreadable_migrations: tuple[tuple[str, str], ...]  # (path, problem)
    other_tables: tuple[str, ...]  # queried, but neither tenant nor global: not checked


@dataclass(frozen=True, slots=True)
class Cell:
    """The queries of one operation on one tenant table, counted by verdict."""

    table: str
    operation: str
    scoped: int = 0
    conditional: int = 0
    unscoped: int = 0
    unknown: int = 0

    @property
    def total(self) -> int:
        return self.scoped + self.conditional + self.unscoped + self.unknown

    def parts(self) -> tuple[tuple[str, int], ...]:
        """The non-zero counts as (bucket, count), worst bucket first."""
        counts = (
            ("unscoped", self.unscoped),
            ("conditional", self.conditional),
            ("unknown", self.unknown),
            ("scoped", self.scoped),
        )
        return tuple((bucket, count) for bucket, count in counts if count)

    @property
    def level(self) -> str:
        """`unscoped` (red), `partial` (yellow), `scoped` (green) or `empty`."""
        if self.unscoped:
            return "unscoped"
        if self.conditional or self.unknown:
            return "partial"
        return "scoped" if self.scoped else "empty"


@dataclass(frozen=True, slots=True)
class MatrixRow:
    table: str
    cells: tuple[Cell, ...]  # one per entry of OPERATIONS, in that order

    @property
    def unscoped(self) -> int:
        return sum(cell.unscoped for cell in self.cells)

    @property
    def doubtful(self) -> int:
        return sum(cell.conditional + cell.unknown for cell in self.cells)

    @property
    def level(self) -> str:
        return _worst(cell.level for cell in self.cells)


@dataclass(frozen=True, slots=True)
class FindingRow:
    path: str
    line: int
    column: int
    code: str
    name: str
    severity: str
    message: str


@dataclass(frozen=True, slots=True)
class RuleGroup:
    code: str
    name: str
    severity: str
    findings: tuple[FindingRow, ...]

    @property
    def count(self) -> int:
        return len(self.findings)


@dataclass(frozen=True, slots=True)
class FileGroup:
    path: str
    codes: tuple[tuple[str, int], ...]  # (code, count), by code
    findings: tuple[FindingRow, ...]

    @property
    def count(self) -> int:
        return len(self.findings)


@dataclass(frozen=True, slots=True)
class Skipped:
    path: str
    kind: str  # "error" (ORG000: unreadable or unparsable), "skipped", "migration"
    reason: str


@dataclass(frozen=True, slots=True)
class Totals:
    files_checked: int
    files_analysed: int
    queries: int  # on tenant tables
    findings: int  # not suppressed
    suppressed: int
    errors: int
    warnings: int


@dataclass(frozen=True, slots=True)
class AuditReport:
    version: str  # of orgscope-lint
    totals: Totals
    tenant_model: TenantModel
    matrix: tuple[MatrixRow, ...]  # worst table first
    findings_by_rule: tuple[RuleGroup, ...]
    findings_by_file: tuple[FileGroup, ...]  # worst file first
    skipped: tuple[Skipped, ...]

    @property
    def coverage(self) -> tuple[Cell, ...]:
        return tuple(cell for row in self.matrix for cell in row.cells)


def build_report(result: RunResult) -> AuditReport:
    tenant_queries = list(classified(result))
    active = [_row(f) for f in result.findings if not f.suppressed]
    return AuditReport(
        version=__version__,
        totals=_totals(result, len(tenant_queries), active),
        tenant_model=_tenant_model(result, [q for q, _ in tenant_queries]),
        matrix=_matrix(tenant_queries),
        findings_by_rule=_by_rule(active),
        findings_by_file=_by_file(active),
        skipped=_skipped(result),
    )


def _row(finding: Finding) -> FindingRow:
    return FindingRow(
        path=finding.path,
        line=finding.line,
        column=finding.column,
        code=finding.code,
        name=finding.name,
        severity=finding.severity.value,
        message=finding.message,
    )


def _totals(result: RunResult, queries: int, active: list[FindingRow]) -> Totals:
    severities = Counter(row.severity for row in active)
    return Totals(
        files_checked=result.files_checked,
        files_analysed=sum(1 for f in result.facts if not f.error and not f.skipped),
        queries=queries,
        findings=len(active),
        suppressed=len(result.findings) - len(active),
        errors=severities[Severity.ERROR.value],
        warnings=severities[Severity.WARNING.value],
    )


def _tenant_model(result: RunResult, tenant_queries: list[Query]) -> TenantModel:
    project = result.project
    config = project.config
    per_table = Counter(query.table for query in tenant_queries)
    names = set(project.tables) | set(per_table) | set(project.parents) | set(project.tenant_rows)
    tables = (
        tuple(
            TenantTable(
                name, key, project.source_for(name), per_table[name], rls_summary(name, project)
            )
            for name in sorted(names)
            if (key := project.key_for(name)) is not None
        )
        + tuple(
            TenantTable(name, "id (the tenant's own row)", source, per_table[name])
            for name, source in sorted(project.tenant_rows.items())
        )
        + tuple(
            TenantTable(name, f"through {link.describe()}", link.source, per_table[name])
            for name, link in sorted(project.parents.items())
        )
    )
    # A table a caller names (`?table`) is a helper's parameter, not a table.
    queried = {
        q.table
        for facts in result.facts
        for q in facts.queries
        if not q.table.startswith(TABLE_PARAM)
    }
    others = sorted(queried - names - set(config.global_tables))
    return TenantModel(
        tenant_key=config.tenant_key,
        config=str(config.source) if config.source else None,
        assume_all=project.assume_all,
        tables=tables,
        global_tables=tuple(sorted(config.global_tables)),
        legacy_keys=tuple(config.legacy_keys),
        schema_files=tuple(project.schema.files),
        unreadable_migrations=tuple(project.schema.unreadable),
        other_tables=tuple(others),
    )


def _matrix(tenant_queries: list[tuple[Query, str]]) -> tuple[MatrixRow, ...]:
    counts: Counter[tuple[str, str, str]] = Counter()
    for query, bucket in tenant_queries:
        counts[(query.table, query.operation, bucket)] += 1
    tables = sorted({table for table, _, _ in counts})
    rows = [
        MatrixRow(table, tuple(_cell(table, op, counts) for op in OPERATIONS)) for table in tables
    ]
    rows.sort(key=lambda row: (_LEVELS.index(row.level), -row.unscoped, -row.doubtful, row.table))
    return tuple(rows)


def _cell(table: str, operation: str, counts: Counter[tuple[str, str, str]]) -> Cell:
    def n(bucket: str) -> int:
        return counts[(table, operation, bucket)]

    return Cell(table, operation, n("scoped"), n("conditional"), n("unscoped"), n("unknown"))


_LEVELS = ("unscoped", "partial", "scoped", "empty")


def _worst(levels: Iterable[str]) -> str:
    return min(levels, key=_LEVELS.index, default="empty")


def _by_rule(active: list[FindingRow]) -> tuple[RuleGroup, ...]:
    groups: dict[str, list[FindingRow]] = {}
    for row in active:
        groups.setdefault(row.code, []).append(row)
    ordered = sorted(groups.values(), key=lambda rows: (-len(rows), rows[0].code))
    return tuple(
        RuleGroup(rows[0].code, rows[0].name, rows[0].severity, tuple(rows)) for rows in ordered
    )


def _by_file(active: list[FindingRow]) -> tuple[FileGroup, ...]:
    groups: dict[str, list[FindingRow]] = {}
    for row in active:
        groups.setdefault(row.path, []).append(row)

    def worst_first(path: str) -> tuple[int, int, str]:
        rows = groups[path]
        return (-sum(r.severity == Severity.ERROR.value for r in rows), -len(rows), path)

    return tuple(
        FileGroup(
            path, tuple(sorted(Counter(r.code for r in groups[path]).items())), tuple(groups[path])
        )
        for path in sorted(groups, key=worst_first)
    )


def _skipped(result: RunResult) -> tuple[Skipped, ...]:
    files = [
        Skipped(facts.path, "error", facts.error.message)
        if facts.error is not None
        else Skipped(facts.path, "skipped", facts.skipped or "")
        for facts in result.facts
        if facts.error is not None or facts.skipped
    ]
    files.sort(key=lambda item: (item.kind != "error", item.path))
    migrations = [
        Skipped(path, "migration", problem) for path, problem in result.project.schema.unreadable
    ]
    return (*files, *migrations, *_system_contexts(result))


def _system_contexts(result: RunResult) -> list[Skipped]:
    """Code recognised as deliberately cross-tenant: which findings that exempted, and why."""
    exempted: dict[tuple[str, str], list[str]] = {}
    for finding in result.findings:
        reason = finding.suppression_reason or ""
        if finding.suppressed and reason.startswith(SYSTEM_CONTEXT):
            exempted.setdefault((finding.path, reason), []).append(
                f"{finding.code} at line {finding.line}"
            )
    return [
        Skipped(path, "system-context", f"{reason}; exempts {', '.join(sites)}")
        for (path, reason), sites in sorted(exempted.items())
    ]
