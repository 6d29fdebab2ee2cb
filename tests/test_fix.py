"""`--fix` adds the tenant key or the org argument, keeps the layout, and is idempotent."""

from __future__ import annotations

import ast
import contextlib
import textwrap
from pathlib import Path

import pytest

from orgscope_lint.config import load_config
from orgscope_lint.engine import run
from orgscope_lint.fix import edits_for, fixed_text, write_atomically

SOURCE = textwrap.dedent(
    """\
    def delete_call(call_id, current_user, db):
        clerk_org_id = current_user["clerk_org_id"]
        db.delete("calls", {"id": call_id})
        db.update(
            "calls",
            {
                "id": call_id,
            },
            {"status": "x"},
        )
        db.insert("calls", {"id": call_id})
        return db.get_call(call_id)


    def no_principal(call_id, org_id, db):
        db.delete("calls", {"id": call_id})


    def two_candidates(call_id, current_user, db):
        org_id = current_user["clerk_org_id"]
        clerk_org_id = current_user["clerk_org_id"]
        db.delete("calls", {"id": call_id})
    """
)

FIXED = textwrap.dedent(
    """\
    def delete_call(call_id, current_user, db):
        clerk_org_id = current_user["clerk_org_id"]
        db.delete("calls", {"id": call_id, "clerk_org_id": clerk_org_id})
        db.update(
            "calls",
            {
                "id": call_id,
                "clerk_org_id": clerk_org_id,
            },
            {"status": "x"},
        )
        db.insert("calls", {"id": call_id, "clerk_org_id": clerk_org_id})
        return db.get_call(call_id, org_id=clerk_org_id)
    """
)


def _fix_once(root: Path) -> int:
    result = run([root], load_config(start=root), cwd=root)
    applied = 0
    for path, edits in edits_for(result.findings).items():
        target = root / path
        new = fixed_text(target.read_text(), edits)
        if new is not None:
            write_atomically(target, new)
            applied += 1
    return applied


def test_fix_adds_exactly_the_seed_style_edits(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    target = tmp_path / "api.py"
    target.write_text(SOURCE)
    assert _fix_once(tmp_path) == 1
    text = target.read_text()
    assert text.startswith(FIXED)
    # Where no single variable provably holds the principal's org, nothing is guessed.
    untouched = SOURCE.split("\n\n\n", 1)[1]
    assert text.endswith(untouched)
    ast.parse(text)


def test_a_second_run_changes_nothing(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    target = tmp_path / "api.py"
    target.write_text(SOURCE)
    _fix_once(tmp_path)
    once = target.read_text()
    assert _fix_once(tmp_path) == 0
    assert target.read_text() == once


def test_a_result_that_would_not_parse_is_refused() -> None:
    from orgscope_lint.fix import Edit

    edit = Edit(line=1, column=1, kind="add-argument", name="org id", var="x")
    assert fixed_text("f(1)\n", [edit]) is None


def test_cli_dry_run_prints_the_diff_and_writes_nothing(tmp_path: Path, monkeypatch) -> None:
    from click.testing import CliRunner

    from orgscope_lint.cli import cli

    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "api.py").write_text(SOURCE)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["check", ".", "--fix", "--dry-run", "--no-cache"])
    assert result.exit_code == 1
    assert '+    db.delete("calls", {"id": call_id, "clerk_org_id": clerk_org_id})' in result.output
    assert (tmp_path / "api.py").read_text() == SOURCE


def test_cli_fix_reports_what_is_left(tmp_path: Path, monkeypatch) -> None:
    from click.testing import CliRunner

    from orgscope_lint.cli import cli

    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "api.py").write_text(SOURCE)
    monkeypatch.chdir(tmp_path)
    first = CliRunner().invoke(cli, ["check", ".", "--fix", "--no-cache"])
    assert first.exit_code == 1  # the two functions without a provable org stay reported
    assert "(4 fixed)" in first.output
    assert (tmp_path / "api.py").read_text().startswith(FIXED)
    second = CliRunner().invoke(cli, ["check", ".", "--fix", "--no-cache"])
    assert "fixed" not in second.output
    assert [
        line.split(": ")[1].split()[0] for line in second.output.splitlines() if ": ORG" in line
    ] == [
        "ORG001",
        "ORG001",
    ]


# Layouts the statement-by-statement edit must treat as the whole-file edit does: line
# breaks of every kind, no final line break, decorators, a class, statements after the
# edited one, two statements on one line (then the file is not split), a file that does
# not parse.
_LAYOUTS = [
    "import x\n\n\ndef f(db, org_id):\n    db.delete('t', {'id': 1})\n\n\nA = 1\n",
    "def f(db, org_id):\r\n    db.delete('t', {'id': 1})\r\n\r\nB = 2\r\n",
    "def f(db, org_id):\r    db.delete('t', {'id': 1})\r",
    "def f(db, org_id):\n    db.delete('t', {'id': 1})",
    "@route\n@other(1)\ndef f(db, org_id):\n    db.delete(\n        't',\n"
    "        {'id': 1},\n    )\n",
    "class C:\n  def f(self, db, org_id):\n    db.delete('t', {'id': 1})\n# end\n",
    "A = 1; B = 2\ndef f(db, org_id):\n    db.delete('t', {'id': 1})\n",
    "def f(db, org_id):\n    db.delete('t', {'id': 1})\n    db.delete('t', {'id': 1, 'org': 2})\n",
    "def f(db, org_id):\n    db.delete('t', {'id': 1})\n\n\nmatch (\n",
]


@pytest.mark.parametrize("source", _LAYOUTS)
def test_editing_statements_alone_is_editing_the_whole_file(source: str, monkeypatch) -> None:
    from orgscope_lint import fix

    at = source.index("db.delete")
    line = source.count("\n", 0, at) + source.count("\r", 0, at) - source.count("\r\n", 0, at)
    column = at - max(source.rfind("\n", 0, at), source.rfind("\r", 0, at))
    edits = [fix.Edit(line + 1, column, "add-key", "org_id", "org_id")]
    # Also when the analysis had LibCST read the whole file: no need to parse it again;
    # and when it tells where the top-level statements are: no need to ask `ast`.
    split = (fix.changes(source, edits), fix.fixed_text(source, edits))
    assert fix.changes(source, edits, ()) == split[0]
    with contextlib.suppress(fix._Unsplittable):
        lines = fix._statement_lines(source)
        assert fix.changes(source, edits, (), lines) == split[0]

    def unsplittable(source: str) -> tuple:
        raise fix._Unsplittable

    monkeypatch.setattr(fix, "_statement_lines", unsplittable)
    assert split == (fix.changes(source, edits), fix.fixed_text(source, edits))
