"""`orgscope-lint audit`, end to end through the CLI on a copy of the seed fixture.

Every format is rendered from one `AuditReport`; these tests read the numbers back out of
each export and hold them against the JSON, so a renderer that drifts fails here.
"""

from __future__ import annotations

import html
import io
import json
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from orgscope_lint.audit import FORMATS
from orgscope_lint.audit.progress import ProgressBar
from orgscope_lint.cli import cli
from orgscope_lint.config import load_config
from orgscope_lint.engine import run

BEFORE = Path(__file__).resolve().parent.parent / "fixtures" / "clerk_backend" / "before"
BUCKETS = ("unscoped", "conditional", "unknown", "scoped")
MARKS = {"unscoped": "✗", "conditional": "~", "unknown": "?", "scoped": "✓"}


@pytest.fixture
def backend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the seed backend with one unparsable file and one unreadable migration."""
    target = tmp_path / "backend"
    shutil.copytree(BEFORE, target)
    (target / "app" / "broken.py").write_text("def broken(:\n    db.select('calls')\n")
    (target / "migrations" / "099_latin1.sql").write_bytes(b"-- caf\xe9\nSELECT 1;\n")
    monkeypatch.chdir(tmp_path)
    return target


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, ["audit", *args], catch_exceptions=False)


def audit_json(path: str = "backend") -> dict:
    result = invoke(path, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def cells(data: dict) -> dict[tuple[str, str], dict]:
    return {(c["table"], c["operation"]): c for c in data["coverage"]}


def test_matrix_counts_unscoped_and_scoped_cells(backend: Path) -> None:
    data = audit_json()
    matrix = cells(data)
    assert matrix[("calls", "update")]["unscoped"] > 0
    webhook_reads = matrix[("webhook_endpoints", "read")]
    assert webhook_reads["scoped"] > 0
    assert webhook_reads["unscoped"] == webhook_reads["conditional"] == 0
    assert set(data["coverage"][0]) == {
        "table",
        "operation",
        "scoped",
        "conditional",
        "unscoped",
        "unknown",
    }


def test_json_has_the_documented_top_level_keys(backend: Path) -> None:
    data = audit_json()
    assert data["version"] == 1
    for key in ("tenant_model", "coverage", "findings_by_rule", "findings_by_file", "skipped"):
        assert key in data
    model = data["tenant_model"]
    assert model["tenant_key"] == "clerk_org_id"
    assert model["config"] is None
    assert model["assume_all"] is False
    tables = {t["name"]: t for t in model["tables"]}
    assert tables["api_keys"]["key"] == "client_id"
    assert tables["calls"]["source"].endswith("024_add_missing_clerk_org_id_columns.sql")


def test_tables_are_sorted_worst_first(backend: Path) -> None:
    data = audit_json()
    order: list[str] = []
    unscoped: dict[str, int] = {}
    for cell in data["coverage"]:
        if cell["table"] not in unscoped:
            order.append(cell["table"])
            unscoped[cell["table"]] = 0
        unscoped[cell["table"]] += cell["unscoped"]
    flags = [unscoped[table] > 0 for table in order]
    assert flags == sorted(flags, reverse=True)  # every red table before any other
    red = [unscoped[table] for table in order if unscoped[table]]
    assert red == sorted(red, reverse=True)
    assert "tools" in order and unscoped["tools"] == 0


def test_findings_match_check(backend: Path) -> None:
    data = audit_json()
    check = CliRunner().invoke(cli, ["check", "backend", "--output-format", "json"])
    assert check.exit_code == 1
    active = json.loads(check.stdout)["findings"]
    per_rule = {g["code"]: g["count"] for g in data["findings_by_rule"]}
    expected: dict[str, int] = {}
    for finding in active:
        expected[finding["code"]] = expected.get(finding["code"], 0) + 1
    assert per_rule == expected
    assert data["totals"]["findings"] == len(active)
    counts = [g["count"] for g in data["findings_by_file"]]
    assert sum(counts) == len(active)
    first = data["findings_by_file"][0]
    assert first["path"].endswith("app/api/calls.py")
    assert first["codes"]["ORG001"] >= 5


def test_skipped_files_and_migrations_are_listed(backend: Path) -> None:
    data = audit_json()
    skipped = {(Path(s["path"]).name, s["kind"]) for s in data["skipped"]}
    assert ("broken.py", "error") in skipped
    assert ("main.py", "skipped") in skipped
    assert ("099_latin1.sql", "migration") in skipped
    assert data["tenant_model"]["unreadable_migrations"][0]["path"].endswith("099_latin1.sql")
    for fmt in ("text", "markdown", "html"):
        out = invoke("backend", "--format", fmt).stdout
        for name in ("broken.py", "app/main.py", "099_latin1.sql", "no database call"):
            assert name in out, (fmt, name)


def markdown_cells(text: str, table: str) -> list[str]:
    row = next(line for line in text.splitlines() if re.match(rf"\| \S+ `{table}` \|", line))
    return [cell.strip() for cell in row.strip("|").split("|")][1:]


def html_cells(text: str, table: str) -> list[str]:
    row = re.search(
        rf"<tr><td><span class=\"dot \w+\"></span><code>{table}</code></td>(.*?)</tr>", text
    )
    assert row is not None
    return re.findall(r"<td[^>]*>(.*?)</td>", row.group(1))


def expected_marks(cell: dict) -> str:
    return " ".join(f"{MARKS[b]}{cell[b]}" for b in BUCKETS if cell[b])


def expected_html(cell: dict) -> str:
    return "".join(f'<span class="{b}">{cell[b]} {b}</span>' for b in BUCKETS if cell[b])


@pytest.mark.parametrize("table", ["calls", "webhook_endpoints", "contacts", "voices"])
def test_markdown_html_and_text_show_the_json_numbers(backend: Path, table: str) -> None:
    data = audit_json()
    row = [c for c in data["coverage"] if c["table"] == table]
    assert [c["operation"] for c in row] == ["read", "count", "update", "delete", "insert"]
    markdown = invoke("backend", "--format", "markdown").stdout
    page = invoke("backend", "--format", "html").stdout
    text = invoke("backend").stdout.split("Coverage matrix", 1)[1]
    for cell, shown in zip(row, markdown_cells(markdown, table), strict=True):
        assert shown.endswith(expected_marks(cell)) if cell_total(cell) else shown == "·"
    for cell, shown in zip(row, html_cells(page, table), strict=True):
        assert shown == (expected_html(cell) if cell_total(cell) else "&ndash;")
    text_row = next(line for line in text.splitlines() if line.strip().startswith(table + " "))
    assert text_row.split()[1:] == [m for c in row for m in (expected_marks(c) or "·").split()]


def cell_total(cell: dict) -> int:
    return sum(cell[b] for b in BUCKETS)


def test_totals_agree_across_formats(backend: Path) -> None:
    data = audit_json()
    findings = data["totals"]["findings"]
    assert f"**{findings} findings**" in invoke("backend", "--format", "markdown").stdout
    assert f"<b>{findings}</b><span>findings</span>" in invoke("backend", "--format", "html").stdout
    assert f"{findings} findings" in invoke("backend").stdout
    for group in data["findings_by_rule"]:
        line = f"| {group['code']} | `{group['name']}` | {group['severity']} | {group['count']} |"
        assert line in invoke("backend", "--format", "markdown").stdout


def test_export_writes_one_self_contained_html_file(backend: Path, tmp_path: Path) -> None:
    out = tmp_path / "report" / "audit.html"
    out.parent.mkdir()
    result = invoke("backend", "--format", "html", "-o", str(out))
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "audit written to" in result.stderr
    assert [p.name for p in out.parent.iterdir()] == ["audit.html"]
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<style>" in page
    lowered = page.lower()
    for external in ("http:", "https:", "<script", "<link", "src=", "url(", "@import", "//"):
        assert external not in lowered, external
    locations = re.findall(r'<span class="loc">([^<]+)</span>', page)
    assert any(re.search(r"app/api/calls\.py:\d+:\d+$", loc) for loc in locations)


def test_every_format_exports_to_a_file(backend: Path, tmp_path: Path) -> None:
    for fmt in FORMATS:
        out = tmp_path / f"audit.{fmt}"
        assert invoke("backend", "--format", fmt, "-o", str(out)).exit_code == 0
        assert out.read_text(encoding="utf-8") == invoke("backend", "--format", fmt).stdout


def test_cli_offers_every_audit_format() -> None:
    help_text = CliRunner().invoke(cli, ["audit", "--help"]).output
    assert "text|markdown|html|json" in help_text
    assert FORMATS == ("text", "markdown", "html", "json")


@pytest.fixture
def hostile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No schema (every table assumed tenant) and names that are markup."""
    target = tmp_path / "hostile"
    (target / "app").mkdir(parents=True)
    (target / "app" / "views.py").write_text(
        "def leak(db):\n    return db.select('<b>evil</b>', {'id': 1})\n"
    )
    monkeypatch.chdir(tmp_path)
    return target


def test_assumed_tenant_model_is_loud_everywhere(hostile: Path) -> None:
    assert audit_json("hostile")["tenant_model"]["assume_all"] is True
    assert "EVERY table is treated as a tenant table" in invoke("hostile").stdout
    assert "[!WARNING]" in invoke("hostile", "--format", "markdown").stdout
    assert 'class="warning"' in invoke("hostile", "--format", "html").stdout


def test_html_and_markdown_escape_project_text(hostile: Path) -> None:
    page = invoke("hostile", "--format", "html").stdout
    assert "<b>evil" not in page
    assert html.escape("<b>evil</b>") in page
    markdown = invoke("hostile", "--format", "markdown").stdout
    prose = re.sub(r"`[^`]*`", "", markdown)
    assert "<b>" not in prose


def test_config_error_exits_2(backend: Path) -> None:
    (backend / "pyproject.toml").write_text('[tool.orgscope-lint]\ntenant-kee = "x"\n')
    result = invoke("backend")
    assert result.exit_code == 2
    assert "tenant-kee" in result.stderr


def test_audit_exits_0_despite_findings(backend: Path) -> None:
    result = invoke("backend")
    assert result.exit_code == 0
    assert "Coverage matrix" in result.stdout and "Findings by rule" in result.stdout


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal_and_past_the_threshold() -> None:
    for stream, total, shown in (
        (_Terminal(), 301, True),
        (_Terminal(), 300, False),
        (io.StringIO(), 5000, False),
    ):
        with ProgressBar(stream) as bar:
            for done in range(1, 4):
                bar(done, total)
        assert bool(stream.getvalue()) is shown, (type(stream).__name__, total)


def test_engine_reports_progress_per_file(tmp_path: Path) -> None:
    target = tmp_path / "backend"
    shutil.copytree(BEFORE, target)
    calls: list[tuple[int, int]] = []
    result = run([target], load_config(None, start=target), progress=lambda *a: calls.append(a))
    total = result.files_checked
    assert total > 0
    assert sorted(done for done, _ in calls) == list(range(1, total + 1))
    assert {t for _, t in calls} == {total}


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(_chromium() is None, reason="chromium is not installed")
def test_html_renders_in_a_headless_browser(backend: Path, tmp_path: Path) -> None:
    page = tmp_path / "audit.html"
    png = tmp_path / "audit.png"
    assert invoke("backend", "--format", "html", "-o", str(page)).exit_code == 0
    profile = tmp_path / "profile"
    command = [
        str(_chromium()),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        f"--screenshot={png}",
        "--window-size=1280,1600",
        page.as_uri(),
    ]
    subprocess.run(command, capture_output=True, check=False, timeout=120)
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (1280, 1600)
    assert len(data) > 20_000  # a blank page compresses to a few kilobytes
