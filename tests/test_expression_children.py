"""`expression_children` lists what LibCST's `children` does, less the nodes that hold no
expression, in the same order: walks that look for calls rely on both."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest

from orgscope_lint.analysis.syntax import NO_EXPRESSION_BELOW, expression_children

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

_EDGES = """
x = f(a, *b, k=(c), **d)[1:2, ::3](e)(g.h[i])
y = [m, *n] + (o, p) - {q: r, **s} * {t, u} @ -v ** ~w
z = not a and b or c if d < e <= f is not g in h else lambda k=l(m): n
async def route(p: Annotated[Optional["T"], Depends(get(x))] = Query(None, alias="y")):
    await call(  # a comment inside the parentheses
        (yield from gen()), [i async for i in it() if i], f"{v!r:>{w}}"
    )
"""


def _sources() -> list[str]:
    files = sorted(FIXTURES.rglob("*.py"))
    return [_EDGES, *(path.read_text(encoding="utf-8") for path in files)]


def _nodes(module: cst.Module) -> list[cst.CSTNode]:
    found: list[cst.CSTNode] = []
    stack: list[cst.CSTNode] = [module]
    while stack:
        node = stack.pop()
        found.append(node)
        stack.extend(node.children)
    return found


@pytest.mark.parametrize("source", _sources()[:1] + _sources()[1::7])
def test_the_children_less_those_without_expressions(source: str) -> None:
    for node in _nodes(cst.parse_module(source)):
        expected = [c for c in node.children if type(c) not in NO_EXPRESSION_BELOW]
        found = expression_children(node)
        assert [id(c) for c in found] == [id(c) for c in expected], type(node).__name__


def test_the_nodes_left_out_hold_no_expression() -> None:
    for source in _sources():
        for node in _nodes(cst.parse_module(source)):
            if type(node) in NO_EXPRESSION_BELOW:
                below = _nodes(node)[1:]
                assert not [n for n in below if isinstance(n, cst.BaseExpression)], node
