"""A thread pool's call is a call of the function it is handed, with what follows it."""

from __future__ import annotations

import ast
import textwrap

import pytest

from orgscope_lint.analysis import analyze_module
from orgscope_lint.analysis.thread_pools import function_position
from orgscope_lint.config import Config
from orgscope_lint.facts import CallFact


@pytest.mark.parametrize(
    ("name", "receiver", "position"),
    [
        ("run_in_threadpool", "", 0),
        ("run_in_threadpool", "starlette.concurrency", 0),
        ("run_in_threadpool", "concurrency", 0),
        ("to_thread", "asyncio", 0),
        ("to_thread", "", 0),  # `from asyncio import to_thread`
        ("run_sync", "anyio.to_thread", 0),
        ("run_sync", "to_thread", 0),
        ("run_in_executor", "loop", 1),
        ("run_in_executor", "", 1),  # `asyncio.get_running_loop().run_in_executor(...)`
    ],
)
def test_dispatchers_name_where_the_function_stands(
    name: str, receiver: str, position: int
) -> None:
    assert function_position(name, receiver) == position


@pytest.mark.parametrize(
    ("name", "receiver"),
    [
        ("to_thread", "self.pool"),  # an object's own method of that name
        ("run_sync", "from_thread"),  # calls back into the event loop: not this
        ("run_sync", ""),
        ("submit", "executor"),  # a future: the call happens, but its result is not awaited here
        ("get_invoice", ""),
    ],
)
def test_other_calls_hand_nothing_to_a_thread(name: str, receiver: str) -> None:
    assert function_position(name, receiver) is None


def calls_of(body: str, db_call: bool) -> list[CallFact]:
    """The calls of `get_invoice` in `f`; with `db_call` the function is interpreted
    through LibCST, without it read from the `ast` (a function with no database call)."""
    query = '    db.select("invoices", {"id": invoice_id})\n' if db_call else ""
    text = (
        "import asyncio\n"
        "from starlette.concurrency import run_in_threadpool\n"
        "async def f(invoice_id, user, loop):\n"
        + textwrap.indent(textwrap.dedent(body), "    ")
        + query
    )
    facts = analyze_module("m.py", text, ast.parse(text), Config())
    assert facts.error is None, facts.error
    return [call for call in facts.calls if call.name == "get_invoice"]


@pytest.mark.parametrize("db_call", [True, False], ids=["libcst", "ast"])
@pytest.mark.parametrize(
    ("body", "slots"),
    [
        ("return await run_in_threadpool(get_invoice, invoice_id)\n", {"0": ("invoice_id",)}),
        (
            "x = await asyncio.to_thread(get_invoice, invoice_id, k=user)\n",
            {"0": ("invoice_id",), "k": ("user",)},
        ),
        ("await loop.run_in_executor(None, get_invoice, invoice_id)\n", {"0": ("invoice_id",)}),
    ],
)
def test_the_handed_function_is_called_with_what_follows_it(
    body: str, slots: dict[str, tuple[str, ...]], db_call: bool
) -> None:
    (call,) = calls_of(body, db_call)
    assert {arg.slot: arg.params for arg in call.args} == slots
    assert not call.enqueued  # run now, in this request, with its result awaited
    assert call.span.line == 4  # where the pool's call stands
    assert call.snippet.startswith(body.split()[0])


@pytest.mark.parametrize("db_call", [True, False], ids=["libcst", "ast"])
def test_a_partial_is_not_followed(db_call: bool) -> None:
    body = "await run_in_threadpool(functools.partial(get_invoice, invoice_id))\n"
    assert calls_of(body, db_call) == []


def test_the_result_is_the_functions() -> None:
    """A check of what the pool returned checks what the function returned."""
    text = textwrap.dedent(
        """\
        from starlette.concurrency import run_in_threadpool
        async def f(invoice_id, current_user):
            row = await run_in_threadpool(get_invoice, invoice_id)
            if row["org_id"] != current_user["org_id"]:
                raise PermissionError
            db.select("invoices", {"id": invoice_id})
        """
    )
    facts = analyze_module("m.py", text, ast.parse(text), Config())
    (call,) = [c for c in facts.calls if c.name == "get_invoice"]
    assert call.result_checked
