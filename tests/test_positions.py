"""The position index sees every node `ast.walk` yields that it could ever look at."""

from __future__ import annotations

import ast
import re
from collections import Counter
from pathlib import Path

import pytest

from orgscope_lint.analysis.child_nodes import walk_within
from orgscope_lint.analysis.positions import PositionIndex, _ast_call_key
from orgscope_lint.analysis.slicing import relevant_slice

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


SLICED = """\
@router.get("/items")
def kept(org_id):
    return db.query(Item).filter_by(org_id=org_id).all()


@cached(
    ttl=60,
)
def left(org_id):
    def inner():
        return load(org_id)
    return inner()


async def also_kept(db, org_id):
    return await db.get(Item, org_id)
"""


def test_a_sliced_module_indexes_the_listed_nodes_of_its_kept_statements_only() -> None:
    tree = ast.parse(SLICED)
    lines = re.split(r"\r\n|\r|\n", SLICED)
    part = relevant_slice(SLICED, tree, re.compile(r"\bdb\b"))
    assert part is not None
    assert [stmt.name for stmt in part.dropped_statements] == ["left"]
    walked = PositionIndex(part.statements, lines, (), WATCHED)
    listed_nodes = walk_within(tree, 100)
    assert listed_nodes is not None
    listed = PositionIndex(
        part.statements, lines, (), WATCHED, listed_nodes[1:], part.dropped_lines()
    )
    walked._ensure()
    listed._ensure()
    assert set(listed._defs) == {"kept", "also_kept"}
    assert ("load", "", "org_id") not in listed._calls
    assert listed._calls == walked._calls
    assert listed._defs == walked._defs
    assert listed._def_ends == walked._def_ends
    assert listed._names == walked._names
