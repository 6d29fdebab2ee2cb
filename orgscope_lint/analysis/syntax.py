"""Small readers of LibCST syntax shared by the interpreter and the adapters."""

from __future__ import annotations

import re

import libcst as cst


def _concrete(*bases: type[cst.CSTNode]) -> set[type[cst.CSTNode]]:
    """The node classes of LibCST derived from `bases` (as `libcst` exports them: the
    class a slotted dataclass was rebuilt from may linger among the subclasses)."""
    found: set[type[cst.CSTNode]] = set()
    stack = list(bases)
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if getattr(cst, cls.__name__, None) is cls and not getattr(
            cls, "__abstractmethods__", None
        ):
            found.add(cls)
    return found


# Nodes with no expression anywhere below them (names, literals, whitespace, brackets,
# punctuation, operators): a walk that looks for calls never opens them.
NO_EXPRESSION_BELOW = frozenset(
    {
        cst.Name,
        cst.SimpleString,
        cst.Integer,
        cst.Float,
        cst.Imaginary,
        cst.Comma,
        cst.Dot,
        cst.AssignEqual,
        cst.Colon,
        cst.LeftParen,
        cst.RightParen,
        cst.LeftSquareBracket,
        cst.RightSquareBracket,
        cst.LeftCurlyBrace,
        cst.RightCurlyBrace,
        *_concrete(
            cst.BaseParenthesizableWhitespace,
            cst.BaseBinaryOp,
            cst.BaseUnaryOp,
            cst.BaseBooleanOp,
            cst.BaseCompOp,
        ),
    }
)

# The fields of the commonest expression nodes that may hold an expression, in LibCST's
# own order of their children ("*": a sequence). LibCST lists a node's `children` by
# rebuilding the node: most of the cost of a walk over parameters and decorators.
_EXPRESSION_FIELDS: dict[type[cst.CSTNode], tuple[str, ...]] = {
    cst.Call: ("func", "*args"),
    cst.Arg: ("value",),
    cst.Attribute: ("value",),
    cst.Subscript: ("value", "*slice"),
    cst.SubscriptElement: ("slice",),
    cst.Index: ("value",),
    cst.BinaryOperation: ("left", "right"),
    cst.List: ("*elements",),
    cst.Tuple: ("*elements",),
    cst.Element: ("value",),
}


def expression_children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """`node.children` without the nodes in `NO_EXPRESSION_BELOW`, in the same order."""
    fields = _EXPRESSION_FIELDS.get(type(node))
    if fields is None:
        return [child for child in node.children if type(child) not in NO_EXPRESSION_BELOW]
    found: list[cst.CSTNode] = []
    for name in fields:
        if name[0] == "*":
            found.extend(c for c in getattr(node, name[1:]) if type(c) not in NO_EXPRESSION_BELOW)
        else:
            child = getattr(node, name)
            if type(child) not in NO_EXPRESSION_BELOW:
                found.append(child)
    return found


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
    if isinstance(node, cst.SimpleString):
        quick = _plain_string(node.value)
        if quick is not None:
            return quick
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        try:
            value = node.evaluated_value
        except Exception:  # malformed escapes: treat as not a literal
            return None
        return value if isinstance(value, str) else None
    return None


def _plain_string(literal: str) -> str | None:
    """`"abc"` or `'abc'` without prefix or escapes: the common case, without
    `ast.literal_eval` (LibCST's `evaluated_value` compiles every string it reads)."""
    if len(literal) < 2 or literal[0] not in "'\"" or "\\" in literal:
        return None
    quote = literal[:3] if literal[:3] in ('"""', "'''") else literal[0]
    if len(literal) < 2 * len(quote) or not literal.endswith(quote):
        return None
    return literal[len(quote) : -len(quote)]


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


_WRAPPERS = frozenset({"Optional", "Union", "Annotated"})


def annotated_classes(node: cst.BaseExpression | None) -> set[str]:
    """The classes a value annotated with `node` may be an instance of.

    `Optional[X]`, `Union[X, None]`, `X | None`, `Annotated[X, ...]` and string forms
    unwrap to X; a container (`list[X]`, `dict[str, X]`) is not an X.
    """
    if node is None:
        return set()
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        parsed = _annotation_text(string_literal(node))
        return annotated_classes(parsed) if parsed is not None else set()
    if isinstance(node, (cst.Name, cst.Attribute)):
        name = dotted_name(node)
        return {name.rsplit(".", 1)[-1]} if name else set()
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
        return annotated_classes(node.left) | annotated_classes(node.right)
    if isinstance(node, cst.Subscript):
        outer = dotted_name(node.value).rsplit(".", 1)[-1]
        if outer not in _WRAPPERS:
            return set()
        found: set[str] = set()
        for index, element in enumerate(node.slice):
            if isinstance(element.slice, cst.Index) and (outer != "Annotated" or index == 0):
                found |= annotated_classes(element.slice.value)
        return found
    return set()


def returned_class(annotation: cst.BaseExpression | str | None) -> str | None:
    """The one class a function's return annotation names (`-> TemplateService`,
    `-> Optional["TemplateService"]`): a factory, whose result's methods are that
    class's. Source text (from the `ast` side) is parsed only when it may name one."""
    if isinstance(annotation, str):
        if not any(part[:1].isupper() for part in re.split(r"\W+", annotation)):
            return None
        annotation = _annotation_text(annotation)
    found = {n for n in annotated_classes(annotation) if n[:1].isupper() and n != "None"}
    return found.pop() if len(found) == 1 else None


# A string annotation is parsed by LibCST itself, past the gate that keeps deeply nested
# source away from it (`sources.parse_python`): its native parser can crash the process
# on a few thousand brackets. Real annotations are short and shallow.
_MAX_ANNOTATION = 500
_MAX_BRACKETS = 20


def _annotation_text(text: str | None) -> cst.BaseExpression | None:
    if not text or len(text) > _MAX_ANNOTATION or _bracket_depth(text) > _MAX_BRACKETS:
        return None
    try:
        return cst.parse_expression(text)
    except (cst.ParserSyntaxError, RecursionError, ValueError):
        return None


def _bracket_depth(text: str) -> int:
    depth = deepest = 0
    for char in text:
        if char in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in ")]}":
            depth -= 1
    return deepest


def returned_function(node: cst.FunctionDef, qualname: str) -> str | None:
    """`def require_admin(): async def check(...): ...; return check`: the qualified
    name of the function defined in `node`'s own body that every `return` of it hands
    back (a dependency factory, `Depends(require_admin())`)."""
    if not isinstance(node.body, cst.IndentedBlock):
        return None
    inner = {stmt.name.value for stmt in node.body.body if isinstance(stmt, cst.FunctionDef)}
    if not inner:
        return None
    returned: set[str | None] = set()
    stack: list[cst.CSTNode] = list(node.body.body)
    while stack:
        current = stack.pop()
        if isinstance(current, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        if isinstance(current, cst.Return):
            value = current.value
            returned.add(value.value if isinstance(value, cst.Name) else None)
        stack.extend(current.children)
    name = returned.pop() if len(returned) == 1 else None
    return f"{qualname}.{name}" if name in inner else None
