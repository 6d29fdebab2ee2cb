"""The audit as JSON, for dashboards and scripts. The structure is stable: keys are only
ever added, and `version` changes if one is removed or changes meaning.

```
{
  "version": 1,
  "tool": {"name": "orgscope-lint", "version": "0.1.0"},
  "totals": {"files_checked", "files_analysed", "queries", "findings", "suppressed",
             "errors", "warnings"},
  "tenant_model": {
    "tenant_key": "clerk_org_id",
    "config": "pyproject.toml" | null,          # null: built-in defaults
    "assume_all": false,                        # true: every table treated as tenant
    "tables": [{"name", "key", "source", "queries", "rls"}],  # rls: one line, "" if none
    "global_tables": [...], "legacy_keys": [...],
    "other_tables": [...],                      # queried, neither tenant nor global
    "schema_files": [...],
    "unreadable_migrations": [{"path", "problem"}]
  },
  "coverage": [{"table", "operation", "scoped", "conditional", "unscoped", "unknown"}],
  "findings_by_rule": [{"code", "name", "severity", "count",
                        "findings": [{"path", "line", "column", "message"}]}],
  "findings_by_file": [{"path", "count", "codes": {"ORG001": 2, ...},
                        "findings": [{"line", "column", "code", "severity", "message"}]}],
  "skipped": [{"path", "kind", "reason"}]      # kind: error | skipped | migration | system-context
}
```

`coverage` holds one entry per tenant table that is queried and per operation (`read`,
`count`, `update`, `delete`, `insert`), tables worst first; `unscoped` counts queries with
no tenant key on any path, no filter at all, only a legacy key, inside a helper that drops
its org, or with a tenant id taken from the request; `conditional` the key on some paths
only or an id that may be missing; `unknown` a filter the analysis cannot see into.
`findings_by_rule` is by count, `findings_by_file` worst first. Paths are relative to the
current directory, lines and columns 1-based.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from orgscope_lint.audit.model import AuditReport, FileGroup, RuleGroup, TenantModel

VERSION = 1


def render(report: AuditReport) -> str:
    return json.dumps(to_data(report), indent=2, ensure_ascii=False) + "\n"


def to_data(report: AuditReport) -> dict[str, Any]:
    return {
        "version": VERSION,
        "tool": {"name": "orgscope-lint", "version": report.version},
        "totals": asdict(report.totals),
        "tenant_model": _tenant_model(report.tenant_model),
        "coverage": [asdict(cell) for cell in report.coverage],
        "findings_by_rule": [_rule(group) for group in report.findings_by_rule],
        "findings_by_file": [_file(group) for group in report.findings_by_file],
        "skipped": [asdict(item) for item in report.skipped],
    }


def _tenant_model(model: TenantModel) -> dict[str, Any]:
    return {
        "tenant_key": model.tenant_key,
        "config": model.config,
        "assume_all": model.assume_all,
        "tables": [asdict(table) for table in model.tables],
        "global_tables": list(model.global_tables),
        "legacy_keys": list(model.legacy_keys),
        "other_tables": list(model.other_tables),
        "schema_files": list(model.schema_files),
        "unreadable_migrations": [
            {"path": path, "problem": problem} for path, problem in model.unreadable_migrations
        ],
    }


def _rule(group: RuleGroup) -> dict[str, Any]:
    return {
        "code": group.code,
        "name": group.name,
        "severity": group.severity,
        "count": group.count,
        "findings": [
            {"path": f.path, "line": f.line, "column": f.column, "message": f.message}
            for f in group.findings
        ],
    }


def _file(group: FileGroup) -> dict[str, Any]:
    return {
        "path": group.path,
        "count": group.count,
        "codes": dict(group.codes),
        "findings": [
            {
                "line": f.line,
                "column": f.column,
                "code": f.code,
                "severity": f.severity,
                "message": f.message,
            }
            for f in group.findings
        ],
    }
