"""The children of a stdlib `ast` node, found the cheap way, for the walks over every
file (the position index, system-context detection, each function's uses of its
names), and the one walk over a whole module that those share (`walk_within`).

`ast.iter_child_nodes` and `ast.walk` cost about twice as much: they go through
generators and visit every leaf. Operator and context leaves (`Add`, `Load`) have no
fields and are left out, and names and constants, whose fields hold no node, are
`LEAVES` a walk need not open: together four nodes in ten.
"""

from __future__ import annotations

import ast

LEAVES = frozenset({ast.Name, ast.Constant})


def child_nodes(node: ast.AST) -> list[ast.AST]:
    """The children of `node` that have fields, in the order of its fields."""
    found: list[ast.AST] = []
    add, ast_node = found.append, ast.AST
    for name in node._fields:
        value = getattr(node, name, None)
        if value.__class__ is list:
            for item in value:
                if isinstance(item, ast_node) and item._fields:
                    add(item)
        elif isinstance(value, ast_node) and value._fields:
            add(value)
    return found


def walk(node: ast.AST) -> list[ast.AST]:
    """`node` and every node below it, in `ast.walk`'s (breadth-first) order, leaves
    without fields left out: for walks that look for calls, names or constants."""
    found = [node]
    for item in found:  # the list grows as it is read: breadth-first
        if item.__class__ not in LEAVES:
            found += child_nodes(item)
    return found


def walk_within(tree: ast.AST, limit: int) -> list[ast.AST] | None:
    """Every node of `tree`, in `ast.walk`'s (breadth-first) order, leaves without fields
    left out; None when it nests deeper than `limit`, counted as the safety gate counts
    (`sources.parse_python`): a node below `limit` levels of nodes that are not
    `LEAVES`, a leaf without fields in a list field included (`pass`, a comparison's
    operators). The gate's depth walk, the module's link and system-context walks and
    the position index all read this one list instead of walking the module each."""
    found: list[ast.AST] = []
    level = [tree]
    for _ in range(limit):
        found += level
        below: list[ast.AST] = []
        for node in level:
            if node.__class__ not in LEAVES:
                below += child_nodes(node)
        if not below:
            return found
        level = below
    # `level` is as deep as allowed: nothing may hang below it.
    if any(node.__class__ not in LEAVES and _holds_node(node) for node in level):
        return None
    return found + level


def _holds_node(node: ast.AST) -> bool:
    """Whether a field of `node` holds a node with fields, or a list field any node."""
    for name in node._fields:
        value = getattr(node, name, None)
        if value.__class__ is list:
            if any(isinstance(item, ast.AST) for item in value):
                return True
        elif isinstance(value, ast.AST) and value._fields:
            return True
    return False
