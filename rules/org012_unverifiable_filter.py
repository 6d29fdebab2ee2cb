from __future__ import annotations

from collections.abc import Iterator

from orgscope_lint.facts import FileFacts, Query
from orgscope_lint.findings import Finding, Severity
from orgscope_lint.project import Project
from orgscope_lint.rule import Rule
from orgscope_lint.rules._common import call_text, query_findings
from orgscope_lint.tenancy import Verdict


class UnverifiableFilter(Rule):
    code = "ORG012"
    name = "unverifiable-filter"
    severity = Severity.INFO
    summary = "A filter the analysis cannot see into"
    opt_in = True
    doc = """
    ## What it does
    With `--strict`, reports queries on tenant tables whose filter or record the analysis
    cannot see into: a parameter, the result of a call it cannot summarise, `**kwargs`.

    ## Why is this bad?
    It is not necessarily wrong, but nothing proves it is right. A reviewer auditing a
    codebase wants to see exactly what the tool could not check.

    ## Example
    ```python
    def list_rows(db, filters):
        return db.select("calls", filters)
    ```

    ## Use instead
    Build the filter where the tenant key is visible, or let a helper that always adds it
    build it (`{**org_scope(org_id), "id": call_id}`): its summary makes it visible.
    """
    valid = ('def f(db, org):\n    db.select("calls", {"clerk_org_id": org})\n',)
    invalid = ('def f(db, filters):\n    db.select("calls", filters)  # expect: ORG012\n',)

    def check(self, facts: FileFacts, project: Project) -> Iterator[Finding]:
        def message(query: Query, key: str) -> str:
            return (
                f"{call_text(query)} on `{query.table}`: cannot tell whether the filter holds "
                f"`{key}`"
            )

        yield from query_findings(self, facts, project, Verdict.UNKNOWN, message)
