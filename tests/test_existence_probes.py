"""Which reads' rows nothing uses (`analysis/existence_probes.py`)."""

from __future__ import annotations

import ast
import textwrap

from orgscope_lint.analysis.existence_probes import unused_reads


def _unused_lines(source: str) -> set[int]:
    """The lines of the query chains whose rows nothing uses (every query start counts)."""
    text = textwrap.dedent(source)
    lines = text.split("\n")
    starts = {number for number, line in enumerate(lines, 1) if ".table(" in line}
    return {
        call.lineno
        for read in unused_reads(ast.parse(text), lines, starts)
        if read.presence
        for call in read.calls
    }


def test_a_presence_test_is_the_only_use() -> None:
    assert _unused_lines(
        """
        def f(sb, slug):
            taken = sb.table("p").select("id").eq("slug", slug).execute()
            if taken.data:
                raise ValueError
        """
    ) == {3}


def test_a_returned_row_is_used() -> None:
    assert not _unused_lines(
        """
        def f(sb, slug):
            taken = sb.table("p").select("id").eq("slug", slug).execute()
            if taken.data:
                return taken.data[0]
        """
    )


def test_a_dropped_one_row_unfiltered_read_is_a_probe() -> None:
    assert _unused_lines(
        """
        async def health(sb):
            response = await sb.table("p").select("id").limit(1).execute()
            response = sb.table("p").select("*").limit(1).execute()
            sb.table("p").select("id").limit(1).execute()
            return {"ok": True}
        """
    ) == {3, 4, 5}


def test_a_dropped_read_of_another_shape_is_judged_as_usual() -> None:
    # Filtered, ordered, more rows, or no limit: how snippets spell a query.
    assert not _unused_lines(
        """
        def f(sb, name):
            sb.table("p").select("id").eq("name", name).limit(1).execute()
            sb.table("p").select("id").order("id").limit(1).execute()
            sb.table("p").select("id").limit(2).execute()
            sb.table("p").select("id").execute()
            rows = sb.table("p").select("id").execute()
        """
    )


def test_a_probe_whose_result_is_read_is_not_dropped() -> None:
    assert not _unused_lines(
        """
        def f(sb):
            one = sb.table("p").select("*").limit(1).execute()
            def later():
                return one
            return later
        """
    )


def test_a_global_bound_by_a_probe_is_read_elsewhere() -> None:
    assert not _unused_lines(
        """
        def f(sb):
            global one
            one = sb.table("p").select("*").limit(1).execute()
        """
    )


def test_a_lookup_with_a_fallback_only_compared_is_unused() -> None:
    assert _unused_lines(
        """
        def f(sb, presented, org):
            stored = sb.table("s").select("value").eq("org", org).execute() or DEFAULT
            if presented != stored:
                raise ValueError
        """
    ) == {3}


def test_a_lookup_with_a_fallback_handed_on_is_used() -> None:
    assert not _unused_lines(
        """
        def f(sb, presented, org):
            stored = sb.table("s").select("value").eq("org", org).execute() or DEFAULT
            if presented != stored:
                raise ValueError
            return stored
        """
    )
