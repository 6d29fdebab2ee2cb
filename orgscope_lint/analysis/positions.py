"""Source positions for the few nodes that become facts, taken from the stdlib `ast`.

LibCST keeps no positions; its PositionProvider re-generates the whole module's code,
which costs more than the parse (2.9 s against 1.6 s for a bare pass: "What the analysis
costs" in docs/architecture.md). The file was already parsed with `ast` as a safety
gate, and `ast` nodes carry positions for free.
So a LibCST node is matched to its `ast` twin by a key (what it is, which name it calls,
on which receiver, with which first argument) and by its rank among nodes with that key,
the interpreter meeting nodes in source order.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Collection, Sequence

from orgscope_lint.analysis.child_nodes import LEAVES, child_nodes
from orgscope_lint.findings import Span

CallKey = tuple[str, str, str]  # (called name, dotted receiver or "", first argument or "?")


def call_key_parts(name: str, receiver: str | None, first_arg: str | None) -> CallKey:
    return (name, receiver or "", first_arg if first_arg is not None else "?")


class PositionIndex:
    def __init__(
        self,
        statements: Sequence[ast.stmt],
        lines: list[str],
        call_names: Collection[str],
        watched_names: Collection[str],
        nodes: Sequence[ast.AST] | None = None,
        left_out: frozenset[int] = frozenset(),
    ) -> None:
        """`nodes`: every node of the module but the module itself, in any order, when
        already listed (`child_nodes.walk_within`): the index reads them instead of
        walking `statements`, leaving out those that stand on a line of `left_out`, the
        top-level statements a slice left out (`Slice.dropped_lines`)."""
        self._lines = lines
        self._calls: dict[CallKey, list[Span]] = defaultdict(list)
        self._defs: dict[str, list[Span]] = defaultdict(list)
        self._def_ends: dict[Span, int] = {}
        self._names: dict[str, list[Span]] = defaultdict(list)
        self._pending: tuple | None = (
            statements,
            nodes,
            left_out,
            frozenset(call_names),
            frozenset(watched_names),
        )

    def _ensure(self) -> None:
        # Built on first use: a module that yields no fact never pays for the walk.
        if self._pending is not None:
            statements, nodes, left_out, call_names, watched = self._pending
            self._pending = None
            if nodes is None:
                self._collect(_every_node(statements), frozenset(), call_names, watched)
            else:
                self._collect(nodes, left_out, call_names, watched)
            for table in (self._calls, self._defs, self._names):
                for spans in table.values():
                    spans.sort(key=lambda s: (s.line, s.column, -s.end_line, -s.end_column))

    def _collect(
        self,
        nodes: Sequence[ast.AST],
        left_out: frozenset[int],
        call_names: frozenset[str],
        watched: frozenset[str],
    ) -> None:
        # One loop over the nodes, in no particular order: the spans are sorted afterwards.
        # `left_out` is asked last, of the few nodes that would be indexed: asking it of
        # every node would cost more.
        calls, defs, def_ends, names = self._calls, self._defs, self._def_ends, self._names
        call, name_node, load = ast.Call, ast.Name, ast.Load
        function, async_function = ast.FunctionDef, ast.AsyncFunctionDef
        for node in nodes:
            kind = node.__class__
            if kind is name_node:
                loaded = node.id in watched and node.ctx.__class__ is load
                if loaded and node.lineno not in left_out:
                    names[node.id].append(self._span(node))
            elif kind is call:
                key = _ast_call_key(node, call_names)
                if key is not None and node.lineno not in left_out:
                    calls[key].append(self._span(node))
            elif kind is function or kind is async_function:
                if node.lineno in left_out:
                    continue
                span = self._def_span(node)
                defs[node.name].append(span)
                def_ends[span] = node.end_lineno or node.lineno

    def call(self, key: CallKey, rank: int) -> Span:
        self._ensure()
        return _pick(self._calls.get(key), rank)

    def definition(self, name: str, rank: int) -> Span:
        self._ensure()
        return _pick(self._defs.get(name), rank)

    def definition_end(self, span: Span) -> int:
        """The last line of the function whose `def` line is `span`."""
        return self._def_ends.get(span, span.line)

    def name(self, name: str, rank: int) -> Span:
        self._ensure()
        return _pick(self._names.get(name), rank)

    def span_of(self, node: ast.expr) -> Span:
        """Where an `ast` expression stands, in the spans' own columns."""
        return self._span(node)

    def line_text(self, line: int) -> str:
        return self._lines[line - 1].strip() if 0 < line <= len(self._lines) else ""

    def _span(self, node: ast.expr) -> Span:
        end_line = node.end_lineno or node.lineno
        return Span(
            node.lineno,
            self._column(node.lineno, node.col_offset),
            end_line,
            self._column(end_line, node.end_col_offset or node.col_offset),
        )

    def _def_span(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> Span:
        # The `def` line itself, not the decorators above it: where ORG005 is reported
        # (docs/architecture.md, "Reporting conventions").
        line = node.lineno
        text = self._lines[line - 1] if line <= len(self._lines) else ""
        start = len(text) - len(text.lstrip())
        return Span(line, start + 1, line, len(text.rstrip("\r\n")) + 1)

    def _column(self, line: int, byte_offset: int) -> int:
        """1-based character column from ast's UTF-8 byte offset."""
        text = self._lines[line - 1] if 0 < line <= len(self._lines) else ""
        if text.isascii():
            return byte_offset + 1
        return len(text.encode("utf-8")[:byte_offset].decode("utf-8", "replace")) + 1


def _every_node(statements: Sequence[ast.stmt]) -> list[ast.AST]:
    """The statements and every node below them, in no particular order: a hand-rolled
    stack, because `ast.walk` and its generators cost most of building the index.
    Leaves without fields (operators, `Load`) are never pushed, and the fields of names
    and constants, which hold no node, are not looked at: they are four nodes in ten."""
    found: list[ast.AST] = []
    stack: list[ast.AST] = list(statements)
    pop, extend, add = stack.pop, stack.extend, found.append
    while stack:
        node = pop()
        add(node)
        if node.__class__ not in LEAVES:
            extend(child_nodes(node))
    return found


def _pick(spans: list[Span] | None, rank: int) -> Span:
    if not spans:
        return Span(1, 1, 1, 1)
    return spans[min(rank, len(spans) - 1)]


def _ast_call_key(node: ast.Call, call_names: frozenset[str]) -> CallKey | None:
    func = node.func
    if isinstance(func, ast.Attribute):  # every method call: any may be a DB helper
        name, receiver = func.attr, ast_dotted(func.value)
    elif isinstance(func, ast.Name):  # any plain call: a module-level helper, a class
        name, receiver = func.id, ""
    else:
        return None
    first = _ast_first_arg(node)
    return call_key_parts(name, receiver, first)


def _ast_first_arg(node: ast.Call) -> str | None:
    if not node.args or isinstance(node.args[0], ast.Starred):
        return None
    arg = node.args[0]
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return "'" + arg.value
    if isinstance(arg, ast.Constant) and (arg.value is None or isinstance(arg.value, bool)):
        return str(arg.value)  # a name to LibCST, as `first_arg_key` spells it
    return ast_dotted(arg) or None


def ast_dotted(node: ast.expr) -> str:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return ""
