"""What several tenant rules share: the finding for a query with a given verdict, and
the findings at the calls that hand request input to a helper's query."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence

from orgscope_lint.analysis.caller_proof import Reached
from orgscope_lint.facts import FileFacts, Query
from orgscope_lint.findings import Finding, Related, Span
from orgscope_lint.project import Project
from orgscope_lint.rule import Rule
from orgscope_lint.tenancy import Verdict, verdict


def query_findings(
    rule: Rule,
    facts: FileFacts,
    project: Project,
    wanted: Verdict,
    message: Callable[[Query, str], str],
    *,
    inserts: bool | None = None,
    fixable: bool = False,
    related: Callable[[Query], tuple[Related, ...]] | None = None,
) -> Iterator[Finding]:
    """One finding per query whose verdict is `wanted`; `inserts` narrows by operation.
    A `fixable` rule offers to add the tenant key when the analysis found the variable."""
    for query in facts.queries:
        if inserts is not None and (query.operation == "insert") != inserts:
            continue
        if verdict(query, facts, project) is not wanted:
            continue
        key = project.scoping_column(query.table) or ""
        finding = rule.finding(
            facts,
            query.span,
            message(query, key),
            snippet=query.snippet,
            table=query.table,
            operation=query.operation,
            fix=_add_key_fix(query, key, project) if fixable else None,
            related=related(query) if related is not None else (),
        )
        yield with_rls(finding, query, project) if rule.code in RLS_AWARE else finding


# Rules about a missing tenant filter: the database's own policy may already scope it.
RLS_AWARE = frozenset({"ORG001", "ORG002", "ORG003", "ORG007"})


def with_rls(finding: Finding, query: Query, project: Project) -> Finding:
    """The finding as the table's row-level security makes it: a warning naming the
    policy when an RLS-respecting client is scoped by it, an error saying the policy
    does not apply when the client bypasses RLS."""
    from dataclasses import replace

    from orgscope_lint.findings import Severity
    from orgscope_lint.rls.code import protection

    found = protection(query, project)
    if found is None:
        return finding
    if found.bypassed:
        return replace(finding, message=finding.message + found.note)
    severity = Severity.WARNING if finding.severity is Severity.ERROR else finding.severity
    return replace(finding, severity=severity, message=finding.message + found.note)


def _add_key_fix(query: Query, key: str, project: Project) -> dict[str, object] | None:
    # The variable holds the principal's tenant id: right only for the main tenant key.
    if query.fix_var is None or key != project.config.tenant_key:
        return None
    kind = "add-key"
    if query.style == "query-builder":  # `.eq(key, var)` in the chain, or the key in its record
        kind = "add-record-key" if query.operation == "insert" else "add-filter"
    return {"kind": kind, "name": key, "var": query.fix_var}


def call_text(query: Query) -> str:
    """The call as the message echoes it: `db.update`, `sb.from_("calls").upsert`."""
    if query.style == "query-builder":
        return f"`{_chain_start(query)}.{query.method}`"
    return f"`{query.receiver or 'db'}.{query.method}`"


def _chain_start(query: Query) -> str:
    """The chain's `.table(...)` or `.from_(...)` call as written. A builder query's span
    is that call; the snippet is its line without the indentation, so the call is found
    by its end and measured back by the span's width. Spelled out when that fails (a
    call over several lines)."""
    span = query.span
    width = span.end_column - span.column
    ending = _START_CALL.format(table=re.escape(query.table))
    if span.end_line == span.line:
        for found in re.finditer(ending, query.snippet):
            written = query.snippet[found.end() - width : found.end()]
            if found.end() >= width and not written[:1].isspace():
                return written
    receiver = f"{query.receiver}." if query.receiver else ""
    return f'{receiver}table("{query.table}")'


_START_CALL = r"""\.(?:table|from_)\(\s*(?P<q>["'])(?:{table})(?P=q)\s*\)"""


def caller_findings(
    rule: Rule,
    facts: FileFacts,
    reached: Iterable[Reached],
    message: Callable[[Reached, str], str],
    related: str,
    source: Callable[[str], str] | None = None,
) -> Iterator[tuple[Finding, Query]]:
    """One finding per call in this file that hands request input to a helper, naming
    the first query it reaches (`message(first, given)`, `given` the parameters it was
    handed, each group followed by where it came from when `source` names an origin);
    the other queries are related locations, each described by `related`."""
    by_call: dict[Span, list[Reached]] = {}
    for found in reached:
        by_call.setdefault(found.entry.site.call.span, []).append(found)
    for span, found in by_call.items():
        first = found[0]
        given = _given(found, source)
        places = dict.fromkeys((r.path, r.query.span.line) for r in found)
        finding = rule.finding(
            facts,
            span,
            message(first, given),
            snippet=first.entry.site.call.snippet,
            table=first.query.table,
            operation=first.query.operation,
            related=tuple(Related(path, line, related) for path, line in places),
        )
        yield finding, first.query


def _given(found: Sequence[Reached], source: Callable[[str], str] | None) -> str:
    """ "`a`, `b`", or with `source`, "`a` from the request path, `b` from the query
    string": each parameter once, grouped by where its value came from."""
    params = dict.fromkeys((r.entry.param, r.entry.origin) for r in found)
    if source is None:
        return ", ".join(f"`{param}`" for param in dict.fromkeys(p for p, _ in params))
    groups: dict[str, list[str]] = {}
    for param, origin in params:
        names = groups.setdefault(source(origin), [])
        if f"`{param}`" not in names:
            names.append(f"`{param}`")
    return ", ".join(f"{', '.join(names)} from {where}" for where, names in groups.items())
