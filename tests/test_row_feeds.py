"""Read-modify-write: which uses of a read's rows keep them inside the update."""

from __future__ import annotations

import ast
import textwrap

import pytest

from orgscope_lint.analysis import analyze_module
from orgscope_lint.config import Config

CONFIG = Config(tenant_key="workspace_id", db_receivers=("sb",))

_READ = 'row = sb.table("skills").select("n").eq("id", skill_id).single().execute()'
_UPDATE = 'sb.table("skills").update({"n": n}).eq("id", skill_id).execute()'


def _feeds(body: str, update: str = _UPDATE) -> bool:
    source = "def f(skill_id, other, out):\n    " + _READ + "\n"
    source += textwrap.indent(textwrap.dedent(body), "    ") + "    " + update + "\n"
    facts = analyze_module("app.py", source, ast.parse(source), CONFIG)
    read = next(q for q in facts.queries if q.operation == "read")
    return read.feeds is not None


@pytest.mark.parametrize(
    "body",
    [
        'n = row.data["n"] + 1\n',
        'if not row.data:\n    return\nn = row.data.get("n", 0) + 1\n',
        'n = max(0, min(10, (row.data or {}).get("n") or 0))\n',
        'n = row.data["n"]\nn += 1\nprint(f"now {n}")\n',
        'n = row.data["n"]\nlogger.info("n=%s", n)\nassert n is not None\n',
        'meta = row.data["meta"]\nmeta.pop("cache", None)\nn = meta\n',
    ],
)
def test_rows_that_only_feed_the_update(body: str) -> None:
    assert _feeds(body)


@pytest.mark.parametrize(
    "body",
    [
        'n = row.data["n"]\nreturn row.data\n',
        'n = row.data["n"]\nout(row.data)\n',
        'n = row.data["n"]\nout.append(n)\n',
        'n = row.data["n"]\nout["n"] = n\n',
        'n = row.data["n"]\nself.last = n\n',
        "n = [r for r in row.data]\n",
        "n = 1\nfor r in row.data:\n    n += 1\n",
        "n = 1\nlater = lambda: row.data\n",
        "n = 1\nyield row.data\n",
    ],
)
def test_rows_that_leave_the_function(body: str) -> None:
    assert not _feeds(body)


def test_rows_in_the_update_filter_are_the_update_following_the_read() -> None:
    update = 'sb.table("skills").update({"n": 1}).eq("id", row.data["id"]).execute()'
    assert not _feeds("n = 1\n", update)


@pytest.mark.parametrize(
    "update",
    [
        'sb.table("skills").update({"n": n}).eq("id", other).execute()',
        'sb.table("tasks").update({"n": n}).eq("id", skill_id).execute()',
        'sb.table("skills").insert({"n": n, "id": skill_id}).execute()',
    ],
)
def test_only_an_update_of_the_same_row_counts(update: str) -> None:
    assert not _feeds('n = row.data["n"]\n', update)


def test_a_read_written_inside_the_update_record_feeds_it() -> None:
    update = (
        'sb.table("skills").update({"n": sb.table("skills").select("n")\n'
        '        .eq("id", skill_id).single().execute().data.get("n", 0) + 1})\\\n'
        '        .eq("id", skill_id).execute()'
    )
    source = "def f(skill_id):\n    " + update + "\n"
    facts = analyze_module("app.py", source, ast.parse(source), CONFIG)
    read = next(q for q in facts.queries if q.operation == "read")
    assert read.feeds is not None


def test_an_update_before_the_read_is_not_fed_by_it() -> None:
    source = "def f(skill_id):\n    " + _UPDATE.replace("n}", "1}") + "\n    " + _READ + "\n"
    source += '    if row.data:\n        print(row.data["n"])\n'
    facts = analyze_module("app.py", source, ast.parse(source), CONFIG)
    read = next(q for q in facts.queries if q.operation == "read")
    assert read.feeds is None
