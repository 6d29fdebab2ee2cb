from __future__ import annotations

from collections.abc import Iterator

from orgscope_lint.facts import Directive, FileFacts
from orgscope_lint.findings import Finding, Severity, Span
from orgscope_lint.project import Project
from orgscope_lint.rule import Example, Rule


class UnusedSuppression(Rule):
    code = "ORG100"
    name = "unused-suppression"
    severity = Severity.WARNING
    summary = "A suppression comment suppresses nothing"
    doc = """
    ## What it does
    Reports an `# orgscope: ignore[...]`, an `# orgscope: system-context` or a
    `# noqa: ORG...` comment that suppressed no finding: the code it names is not
    reported on its line, the code is unknown, the `system-context` is not on a `def`
    line or nothing in its function is reported. With `require-suppression-reason`,
    it also reports a suppression without `-- reason`, which then suppresses nothing.

    A bare `# noqa` and a `# noqa` naming only other tools' codes (`# noqa: E501`) are
    never reported: they belong to other linters too. A code whose rule did not run on
    the file (not selected, opt-in, or in `per-file-ignores`) is not judged either.

    ## Why is this bad?
    A suppression outlives the code it was written for. Once the query is fixed or
    moved, the stale comment waits on its line to hide the next, unrelated finding there,
    and a reader takes the line for a reviewed exception. A suppression without a reason
    cannot be reviewed at all.

    ## Example
    ```python
    def get_call(db, call_id, org_id):
        return db.select_one("calls", {"id": call_id, "clerk_org_id": org_id})  # orgscope: ignore[ORG001]
    ```

    ## Use instead
    ```python
    def get_call(db, call_id, org_id):
        return db.select_one("calls", {"id": call_id, "clerk_org_id": org_id})
    ```

    ## Options
    - `require-suppression-reason` (default `false`): a suppression must say why after
      `--`, as in `# orgscope: ignore[ORG001] -- id verified by the webhook signature`;
      one without a reason suppresses nothing and is reported here.
    """
    valid = (
        'def f(db):\n    return db.select("calls", {"id": 1})  # orgscope: ignore[ORG001] -- checked upstream\n',
        'def f(db):\n    return db.select("calls", {"id": 1})  # noqa: ORG001\n',
        'def nightly(db):  # orgscope: system-context -- cross-tenant rollup\n    return db.select("calls", {"status": "done"})\n',
        "x = 1  # noqa: E501\n",
        "import os  # noqa\n",
        'def f():\n    """Write `# orgscope: ignore[ORG001]` to silence a finding."""\n',
        Example(
            'def f(db):\n    return db.select("calls", {"id": 1})  # orgscope: ignore[ORG001] -- checked upstream\n',
            config=(("require-suppression-reason", True),),
        ),
        Example(
            'def f(db):\n    return db.select("calls", {"id": 1})  # orgscope: ignore[ORG001]\n',
            config=(("per-file-ignores", {"example.py": ["ORG001"]}),),
        ),
    )
    invalid = (
        "x = 1  # orgscope: ignore[ORG001]  # expect: ORG100\n",
        "x = 1  # noqa: E501, ORG001  # expect: ORG100\n",
        "x = 1  # orgscope: ignore  # expect: ORG100\n",
        "x = 1  # orgscope: ignore[ORG999]  # expect: ORG100\n",
        'def f(db):\n    return db.select("calls", {"id": 1})  # orgscope: ignore[ORG001, ORG004] -- checked upstream  # expect: ORG100\n',
        "def pure(x):  # orgscope: system-context -- admin tool  # expect: ORG100\n    return x + 1\n",
        'def f(db):\n    rows = []  # orgscope: system-context  # expect: ORG100\n    return db.select("calls", {"clerk_org_id": "o"})\n',
        Example(
            'def nightly(db):  # orgscope: system-context  # expect: ORG100\n    return db.select("calls", {"status": "done"})  # expect: ORG001\n',
            config=(("require-suppression-reason", True),),
        ),
    )

    def check(self, facts: FileFacts, project: Project) -> Iterator[Finding]:
        # Whether a directive was used is known only once every other rule has spoken:
        # the suppression step calls `report` (orgscope_lint.suppressions).
        return iter(())

    def report(self, facts: FileFacts, directive: Directive, message: str) -> Finding:
        end = directive.column + len(directive.text)
        span = Span(directive.line, directive.column, directive.line, end)
        return self.finding(facts, span, message, snippet=directive.text)
