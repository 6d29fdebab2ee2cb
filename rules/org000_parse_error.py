from __future__ import annotations

from collections.abc import Iterator

from orgscope_lint.facts import FileFacts
from orgscope_lint.findings import Finding, Severity, Span
from orgscope_lint.project import Project
from orgscope_lint.rule import Rule
from orgscope_lint.rules._schema import sql_example


class ParseError(Rule):
    code = "ORG000"
    name = "parse-error"
    severity = Severity.ERROR
    summary = "A file could not be read or parsed, so it was not checked"
    doc = """
    ## What it does
    Reports a Python file the tool could not read or parse: a syntax error, bytes that do
    not decode in the file's encoding, NUL bytes, nesting too deep to analyse, a broken
    symbolic link or a file without read permission. Reports a SQL migration that cannot
    be read (not UTF-8, unreadable), and, once per file, a migration holding a statement
    row-level security depends on (`CREATE POLICY`, `CREATE VIEW`, a `DO` block ...) that
    cannot be read: the rest of the history is still replayed.

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
    Fix the syntax error, or exclude generated and vendored files with `exclude`. The
    file is parsed with the grammar of the Python that runs the tool: code written for
    a newer Python (`def first[T](items: list[T]) -> T:` needs 3.12) is a syntax error to
    an older one, so run the tool with the Python version the project targets. An
    f-string that nests its own quotes (3.12) is the usual case; the message then names
    the interpreter that refused it.
    """
    valid = (
        "x = 1\n",
        "",
        sql_example("create table calls (id int);\nselect 1 from calls;\n"),
    )
    invalid = (
        "def broken(:  # expect: ORG000\n    pass\n",
        sql_example(
            "create table calls (id int, clerk_org_id text);\n"
            "alter table calls enable row level security;\n"
            "create policy p on calls for selct using (true);  -- expect: ORG000\n"
            "create policy q on calls for;\n"
        ),
    )

    def check(self, facts: FileFacts, project: Project) -> Iterator[Finding]:
        if facts.error is not None:
            yield self.finding(facts, facts.error.span, facts.error.message)

    def check_schema(self, project: Project) -> Iterator[Finding]:
        """One finding per migration with a statement the RLS replay could not read."""
        model = project.schema.rls
        # A migration the schema replay reports already has its ORG000: one per file.
        seen: set[str] = {source for source, _ in project.schema.unreadable}
        for problem in model.problems if model is not None else ():
            where = problem.location
            if where.source in seen:
                continue
            seen.add(where.source)
            yield Finding(
                path=where.source,
                span=Span(where.line, 1, where.line, 1),
                code=self.code,
                name=self.name,
                severity=self.severity,
                message=f"migration not fully read: {problem.message} (line {where.line})",
                snippet=problem.message,
            )
