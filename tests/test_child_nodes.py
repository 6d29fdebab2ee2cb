"""The cheap walk over a stdlib `ast` tree finds what `ast.walk` finds."""

from __future__ import annotations

import ast

from orgscope_lint.analysis.child_nodes import walk

SOURCE = """\
async def handler(org_id, body, db=Depends(get_db)):
    rows = [r["id"] for r in await db.fetch(q(org_id), key=lambda row: row.id) if r]
    if not rows and (await check(org_id, user=body.user)) is None:
        raise HTTPException(404, f"no {org_id!r} here: {len(rows)}")
    return {**body.dict(), "ids": rows, "n": -len(rows) + 1}
"""


def test_the_walk_finds_every_node_with_fields_in_ast_walk_order() -> None:
    tree = ast.parse(SOURCE)
    expected = [node for node in ast.walk(tree) if node._fields]
    assert walk(tree) == expected


def test_the_walk_of_a_subtree_starts_at_its_root() -> None:
    test = ast.parse(SOURCE).body[0].body[1].test  # type: ignore[attr-defined]
    found = walk(test)
    assert found[0] is test
    calls = [ast.unparse(node.func) for node in found if isinstance(node, ast.Call)]
    assert calls == ["check"]
    names = sorted({node.id for node in found if isinstance(node, ast.Name)})
    assert names == ["body", "check", "org_id", "rows"]
