from __future__ import annotations

from collections.abc import Iterator

from orgscope_lint.facts import FileFacts
from orgscope_lint.findings import Finding, Severity
from orgscope_lint.project import Project
from orgscope_lint.rule import Rule


class ParseError(Rule):
    code = "ORG000"
    name = "parse-error"
    severity = Severity.ERROR
    summary = "A file could not be read or parsed, so it was not checked"
    doc = """
    ## What it does
    Reports a Python file the tool could not read or parse: a syntax error, bytes that do
    not decode in the file's encoding, NUL bytes, nesting too deep to analyse, a broken
    symbolic link or a file without read permission.

    ## Why is this bad?
    A file that is not analysed can hide any tenant-isolation bug. Silence about it would
    read as a clean bill of health, so the tool says which file it skipped and why, and
    goes on with the others.

    ## Example
    ```python
    def list_calls(db, org_id:
        return db.select("calls", {"clerk_org_id": org_id})
    ```

    ## Use instead
    Fix the syntax error, or exclude generated and vendored files with `exclude`.
    """
    valid = ("x = 1\n", "")
    invalid = ("def broken(:  # expect: ORG000\n    pass\n",)

    def check(self, facts: FileFacts, project: Project) -> Iterator[Finding]:
        if facts.error is not None:
            yield self.finding(facts, facts.error.span, facts.error.message)
