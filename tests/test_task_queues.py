"""Enqueues are calls of the task, with the arguments the queue will pass."""

from __future__ import annotations

import ast
import textwrap

import pytest

from orgscope_lint.analysis import analyze_module
from orgscope_lint.analysis.task_queues import Enqueue, enqueue_of
from orgscope_lint.config import Config
from orgscope_lint.facts import CallFact


@pytest.mark.parametrize(
    ("method", "receiver", "first", "expected"),
    [
        ("send", "export_report", None, Enqueue("export_report")),
        ("delay", "reindex", "doc_id", Enqueue("reindex")),
        ("kiq", "reindex", None, Enqueue("reindex")),
        ("apply_async", "reindex", None, Enqueue("reindex", packed=True)),
        ("send_with_options", "export_report", None, Enqueue("export_report", packed=True)),
        ("add_task", "background_tasks", "export_report", Enqueue("export_report", skip=1)),
        ("enqueue", "queue", "jobs.export_report", Enqueue("export_report", skip=1)),
    ],
)
def test_enqueues(method: str, receiver: str, first: str | None, expected: Enqueue) -> None:
    assert enqueue_of(method, receiver, first) == expected


@pytest.mark.parametrize(
    ("method", "receiver", "first"),
    [
        ("send", "self.client", None),  # an object's method
        ("send", "smtp.client", "message"),
        ("add_task", "background_tasks", None),  # no function named first
        ("update", "report", None),
    ],
)
def test_other_calls_are_not_enqueues(method: str, receiver: str, first: str | None) -> None:
    assert enqueue_of(method, receiver, first) is None


def enqueued_calls(body: str, db_call: bool) -> list[CallFact]:
    """The enqueues in `f`; with `db_call` the function is interpreted through LibCST,
    without it read from the `ast` (a function with no database call)."""
    query = '    db.select("reports", {"id": report_id})\n' if db_call else ""
    text = "def f(report_id, tasks):\n" + textwrap.indent(textwrap.dedent(body), "    ") + query
    facts = analyze_module("m.py", text, ast.parse(text), Config())
    assert facts.error is None, facts.error
    return [call for call in facts.calls if call.enqueued]


@pytest.mark.parametrize("db_call", [True, False], ids=["libcst", "ast"])
@pytest.mark.parametrize(
    ("body", "slots"),
    [
        ("export_report.send(report_id)\n", {"0": ("report_id",)}),
        ("tasks.add_task(export_report, report_id)\n", {"0": ("report_id",)}),
        ("export_report.delay(report_id=report_id)\n", {"report_id": ("report_id",)}),
        ("export_report.apply_async(args=(report_id,), countdown=3)\n", {"0": ("report_id",)}),
        ("export_report.apply_async(kwargs={'r': report_id})\n", {"r": ("report_id",)}),
    ],
)
def test_enqueued_arguments_keep_where_they_come_from(
    body: str, slots: dict[str, tuple[str, ...]], db_call: bool
) -> None:
    (call,) = enqueued_calls(body, db_call)
    assert call.name == "export_report"
    assert not call.starred
    assert {arg.slot: arg.params for arg in call.args} == slots


@pytest.mark.parametrize("db_call", [True, False], ids=["libcst", "ast"])
def test_packed_arguments_the_analysis_cannot_see_are_unknown(db_call: bool) -> None:
    (call,) = enqueued_calls("export_report.apply_async(args=report_args)\n", db_call)
    assert call.starred


def test_a_local_value_named_like_a_task_is_not_one() -> None:
    assert enqueued_calls("tasks.send(report_id)\n", db_call=True) == []
