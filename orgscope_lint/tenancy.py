"""One verdict per query: the single place that decides which rule owns a faulty site.

ORG001, ORG002, ORG003, ORG010 (and later ORG007, ORG012) each report one verdict, so a
site can never get two findings, and the precedence (ORG010 over ORG001, ORG002 over
ORG001, ORG005 over its own inner query) lives here and nowhere else.
"""

from __future__ import annotations

import enum

from orgscope_lint.facts import FileFacts, FunctionFact, KeyState, Query, ShapeKind
from orgscope_lint.project import Project


class Verdict(enum.Enum):
    NOT_TENANT = "not a tenant table"
    SCOPED = "scoped"
    UNFILTERED = "no filter at all"  # ORG002
    STALE_KEY = "legacy key only"  # ORG010
    MISSING = "tenant key missing"  # ORG001 / ORG003
    CONDITIONAL = "tenant key on some paths"  # ORG007
    UNKNOWN = "cannot see into"  # ORG012
    HELPER_DROPS = "inside a helper that drops its org"  # ORG005 owns it


def verdict(query: Query, facts: FileFacts, project: Project) -> Verdict:
    key = project.key_for(query.table)
    if key is None:
        return Verdict.NOT_TENANT
    shape = query.shape
    if query.operation != "insert" and shape.kind in (ShapeKind.NONE, ShapeKind.EMPTY):
        return Verdict.UNFILTERED
    state = shape.state_for(key)
    if state is KeyState.PRESENT:
        return Verdict.SCOPED
    if state is KeyState.CONDITIONAL:
        return Verdict.CONDITIONAL
    if state is KeyState.UNKNOWN or shape.kind is ShapeKind.NONE:
        return Verdict.UNKNOWN
    if query.operation != "insert":
        if drops_tenant(facts.function(query.function), facts, project):
            return Verdict.HELPER_DROPS
        if stale_key(query, project) is not None:
            return Verdict.STALE_KEY
    return Verdict.MISSING


def stale_key(query: Query, project: Project) -> str | None:
    """The legacy key a filter uses in place of its table's key, if any."""
    key = project.key_for(query.table)
    for legacy in project.config.legacy_keys:
        if legacy != key and query.shape.state_for(legacy) is KeyState.PRESENT:
            return legacy
    return None


def drops_tenant(fn: FunctionFact | None, facts: FileFacts, project: Project) -> bool:
    """A DB-class method that receives an org but none of its tenant queries uses the key."""
    if fn is None or not fn.db_class or not fn.org_params:
        return False
    states = [
        q.shape.state_for(key)
        for q in facts.queries
        if q.function == fn.qualname
        and q.operation != "insert"
        and (key := project.key_for(q.table)) is not None
    ]
    return bool(states) and all(state is KeyState.ABSENT for state in states)


def rls_note(query_class: str | None, project: Project) -> str:
    if project.bypasses_rls(query_class):
        return f" ({query_class} bypasses row-level security: this filter is the only guard)"
    return ""
