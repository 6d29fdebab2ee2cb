"""Which coverage bucket each query on a tenant table falls in: the matrix's one rule.

`tenancy.verdict` judges every query; a bucket groups verdicts the way a reviewer reads
them. Verdicts are matched by name, so a verdict added later lands in `unknown` (shown,
never silently counted as scoped) until it is placed here.
"""

from __future__ import annotations

from collections.abc import Iterator

from orgscope_lint.engine import RunResult
from orgscope_lint.facts import FileFacts, Query
from orgscope_lint.project import Project
from orgscope_lint.tenancy import verdict

BUCKETS: tuple[str, ...] = ("scoped", "conditional", "unscoped", "unknown")

_BY_VERDICT: dict[str, str | None] = {
    "NOT_TENANT": None,
    "SCOPED": "scoped",
    "CONDITIONAL": "conditional",  # ORG007: the key on some paths only
    "UNVERIFIED": "conditional",  # ORG008: the tenant id may be None: fails open
    "UNKNOWN": "unknown",  # ORG012: a filter the analysis cannot see into
    "MISSING": "unscoped",  # ORG001 / ORG003
    "UNFILTERED": "unscoped",  # ORG002
    "STALE_KEY": "unscoped",  # ORG010
    "RENAMED_KEY": "unscoped",  # ORG204: filters by a tenant column renamed away
    "HELPER_DROPS": "unscoped",  # ORG005
    "UNTRUSTED": "unscoped",  # ORG009: the tenant id comes from the request
    "AT_CALLERS": "unscoped",  # ORG001 at the call that passes request input
}
# A query that reuses the row of an earlier one is as scoped as that root.
_FOLLOWS = "FOLLOWS"
_HELPER_CODE = "ORG004"


def classified(result: RunResult) -> Iterator[tuple[Query, str]]:
    """Every query on a tenant table with its bucket."""
    unscoped_calls = {(f.path, f.line) for f in result.findings if f.code == _HELPER_CODE}
    for facts in result.facts:
        for query in facts.queries:
            bucket = _bucket(query, facts, result.project, unscoped_calls)
            if bucket is not None:
                yield query, bucket


def _bucket(
    query: Query,
    facts: FileFacts,
    project: Project,
    unscoped_calls: set[tuple[str, int]],
    depth: int = 0,
) -> str | None:
    name = verdict(query, facts, project).name
    if name != _FOLLOWS:
        return _BY_VERDICT.get(name, "unknown")
    from orgscope_lint.tenancy import follows  # exists alongside the FOLLOWS verdict

    root = follows(query, facts, project) or ""
    if root.startswith("q") and depth < 8:
        found = facts.queries[int(root[1:])]
        return _bucket(found, facts, project, unscoped_calls, depth + 1) or "unknown"
    if root.startswith("h"):
        call = facts.helper_calls[int(root[1:])]
        return "unscoped" if (facts.path, call.span.line) in unscoped_calls else "scoped"
    return "unknown"
