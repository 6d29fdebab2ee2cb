"""What a `DO` block does to row-level security, as far as it can be known.

Real migrations switch RLS on in loops: `FOREACH t IN ARRAY ARRAY['calls', 'contacts']
LOOP EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t); END LOOP`. Over a
literal array the loop is unrolled and each generated statement read like any other. A
loop over a query (`FOR r IN SELECT tablename FROM pg_tables ...`) or a statement built
in a way this module cannot evaluate is reported as `Unknown`: never guessed.
"""

from __future__ import annotations

import re

from orgscope_lint.rls import statements as st
from orgscope_lint.schema import _DO_BODY, _split_top_level, split_statements_at

_F = re.IGNORECASE | re.DOTALL
_ARRAY = r"(?:ARRAY\s*\[[^\]]*\]|'\{[^}]*\}'(?:\s*::\s*\w+\[\])?)"
_ARRAY_VARIABLE = re.compile(
    rf"(?P<name>\w+)\s+(?:text|name|varchar|regclass)\s*\[\]\s*(?::=|=|DEFAULT)\s*(?P<value>{_ARRAY})",
    _F,
)
_LOOP = re.compile(
    r"""(?P<head>\bFOREACH\s+(?P<each>\w+)\s+IN\s+ARRAY\s+(?P<each_source>.+?)
        |\bFOR\s+(?P<var>\w+)\s+IN\s+(?P<source>.+?))\s+LOOP\b(?P<body>.*?)\bEND\s+LOOP\b""",
    _F | re.VERBOSE,
)
_UNNEST = re.compile(
    rf"(?:SELECT\s+(?:\*\s+FROM\s+)?)?unnest\s*\(\s*(?P<array>{_ARRAY}|\w+)\s*\)(?:\s+AS\s+\w+(?:\s*\(\s*\w+\s*\))?)?\s*\Z",
    _F,
)
_STRING = re.compile(r"'((?:[^']|'')*)'")
# `$policy$ CREATE POLICY ... $policy$`: a dollar-quoted literal, taken as written.
_DOLLAR_STRING = re.compile(r"\$(?P<tag>\w*)\$(?P<body>.*)\$(?P=tag)\$", _F)
_EXECUTE = re.compile(r"\bEXECUTE\s+(?P<expression>.*)\Z", _F)
_FORMAT = re.compile(r"format\s*\((?P<args>.*)\)\s*(?:USING\b.*)?\Z", _F)
_RLS_WORDS = re.compile(
    r"ROW\s+LEVEL\s+SECURITY|\bPOLICY\b|\bGRANT\b|\bREVOKE\b|\bSECURITY\s+DEFINER\b|\bVIEW\b", _F
)
# A statement that follows control-flow words between two semicolons.
_EMBEDDED = re.compile(
    r"(?:\A|\b(?:BEGIN|THEN|ELSE|LOOP)\s+)(?P<sql>(?:CREATE|ALTER|DROP|GRANT|REVOKE|EXECUTE)\s.*)\Z",
    _F,
)


def do_block_operations(statement: str) -> list[st.Operation]:
    match = _DO_BODY.match(statement)
    if match is None:
        return [st.Unreadable("cannot read this DO block")]
    language = (match.group("before") or match.group("after") or "plpgsql").lower()
    if language != "plpgsql":
        return []
    body = match.group("dollar")
    if body is None:
        body = match.group("quoted").replace("''", "'")
    arrays = {
        m.group("name").lower(): _array(m.group("value")) for m in _ARRAY_VARIABLE.finditer(body)
    }
    operations: list[st.Operation] = []
    rest: list[str] = []
    position = 0
    for loop in _LOOP.finditer(body):
        rest.append(body[position : loop.start()])
        position = loop.end()
        operations.extend(_loop_operations(loop, arrays))
    rest.append(body[position:])
    for _, piece in split_statements_at(" ; ".join(rest)):
        embedded = _EMBEDDED.search(piece)
        if embedded is not None:
            operations.extend(_generated(embedded.group("sql"), {}))
    return operations


def _array(text: str) -> list[str] | None:
    text = text.strip()
    if text.startswith("'"):
        inner = text[1:].split("}", 1)[0].lstrip("{")
        return [item.strip().strip('"') for item in inner.split(",") if item.strip()]
    items = _split_top_level(text[text.index("[") + 1 : text.rindex("]")])[0]
    values = []
    for item in items:
        literal = _STRING.fullmatch(item.strip().split("::")[0].strip())
        if literal is None:
            return None
        values.append(literal.group(1).replace("''", "'"))
    return values


def _loop_values(loop: re.Match[str], arrays: dict[str, list[str] | None]) -> list[str] | None:
    if loop.group("each"):
        source = loop.group("each_source").strip()
        if re.fullmatch(r"\w+", source):
            return arrays.get(source.lower())
        return _array(source) if re.match(_ARRAY, source, _F) else None
    unnest = _UNNEST.match(loop.group("source").strip())
    if unnest is None:
        return None
    source = unnest.group("array")
    return arrays.get(source.lower()) if re.fullmatch(r"\w+", source) else _array(source)


def _loop_operations(
    loop: re.Match[str], arrays: dict[str, list[str] | None]
) -> list[st.Operation]:
    variable = (loop.group("each") or loop.group("var")).lower()
    values = _loop_values(loop, arrays)
    operations: list[st.Operation] = []
    for _, piece in split_statements_at(loop.group("body")):
        embedded = _EMBEDDED.search(piece)
        if embedded is None:
            continue
        if values is None:
            if _RLS_WORDS.search(piece):
                operations.append(st.Unknown("a loop over tables this replay cannot list"))
            continue
        for value in values:
            operations.extend(_generated(embedded.group("sql"), {variable: value}))
    return operations


def _generated(sql: str, bound: dict[str, str]) -> list[st.Operation]:
    """The operations of one statement of a block, `EXECUTE` evaluated with `bound`."""
    execute = _EXECUTE.match(sql)
    if execute is None:
        return st.read_statement(sql)
    text = _evaluate(execute.group("expression").strip(), bound)
    if text is None:
        if _RLS_WORDS.search(sql):
            return [st.Unknown("dynamic SQL this replay cannot evaluate", tuple(bound.values()))]
        return []
    # A literal may hold whole statements, each ended by its own semicolon.
    return [op for _, piece in split_statements_at(text) for op in st.read_statement(piece)]


def _evaluate(expression: str, bound: dict[str, str]) -> str | None:
    """The string an expression builds: literals, bound variables, `||`, format()."""
    formatted = _FORMAT.fullmatch(expression)
    if formatted is not None:
        args = _split_top_level(formatted.group("args"))[0]
        values = [_evaluate(arg.strip(), bound) for arg in args]
        if not values or any(v is None for v in values):
            return None
        return _format(values[0], values[1:])  # type: ignore[arg-type]
    parts = _split_concatenation(expression)
    if len(parts) > 1:
        values = [_evaluate(part, bound) for part in parts]
        return None if any(v is None for v in values) else "".join(values)  # type: ignore[arg-type]
    expression = expression.strip()
    if literal := _STRING.fullmatch(expression):
        return literal.group(1).replace("''", "'")
    if literal := _DOLLAR_STRING.fullmatch(expression):
        return literal.group("body")
    if call := re.fullmatch(r"quote_ident\s*\((?P<arg>.*)\)", expression, _F):
        return _evaluate(call.group("arg"), bound)
    name = expression.lower()
    if name in bound:
        return bound[name]
    if "." in name and name.split(".")[0] in bound:  # r.tablename of a record variable
        return bound[name.split(".")[0]]
    return None


def _split_concatenation(expression: str) -> list[str]:
    parts, depth, quote, start = [], 0, False, 0
    index = 0
    while index < len(expression):
        char = expression[index]
        if char == "'":
            quote = not quote
        elif not quote and char == "(":
            depth += 1
        elif not quote and char == ")":
            depth -= 1
        elif not quote and depth == 0 and expression.startswith("||", index):
            parts.append(expression[start:index].strip())
            start = index + 2
            index += 1
        index += 1
    parts.append(expression[start:].strip())
    return parts


_PLACEHOLDER = re.compile(r"%(?:(?P<position>\d+)\$)?(?P<kind>[IsL%])")


def _format(template: str, values: list[str]) -> str | None:
    pieces: list[str] = []
    position, next_value = 0, 0
    for match in _PLACEHOLDER.finditer(template):
        pieces.append(template[position : match.start()])
        position = match.end()
        kind = match.group("kind")
        if kind == "%":
            pieces.append("%")
            continue
        index = int(match.group("position")) - 1 if match.group("position") else next_value
        next_value = index + 1
        if index >= len(values):
            return None
        value = values[index]
        if kind == "I":
            pieces.append(
                value
                if re.fullmatch(r"[a-z_][a-z0-9_$]*", value)
                else '"' + value.replace('"', '""') + '"'
            )
        elif kind == "L":
            pieces.append("'" + value.replace("'", "''") + "'")
        else:
            pieces.append(value)
    pieces.append(template[position:])
    return "".join(pieces)
