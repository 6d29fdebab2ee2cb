"""What several tenant rules share: the finding for a query with a given verdict."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from orgscope_lint.facts import FileFacts, Query
from orgscope_lint.findings import Finding, Related
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
        yield rule.finding(
            facts,
            query.span,
            message(query, key),
            snippet=query.snippet,
            table=query.table,
            operation=query.operation,
            fix=_add_key_fix(query, key, project) if fixable else None,
            related=related(query) if related is not None else (),
        )


def _add_key_fix(query: Query, key: str, project: Project) -> dict[str, object] | None:
    # The variable holds the principal's tenant id: right only for the main tenant key.
    if query.fix_var is None or key != project.config.tenant_key:
        return None
    return {"kind": "add-key", "name": key, "var": query.fix_var}


def call_text(query: Query) -> str:
    if query.style == "query-builder":
        return f"`{query.receiver}.table({query.table!r}).{query.method}`"
    return f"`{query.receiver or 'db'}.{query.method}`"
