"""Small readers of LibCST syntax shared by the interpreter and the adapters."""

from __future__ import annotations

import libcst as cst


def dotted_name(node: cst.BaseExpression) -> str:
    """`self.db` for an Attribute chain of Names, "" for anything else."""
    parts: list[str] = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if isinstance(node, cst.Name):
        parts.append(node.value)
        return ".".join(reversed(parts))
    return ""


def string_literal(node: cst.BaseExpression) -> str | None:
    """The value of a plain (non-f, non-bytes) string literal, else None."""
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        try:
            value = node.evaluated_value
        except Exception:  # malformed escapes: treat as not a literal
            return None
        return value if isinstance(value, str) else None
    return None


def is_none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def first_arg_key(call: cst.Call) -> str | None:
    """The first positional argument as the position index spells it."""
    if not call.args:
        return None
    arg = call.args[0]
    if arg.keyword is not None or arg.star:
        return None
    literal = string_literal(arg.value)
    if literal is not None:
        return "'" + literal
    return dotted_name(arg.value) or None


def split_args(
    call: cst.Call,
) -> tuple[list[cst.BaseExpression], dict[str, cst.BaseExpression], bool]:
    """Positional values, keyword values, and whether `*args`/`**kwargs` hide more."""
    positional: list[cst.BaseExpression] = []
    keywords: dict[str, cst.BaseExpression] = {}
    starred = False
    for arg in call.args:
        if arg.star:
            starred = True
        elif arg.keyword is not None:
            keywords[arg.keyword.value] = arg.value
        else:
            positional.append(arg.value)
    return positional, keywords, starred


def annotation_names(node: cst.BaseExpression | None) -> set[str]:
    """Every simple or dotted-tail name in an annotation: `Optional[DatabaseService]` etc."""
    found: set[str] = set()
    stack: list[cst.CSTNode] = [node] if node is not None else []
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Name):
            found.add(current.value)
        elif isinstance(current, cst.Attribute):
            found.add(current.attr.value)
        elif isinstance(current, cst.SimpleString):
            literal = string_literal(current)
            if literal:
                found.update(part.strip() for part in literal.replace("|", "[").split("["))
        else:
            stack.extend(current.children)
    return found
