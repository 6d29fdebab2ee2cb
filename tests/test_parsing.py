"""The analysis parses without LibCST's per-node checks, and leaves them on for others."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest

from orgscope_lint.analysis.parsing import parse_parsed_module

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.mark.parametrize(
    "path", sorted(FIXTURES.glob("clerk_backend/before/**/*.py"))[:12], ids=lambda p: p.name
)
def test_the_tree_is_the_one_a_checked_parse_builds(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    tree = parse_parsed_module(text)
    assert tree.deep_equals(cst.parse_module(text))
    assert tree.code == text


def test_nodes_built_afterwards_are_checked_again() -> None:
    parse_parsed_module("x = 1\n")
    with pytest.raises(cst.CSTValidationError):
        cst.Name("not a name")


def test_checks_come_back_after_a_syntax_error() -> None:
    with pytest.raises(cst.ParserSyntaxError):
        parse_parsed_module("def (:\n")
    with pytest.raises(cst.CSTValidationError):
        cst.Name("")
