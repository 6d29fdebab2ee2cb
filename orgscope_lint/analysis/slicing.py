"""Give LibCST only the top-level functions and classes that can matter.

The LibCST parse is the floor of the analysis (~17k lines/s: "What the analysis costs"
in docs/architecture.md), and most of a backend's functions never touch a database or a
tenant id. The `ast` tree, already
built, tells where each top-level statement starts and ends; a function or class whose
text holds no DB-looking call and no tenant-like name is left out of the text LibCST
parses. Everything else is kept verbatim, in order, so the interpreter sees the same
code it would have seen, and positions still come from the full `ast` tree.
"""

from __future__ import annotations

import ast
import builtins
import re
from dataclasses import dataclass, field

from orgscope_lint.analysis.ast_names import last_name
from orgscope_lint.analysis.identity import mentions_token_check

_BREAK = re.compile(r"\r\n|\r|\n")
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
# A function that builds and returns a dict may be a filter builder: its summary matters
# wherever it is spread into a filter, whatever words it holds.
_RETURNS_DICT = re.compile(r"\breturn\s*(?:\{|dict\()")
# A function that reads the request itself may be a dependency that hands what it read
# to a route (`dependency_values`): its `return`s matter whatever words it holds.
_READS_REQUEST = re.compile(r"\b(?:Header|Cookie)\s*\(|\.(?:headers|query_params|cookies)\b")
# Never project functions: calling one tells nothing about a helper's parameters.
_BUILTINS = frozenset(dir(builtins))


@dataclass(frozen=True)
class Slice:
    text: str
    statements: list[ast.stmt]
    # Top-level names bound by the left-out definitions: still bound for ORG006.
    dropped_names: set[str] = field(default_factory=set)
    # The left-out definitions: their calls are read from the `ast` (`plain_calls`).
    dropped_statements: list[ast.stmt] = field(default_factory=list)

    def dropped_lines(self) -> frozenset[int]:
        """Every line of the left-out definitions, their decorators' included. A slice
        exists only when no two top-level statements share a line, so no node of a kept
        statement stands on one of these."""
        found: set[int] = set()
        for statement in self.dropped_statements:
            first, last = statement_lines(statement)
            found.update(range(first, last + 1))
        return frozenset(found)


def relevant_slice(
    text: str, tree: ast.Module, relevant: re.Pattern[str], keep: frozenset[int] = frozenset()
) -> Slice | None:
    """The kept part of the module, or None when keeping everything is as cheap.
    Definitions spanning a line of `keep` are kept whatever they hold: system code
    (a verified webhook), whose calls tell its callees they run only there."""
    starts = [0] + [m.end() for m in _BREAK.finditer(text)]
    kept: list[ast.stmt] = []
    pieces: list[str] = []
    dropped: set[str] = set()
    dropped_statements: list[ast.stmt] = []
    kept_classes: set[str] = set()
    previous_end = 0
    for stmt in tree.body:
        first, last = statement_lines(stmt)
        if first <= previous_end:
            return None  # two statements share a line (`a = 1; def f(): ...`): keep all
        previous_end = last
        segment = text[starts[first - 1] : starts[last] if last < len(starts) else len(text)]
        if (
            isinstance(stmt, _DEFINITIONS)
            and not relevant.search(segment)
            and not _RETURNS_DICT.search(segment)
            and not _READS_REQUEST.search(segment)
            and not mentions_token_check(segment)  # it may return the caller's id
            and not _extends(stmt, kept_classes)
            and not any(first <= line <= last for line in keep)
        ):
            dropped.add(stmt.name)
            dropped_statements.append(stmt)
            continue
        if isinstance(stmt, ast.ClassDef):
            kept_classes.add(stmt.name)
        kept.append(stmt)
        pieces.append(segment if segment.endswith(("\n", "\r")) else segment + "\n")
    if not dropped:
        return None
    return Slice("".join(pieces), kept, dropped, dropped_statements)


def statement_lines(stmt: ast.stmt) -> tuple[int, int]:
    """The first line (its decorators' included) and the last line of a statement."""
    first = min([stmt.lineno] + [d.lineno for d in getattr(stmt, "decorator_list", [])])
    return first, stmt.end_lineno or stmt.lineno


def may_be_project_call(name: str) -> bool:
    """A plain call that may be a project function (not a builtin, not a class)."""
    return bool(name) and name not in _BUILTINS and not name[:1].isupper()


def _extends(stmt: ast.stmt, kept: set[str]) -> bool:
    """A class deriving from a kept class: a link in a chain down from a DB class."""
    if not isinstance(stmt, ast.ClassDef):
        return False
    return any(last_name(base) in kept for base in stmt.bases)
