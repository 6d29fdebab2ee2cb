"""Ids read back from the execution context are server state, not request input."""

from __future__ import annotations

import ast
import textwrap

import pytest

from orgscope_lint.analysis import analyze_module, execution_context
from orgscope_lint.config import Config

MODULE_HEAD = """\
import contextvars
import structlog
from structlog.contextvars import get_contextvars

current_thread = contextvars.ContextVar("current_thread", default=None)

"""


def pinned_by_context(body: str) -> bool:
    text = MODULE_HEAD + "def f(given):\n" + textwrap.indent(textwrap.dedent(body), "    ")
    facts = analyze_module("m.py", text, ast.parse(text), Config())
    assert facts.error is None, facts.error
    assert len(facts.queries) == 1, facts.queries
    return execution_context.context_pin(facts.queries[0]) is not None


FROM_CONTEXT = {
    "structlog context, .get": """
        thread_id = structlog.contextvars.get_contextvars().get("thread_id")
        db.select("threads", {"thread_id": thread_id})
        """,
    "structlog reader imported by name, subscript": """
        context = get_contextvars()
        db.select("threads", {"thread_id": context["thread_id"]})
        """,
    "a module ContextVar": """
        db.select("threads", {"thread_id": current_thread.get()})
        """,
    "checked for presence first": """
        thread_id = current_thread.get()
        if not thread_id:
            return None
        sb.table("threads").select("*").eq("thread_id", thread_id).execute()
        """,
}


@pytest.mark.parametrize("body", FROM_CONTEXT.values(), ids=FROM_CONTEXT.keys())
def test_context_values_pin_the_query(body: str) -> None:
    assert pinned_by_context(body)


NOT_FROM_CONTEXT = {
    "an argument": """
        db.select("threads", {"thread_id": given})
        """,
    "the context on one path, an argument on the other": """
        thread_id = given
        if not thread_id:
            thread_id = current_thread.get()
        db.select("threads", {"thread_id": thread_id})
        """,
    "a context value beside an argument": """
        db.select("threads", {"thread_id": current_thread.get(), "name": given})
        """,
    "a call of another context's method": """
        db.select("threads", {"thread_id": given.contextvars.get_context()})
        """,
    "the context only on some paths": """
        filters = {}
        if given:
            filters["thread_id"] = current_thread.get()
        db.select("threads", filters)
        """,
}


@pytest.mark.parametrize("body", NOT_FROM_CONTEXT.values(), ids=NOT_FROM_CONTEXT.keys())
def test_other_values_do_not(body: str) -> None:
    assert not pinned_by_context(body)


def test_a_function_that_only_hands_the_context_on_is_analysed() -> None:
    # No DB call and no tenant name: without the module's context variables among the
    # words that make code relevant, it would be left out and its argument unknown.
    text = MODULE_HEAD + "async def apply():\n    return await cached(current_thread.get())\n"
    facts = analyze_module("m.py", text, ast.parse(text), Config())
    [call] = [c for c in facts.calls if c.name == "cached"]
    assert [arg.origin for arg in call.args] == [execution_context.CONTEXT]


def test_context_variables_are_the_module_level_contextvars() -> None:
    tree = ast.parse(
        MODULE_HEAD + "other = dict()\nlocal: contextvars.ContextVar = ContextVar('x')\n"
    )
    assert execution_context.variables(tree) == ("current_thread", "local")
