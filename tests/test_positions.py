"""The position index sees every node `ast.walk` yields that it could ever look at."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from orgscope_lint.analysis.positions import _walk

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.mark.parametrize(
    "path", sorted(FIXTURES.glob("clerk_backend/before/**/*.py"))[:12], ids=lambda p: p.name
)
def test_the_walk_reaches_every_node_with_fields(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    expected = [node for node in ast.walk(tree) if node._fields]
    walked = list(_walk(tree))
    assert len(walked) == len({id(node) for node in walked})  # each node once
    assert {id(node) for node in walked} == {id(node) for node in expected}
