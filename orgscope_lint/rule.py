"""The rule protocol: a rule reads facts and yields findings; it knows nothing of parsing.

Each rule module under `rules/` defines one `Rule` subclass carrying its code, name,
severity, documentation (ruff's rule-page shape) and VALID/INVALID examples that the test
suite runs automatically. In an INVALID example, `# expect: ORGxxx` marks each line where
the rule must report.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from orgscope_lint.findings import Finding, Related, Severity, Span

if TYPE_CHECKING:
    from orgscope_lint.facts import FileFacts
    from orgscope_lint.project import Project


@dataclass(frozen=True)
class Example:
    code: str
    # Extra configuration for this example, as `[tool.orgscope-lint]` keys.
    config: tuple[tuple[str, object], ...] = ()
    # SQL migrations to pretend the project has: (file name, SQL).
    migrations: tuple[tuple[str, str], ...] = ()
    # Other project files whose facts the example relies on: (path, code).
    files: tuple[tuple[str, str], ...] = ()


class Rule:
    code: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity]
    summary: ClassVar[str]  # one line: SARIF shortDescription, `rule` table
    # Markdown with the sections: What it does, Why is this bad?, Example, Use instead,
    # and where relevant Fix safety and Options.
    doc: ClassVar[str]
    valid: ClassVar[tuple[Example | str, ...]] = ()
    invalid: ClassVar[tuple[Example | str, ...]] = ()
    # Rules that only run on request (`--strict`).
    opt_in: ClassVar[bool] = False

    def check(self, facts: FileFacts, project: Project) -> Iterator[Finding]:
        raise NotImplementedError

    def check_schema(self, project: Project) -> Iterator[Finding]:
        """Findings on the migrations (paths relative to the project root), once a run."""
        return iter(())

    def finding(
        self,
        facts: FileFacts,
        span: Span,
        message: str,
        *,
        snippet: str = "",
        table: str | None = None,
        operation: str | None = None,
        fix: dict[str, object] | None = None,
        related: tuple[Related, ...] = (),
    ) -> Finding:
        return Finding(
            path=facts.path,
            span=span,
            code=self.code,
            name=self.name,
            severity=self.severity,
            message=message,
            table=table,
            operation=operation,
            snippet=snippet,
            fix=fix,
            related=related,
        )

    @classmethod
    def help_markdown(cls) -> str:
        return f"# {cls.name} ({cls.code})\n\n{_dedent(cls.doc)}"

    @classmethod
    def full_description(cls) -> str:
        """The 'What it does' section alone, as plain text."""
        match = re.search(r"## What it does\n(.*?)(?:\n## |\Z)", _dedent(cls.doc), re.S)
        return (match.group(1) if match else cls.summary).strip()


def _dedent(text: str) -> str:
    import textwrap

    return textwrap.dedent(text).strip() + "\n"


def as_example(item: Example | str) -> Example:
    return item if isinstance(item, Example) else Example(code=item)
