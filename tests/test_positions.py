"""The position index sees every node `ast.walk` yields that it could ever look at."""

from __future__ import annotations

import ast
import re
from collections import Counter
from pathlib import Path

import pytest

from orgscope_lint.analysis.positions import PositionIndex, _ast_call_key

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
WATCHED = frozenset({"org_id", "clerk_org_id", "current_user", "db"})


@pytest.mark.parametrize(
    "path", sorted(FIXTURES.glob("clerk_backend/before/**/*.py"))[:12], ids=lambda p: p.name
)
def test_the_index_holds_every_call_definition_and_watched_name(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text)
    index = PositionIndex(tree.body, re.split(r"\r\n|\r|\n", text), (), WATCHED)
    index._ensure()
    nodes = list(ast.walk(tree))
    calls = Counter(
        (key, index.span_of(node))
        for node in nodes
        if isinstance(node, ast.Call) and (key := _ast_call_key(node, frozenset())) is not None
    )
    names = Counter(
        (node.id, index.span_of(node))
        for node in nodes
        if isinstance(node, ast.Name) and node.id in WATCHED and isinstance(node.ctx, ast.Load)
    )
    defs = Counter(
        node.name for node in nodes if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    )
    assert calls == Counter((key, span) for key, spans in index._calls.items() for span in spans)
    assert names == Counter((name, span) for name, spans in index._names.items() for span in spans)
    assert defs == Counter({name: len(spans) for name, spans in index._defs.items()})
