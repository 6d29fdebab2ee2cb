"""The terminal's code frame fits the terminal: long lines are cut with an ellipsis, a
span beyond the right edge scrolls the frame, and the caret stays under its code.

Snapshots of `tests/data/code_frame/app.py` at COLUMNS=80 and COLUMNS=200 pin the
layout; ORGSCOPE_UPDATE_SNAPSHOTS=1 rewrites them after a deliberate change.
"""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import pytest
from rich.cells import cell_len
from rich.console import Console

from orgscope_lint.config import config_from_mapping
from orgscope_lint.engine import run
from orgscope_lint.reporters import Report
from orgscope_lint.reporters.text import ELLIPSIS, render_rich

DATA = Path(__file__).parent / "data" / "code_frame"
GUTTER = " │ "


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    root = tmp_path_factory.mktemp("frame")
    shutil.copy(DATA / "app.py", root / "app.py")
    (root / "migrations").mkdir()
    (root / "migrations" / "001.sql").write_text(
        "create table calls (id uuid, clerk_org_id text);\n", encoding="utf-8"
    )
    result = run([root], config_from_mapping({}, root=root), cwd=root, use_cache=False)
    assert len(result.findings) == 4, result.findings
    return Report(findings=tuple(result.findings), files_checked=1, rules=(), cwd=root)


def rendered(report: Report, columns: int, monkeypatch: pytest.MonkeyPatch) -> str:
    # The width comes from COLUMNS, as on a terminal that sets it.
    monkeypatch.setenv("COLUMNS", str(columns))
    out = io.StringIO()
    render_rich(report, Console(file=out, color_system=None))
    return out.getvalue()


@pytest.mark.parametrize("columns", [80, 200])
def test_the_frame_matches_its_snapshot(
    report: Report, columns: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = rendered(report, columns, monkeypatch)
    snapshot = DATA / f"columns_{columns}.txt"
    if os.environ.get("ORGSCOPE_UPDATE_SNAPSHOTS"):
        snapshot.write_text(output, encoding="utf-8")
    assert output == snapshot.read_text(encoding="utf-8")


def frame_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if GUTTER in line]


@pytest.mark.parametrize("columns", [40, 80, 120, 200])
def test_no_frame_line_is_wider_than_the_terminal(
    report: Report, columns: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = frame_lines(rendered(report, columns, monkeypatch))
    assert lines
    assert max(cell_len(line.rstrip()) for line in lines) <= columns


@pytest.mark.parametrize("columns", [40, 80, 120, 200])
def test_the_caret_is_under_the_reported_call(
    report: Report, columns: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = frame_lines(rendered(report, columns, monkeypatch))
    carets = [
        i for i, line in enumerate(lines) if line.split(GUTTER, 1)[1].lstrip().startswith("^")
    ]
    assert len(carets) == len(report.findings)
    for index in carets:
        code = _cells(lines[index - 1])
        caret = _cells(lines[index])
        start = caret.index("^")
        # Every reported call here is `db.<method>(...)`: the caret starts on its `d`.
        assert "".join(code[start : start + 3]) == "db.", (lines[index - 1], lines[index])


def test_a_wide_terminal_shows_every_line_whole(
    report: Report, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = rendered(report, 400, monkeypatch)
    assert ELLIPSIS not in "".join(frame_lines(output))


def _cells(line: str) -> list[str]:
    """The line as terminal cells: a wide character fills two, the second left empty."""
    cells: list[str] = []
    for char in line:
        cells.append(char)
        cells.extend("" for _ in range(cell_len(char) - 1))
    return cells
