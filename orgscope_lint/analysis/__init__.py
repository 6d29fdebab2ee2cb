"""Turn one file's text into facts. No rule lives here."""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, TypeVar

from orgscope_lint.analysis import builder_api, execution_context
from orgscope_lint.analysis.service_api import QUERY_METHODS
from orgscope_lint.analysis.slicing import relevant_slice, statement_lines
from orgscope_lint.anonymous_rows import row_creations
from orgscope_lint.config import Config
from orgscope_lint.facts import CallFact, FileError, FileFacts, FunctionFact, HandedOn, Query
from orgscope_lint.findings import Span
from orgscope_lint.per_user_tables import owner_reads
from orgscope_lint.untagged_tables import filter_columns

if TYPE_CHECKING:
    from orgscope_lint.analysis.existence_probes import UnusedRead
    from orgscope_lint.analysis.positions import PositionIndex

_Marked = TypeVar("_Marked", Query, CallFact)
Position = tuple[int, int]

MAX_ANALYSED_LINES = 20_000
MAX_ANALYSED_NODES = 200_000


def _node_count(tree: ast.Module) -> int:
    count = 0
    for count, _ in enumerate(ast.walk(tree), start=1):
        if count > MAX_ANALYSED_NODES:
            break
    return count


def relevance_pattern(config: Config, extra: tuple[str, ...] = ()) -> re.Pattern[str]:
    """Text that code must contain to hold a DB call, a DB class or a tenant-like name
    (or one of `extra`: the module's context variables)."""
    words = {*QUERY_METHODS, *config.scoped_helpers, *config.db_classes, *builder_api.STARTS}
    # The principal too: a route that has one may call a helper inferred in another file.
    words |= config.tenant_like_names | set(config.principal_names)
    # And what reads the execution context, whose values it may hand to a helper.
    words |= execution_context.MARKERS | set(extra)
    return _pattern_for(tuple(sorted(words)))


@lru_cache(maxsize=8)
def _pattern_for(words: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(map(re.escape, words)) + r")\b")


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def analyze_module(
    path: str,
    text: str,
    tree: ast.Module,
    config: Config,
    nodes: Sequence[ast.AST] | None = None,
) -> FileFacts:
    """Facts for one module; `tree` is the module already parsed by `ast` (the safety gate),
    `nodes` every node of it as the gate listed them (`child_nodes.walk_within`)."""
    line_count = text.count("\n") + 1
    if len(text) > 500_000 and _node_count(tree) > MAX_ANALYSED_NODES:
        # Megabytes of code on few lines (a generated literal): LibCST's cost follows
        # the syntax, not the bytes, so count nodes; long string constants stay cheap.
        return FileFacts(
            path=path,
            error=FileError(
                f"too large to analyse (over {MAX_ANALYSED_NODES:,} syntax nodes):"
                " exclude generated code"
            ),
        )
    if line_count > MAX_ANALYSED_LINES:
        # LibCST parses ~17k lines/s: a generated module of 50k lines would stall a
        # pre-commit hook for seconds. Lines, not bytes: long string constants are cheap.
        return FileFacts(
            path=path,
            error=FileError(
                f"too large to analyse ({line_count:,} lines, limit {MAX_ANALYSED_LINES:,}):"
                " exclude generated code"
            ),
        )
    # Imported on first use: a run the cache answers entirely never loads LibCST.
    import libcst as cst

    from orgscope_lint.analysis import system_context
    from orgscope_lint.analysis.interpreter import ModuleInterpreter
    from orgscope_lint.analysis.parsing import parse_parsed_module
    from orgscope_lint.analysis.positions import PositionIndex
    from orgscope_lint.analysis.raisers import never_returning

    detected = system_context.detect(tree, nodes)
    pattern = relevance_pattern(config, execution_context.variables(tree))
    part = relevant_slice(text, tree, pattern, frozenset(detected.by_line))
    try:
        module = parse_parsed_module(part.text if part else text)
    except cst.ParserSyntaxError:
        if part is None:
            return _unparsable(path, text)
        part = None  # the slice itself may be what LibCST refuses: try the whole file
        try:
            module = parse_parsed_module(text)
        except cst.ParserSyntaxError:
            return _unparsable(path, text)
    # Python's own line breaks only: str.splitlines() also breaks at \f and \u2028,
    # which would shift every position after them.
    lines = _LINE_BREAK.split(text)
    call_names = set(QUERY_METHODS) | set(config.scoped_helpers) | set(config.db_classes)
    statements = part.statements if part else tree.body
    positions = PositionIndex(
        statements,
        lines,
        call_names,
        config.tenant_like_names,
        nodes=None if nodes is None else nodes[1:],  # the module's own node left out
        left_out=part.dropped_lines() if part else frozenset(),
    )
    from orgscope_lint.analysis.constructor_fields import constructor_fields
    from orgscope_lint.analysis.origins import router_prefix_params

    prefixes = router_prefix_params(tree)
    fields = constructor_fields(tree)
    interpreter = ModuleInterpreter(
        module, config, positions, detected, never_returning(tree), prefixes, fields
    )
    try:
        undefined = interpreter.run(part.dropped_names if part else ())
    except RecursionError:
        return FileFacts(path=path, error=FileError("too deeply nested to analyse"))
    from orgscope_lint.analysis.call_facts import verifications_with_lookups, with_lookups
    from orgscope_lint.analysis.plain_calls import plain_calls

    plain = plain_calls(part.dropped_statements if part else (), lines, fields)
    unseen = interpreter.escaped | plain.unseen
    starts = {fact.span.line for fact in (*interpreter.queries, *interpreter.calls)}
    reads, deciding, staying = _per_function(tree, lines, starts)
    unused = _unused_results(reads, positions)
    stays = _staying_results(staying, positions)
    feeds = _feeding_reads(tree, interpreter.queries)
    return FileFacts(
        path=path,
        queries=tuple(
            _stays_marked(_unused_marked(_feeds_marked(index, query, feeds), unused), stays)
            for index, query in enumerate(interpreter.queries)
        ),
        helper_calls=tuple(interpreter.helper_calls),
        functions=_with_deciding_params(
            (
                *verifications_with_lookups(
                    interpreter.functions, interpreter.queries, interpreter.helper_calls
                ),
                *plain.functions,
            ),
            deciding,
        ),
        undefined_names=tuple(undefined),
        constructions=tuple(interpreter.constructions),
        calls=(
            *with_lookups(
                [_stays_marked(_unused_marked(call, unused), stays) for call in interpreter.calls],
                interpreter.queries,
                interpreter.helper_calls,
            ),
            *plain.calls,
        ),
        unseen_calls=tuple(sorted(unseen)),
        keyed_tables=_keyed_tables(interpreter.queries, config.tenant_key),
        owner_reads=owner_reads(interpreter.queries, config.owner_keys),
        filter_reads=filter_columns(interpreter.queries),
        row_creations=row_creations(interpreter.queries, interpreter.functions),
        lines=len(lines) - 1 if lines[-1] == "" else len(lines),
        unparsed=tuple(map(statement_lines, part.dropped_statements)) if part else (),
        statements=tuple(map(statement_lines, tree.body)),
    )


# A result nothing keeps, with the "line:column:slot" of the dropped calls it goes to.
_Left = tuple["UnusedRead", tuple[str, ...]]


def _per_function(
    tree: ast.Module, lines: list[str], starts: set[int]
) -> tuple[list[UnusedRead], dict[int, tuple[str, ...]], list[_Staying]]:
    """One pass over every function's own statements: the results nothing uses among
    the calls that start on `starts` (`analysis/existence_probes.py`), the parameters
    each function only decides on, by its `def` line (`analysis/decision_uses.py`),
    and the results that stay in their function (`analysis/staying_rows.py`)."""
    from orgscope_lint.analysis.decision_uses import FunctionText, deciding_params
    from orgscope_lint.analysis.existence_probes import functions, own_statements, unused_in
    from orgscope_lint.analysis.staying_rows import staying_results

    reads: list[UnusedRead] = []
    deciding: dict[int, tuple[str, ...]] = {}
    staying: list[_Staying] = []
    for fn in functions(tree.body):
        statements = list(own_statements(fn.body))
        text = FunctionText(fn, lines)
        if starts:
            reads.extend(unused_in(fn, statements, text, starts))
            staying.extend(staying_results(fn, statements, text, starts))
        found = deciding_params(fn, statements, text)
        if found:
            deciding[fn.lineno] = found
    return reads, deciding, staying


# The calls of a chain whose result stays, and for each use handed on, the calls it
# sits in (`analysis/staying_rows.py`).
_Staying = tuple[tuple[ast.Call, ...], list[tuple[ast.Call, ...]]]


def _staying_results(staying: list[_Staying], positions: PositionIndex) -> dict[Position, HandedOn]:
    """Where the calls whose results stay start, with where each is handed on."""
    found: dict[Position, HandedOn] = {}
    for calls, handed in staying:
        on = tuple(
            tuple(_start(positions.span_of(call)) for call in enclosing) for enclosing in handed
        )
        for call in calls:
            found[_start(positions.span_of(call))] = on
    return found


def _start(span: Span) -> Position:
    return (span.line, span.column)


def _stays_marked(fact: _Marked, stays: dict[Position, HandedOn]) -> _Marked:
    """A read's rows (`Query.rows_stay`) or a call's result (`CallFact.result_stays`)
    that stay in the function."""
    from dataclasses import replace

    on = stays.get(_start(fact.span))
    if on is None:
        return fact
    if isinstance(fact, Query):
        return replace(fact, rows_stay=on) if fact.operation in ("read", "count") else fact
    return replace(fact, result_stays=on)


def _unused_results(
    reads: list[UnusedRead], positions: PositionIndex
) -> dict[tuple[int, int], _Left]:
    """Where the calls whose results nothing uses start, with the "line:column:slot" of
    the dropped calls each is handed to."""
    unused: dict[tuple[int, int], _Left] = {}
    for read in reads:
        refs = tuple(
            f"{span.line}:{span.column}:{slot}"
            for span, slot in ((positions.span_of(call), slot) for call, slot in read.handed)
        )
        for span in map(positions.span_of, read.calls):
            unused[(span.line, span.column)] = (read, refs)
    return unused


def _unused_marked(fact: _Marked, unused: dict[tuple[int, int], _Left]) -> _Marked:
    """A read's rows (`Query.rows_unused`) only tested for presence, or a call's result
    (`CallFact.result_unused`, `CallFact.result_handed`) nothing keeps."""
    from dataclasses import replace

    left = unused.get((fact.span.line, fact.span.column))
    if left is None:
        return fact
    read, handed = left
    if isinstance(fact, Query):
        reads = fact.operation in ("read", "count")
        return replace(fact, rows_unused=True) if read.presence and reads else fact
    if handed:
        return replace(fact, result_handed=handed)
    use = "dropped" if read.dropped else "decided"
    if read.presence and not read.compared and not read.dropped:
        use = "presence"
    return replace(fact, result_unused=True, result_use=use)


def _with_deciding_params(
    functions: tuple[FunctionFact, ...], deciding: dict[int, tuple[str, ...]]
) -> tuple[FunctionFact, ...]:
    """Each function with the parameters it only decides on (`deciding_params`)."""
    from dataclasses import replace

    if not deciding:
        return functions
    return tuple(
        replace(fn, deciding_params=deciding[fn.span.line]) if fn.span.line in deciding else fn
        for fn in functions
    )


def _feeding_reads(tree: ast.Module, queries: list[Query]) -> dict[int, int]:
    """Reads whose rows only feed the update of the same row after them."""
    from orgscope_lint.analysis.row_feeds import feeding_reads, same_row_pairs

    pairs = same_row_pairs(queries)
    return feeding_reads(tree, queries, pairs) if pairs else {}


def _feeds_marked(index: int, query: Query, feeds: dict[int, int]) -> Query:
    from dataclasses import replace

    return replace(query, feeds=feeds[index]) if index in feeds else query


def _keyed_tables(queries: list[Query], key: str) -> tuple[tuple[str, int], ...]:
    first: dict[tuple[str, str | None], int] = {}
    for query in queries:
        if query.shape.get(key) is not None:
            first.setdefault((query.table, query.function), query.span.line)
    return tuple(sorted((table, line) for (table, _), line in first.items()))


def _unparsable(path: str, text: str) -> FileFacts:
    """CPython accepted the file, LibCST did not (it is stricter in a few corners, such
    as a backslash continuation before an indented block): say so, where it is."""
    import libcst as cst

    try:
        cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        line, column = max(exc.raw_line, 1), max(exc.editor_column, 1)
        reason = exc.message
        # The native parser puts its own, more precise, location in the message.
        located = re.match(r"(?:parser error: )?error at (\d+):(\d+): (.*)", reason, re.DOTALL)
        if located:
            line, column, reason = int(located[1]), int(located[2]), located[3]
        message = f"valid Python the parser could not read: {reason}"
        return FileFacts(path=path, error=FileError(message, Span(line, column, line, column)))
    return FileFacts(path=path, error=FileError("valid Python the parser could not read"))
