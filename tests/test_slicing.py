"""LibCST parses only the top-level definitions that can matter; nothing else changes."""

from __future__ import annotations

import ast
import textwrap

from orgscope_lint.analysis import analyze_module, relevance_pattern
from orgscope_lint.analysis.slicing import relevant_slice
from orgscope_lint.config import Config

SOURCE = textwrap.dedent(
    """\
    import math


    def area(r):
        return math.pi * r * r


    class Shape:
        def grow(self, k):
            return k * 2


    def delete_call(db, call_id):
        db.delete("calls", {"id": call_id})


    @decorator
    def volume(r):
        return area(r) * r


    def list_calls(db, call_id):
        return db.select("calls", {"id": call_id})
    """
)


def test_irrelevant_definitions_are_left_out() -> None:
    part = relevant_slice(SOURCE, ast.parse(SOURCE), relevance_pattern(Config()))
    assert part is not None
    assert part.dropped_names == {"area", "Shape", "volume"}
    assert "def area" not in part.text and "@decorator" not in part.text
    assert "def delete_call" in part.text and "def list_calls" in part.text
    ast.parse(part.text)  # what LibCST gets is still a valid module


def test_positions_still_point_into_the_full_file() -> None:
    facts = analyze_module("m.py", SOURCE, ast.parse(SOURCE), Config())
    lines = SOURCE.splitlines()
    spans = [(q.method, q.span.line) for q in facts.queries]
    assert spans == [("delete", 14), ("select", 23)]
    for query in facts.queries:
        assert lines[query.span.line - 1][query.span.column - 1 :].startswith("db.")


def test_names_bound_by_left_out_definitions_are_still_bound() -> None:
    source = "def org_id():\n    return 1\n\n\ndef f(db):\n    print(org_id)\n    db.x()\n"
    facts = analyze_module("m.py", source, ast.parse(source), Config())
    assert facts.undefined_names == ()
    unbound = "def f(db):\n    print(org_id)\n"
    facts = analyze_module("m.py", unbound, ast.parse(unbound), Config())
    assert [u.name for u in facts.undefined_names] == ["org_id"]


def test_statements_sharing_a_line_keep_the_whole_module() -> None:
    pattern = relevance_pattern(Config())
    separate = "x = 1\ny = 2\ndef unrelated():\n    return 3\n"
    assert relevant_slice(separate, ast.parse(separate), pattern) is not None
    shared = "x = 1; y = 2\ndef unrelated():\n    return 3\n"
    assert relevant_slice(shared, ast.parse(shared), pattern) is None


def test_a_function_that_verifies_a_token_is_kept() -> None:
    # A dependency that returns a verified subject hands routes the caller's own id.
    source = (
        SOURCE
        + "\n\ndef current_user_id(credentials):\n    return verify_jwt(credentials)['sub']\n"
    )
    part = relevant_slice(source, ast.parse(source), relevance_pattern(Config()))
    assert part is not None
    assert "current_user_id" not in part.dropped_names
    assert "area" in part.dropped_names


def test_a_file_that_only_verifies_tokens_is_analysed() -> None:
    from orgscope_lint.engine import analyze_source
    from orgscope_lint.sources import SourceText

    text = "def current_user_id(token):\n    return decode_access_token(token)['sub']\n"
    facts = analyze_source(SourceText(text, "utf-8", "0"), Config(), "auth.py")
    assert facts.skipped is None
    assert facts.function("current_user_id").returns_identity == ()
