"""The project's own documents stay in step with the code they describe."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from orgscope_lint.rules import ALL_RULES

REPO = Path(__file__).resolve().parents[1]
ARCHITECTURE = REPO / "docs" / "architecture.md"
DOCUMENTS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


def catalogue() -> dict[str, tuple[str, str]]:
    """code -> (name, severity) from the rule catalogue table of architecture.md."""
    rows = re.findall(
        r"^\| (ORG\d{3}) \| ([\w-]+) \| .* \| (\w+) \|$",
        ARCHITECTURE.read_text(encoding="utf-8"),
        re.M,
    )
    return {code: (name, severity) for code, name, severity in rows}


def test_the_rule_catalogue_lists_every_rule_as_it_is() -> None:
    expected = {rule.code: (rule.name, rule.severity.value) for rule in ALL_RULES}
    assert catalogue() == expected


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.name)
def test_relative_links_point_at_files_that_exist(document: Path) -> None:
    text = document.read_text(encoding="utf-8")
    targets = [t for t in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text) if "://" not in t]
    missing = [t for t in targets if not (document.parent / t).exists()]
    assert not missing, missing


def test_nothing_cites_a_design_document_outside_the_repository() -> None:
    cited = [
        f"{path.relative_to(REPO)}:{number}"
        for folder in ("orgscope_lint", "rules", "tests", "fixtures/cases")
        for path in (REPO / folder).rglob("*")
        if path.suffix in (".py", ".md") and path.name != Path(__file__).name
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"\bDESIGN\b", line)
    ]
    assert not cited, cited
