"""JSON and SARIF carry each fix as text edits that reproduce what `--fix` writes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from jsonschema import Draft4Validator

from orgscope_lint.cli import cli
from orgscope_lint.findings import Finding, Severity, Span
from orgscope_lint.fix_edits import replacement, with_edits

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "builder_backend"
SARIF_SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"


@pytest.fixture
def backend(tmp_path: Path, monkeypatch) -> Path:
    work = tmp_path / "backend"
    shutil.copytree(FIXTURE / "before", work)
    monkeypatch.chdir(work)
    return work


def check(output_format: str) -> dict:
    result = CliRunner().invoke(cli, ["check", ".", "--no-cache", "--output-format", output_format])
    assert result.exit_code == 1, result.output
    return json.loads(result.stdout)


def apply(text: str, edits: list[tuple[int, int, int, int, str]]) -> str:
    """Apply (line, column, end_line, end_column, content) edits, 1-based, end exclusive."""
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(line: int, column: int) -> int:
        return starts[line - 1] + column - 1

    for line, column, end_line, end_column, content in sorted(edits, reverse=True):
        text = text[: offset(line, column)] + content + text[offset(end_line, end_column) :]
    return text


def after_all(root: Path, edits_by_path: dict[str, list]) -> dict[str, str]:
    return {path: apply((root / path).read_text(), edits) for path, edits in edits_by_path.items()}


def expected_after(paths) -> dict[str, str]:
    return {path: (FIXTURE / "after" / path).read_text() for path in paths}


def test_json_edits_reproduce_the_after_tree(backend: Path) -> None:
    document = check("json")
    by_path: dict[str, list] = {}
    for finding in document["findings"]:
        fix = finding["fix"]
        if fix is None:
            continue
        assert fix["message"].startswith(("Add ", "Pass "))
        for edit in fix["edits"]:
            by_path.setdefault(finding["path"], []).append(
                tuple(edit[k] for k in ("line", "column", "end_line", "end_column", "content"))
            )
    assert by_path, "the fixture holds fixable findings"
    assert after_all(backend, by_path) == expected_after(by_path)
    # Findings that need a human carry no fix.
    assert any(finding["fix"] is None for finding in document["findings"])


def test_sarif_fixes_are_valid_and_reproduce_the_after_tree(backend: Path) -> None:
    document = check("sarif")
    validator = Draft4Validator(json.loads(SARIF_SCHEMA.read_text(encoding="utf-8")))
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]
    assert errors == []
    by_path: dict[str, list] = {}
    results = document["runs"][0]["results"]
    for result in results:
        for fix in result.get("fixes", []):
            assert fix["description"]["text"]
            for change in fix["artifactChanges"]:
                path = change["artifactLocation"]["uri"]
                assert change["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
                for r in change["replacements"]:
                    region = r["deletedRegion"]
                    by_path.setdefault(path, []).append(
                        (
                            region["startLine"],
                            region["startColumn"],
                            region["endLine"],
                            region["endColumn"],
                            r["insertedContent"]["text"],
                        )
                    )
    assert by_path
    assert after_all(backend, by_path) == expected_after(by_path)
    assert any("fixes" not in result for result in results)


def test_a_fix_that_no_longer_applies_is_dropped(tmp_path: Path) -> None:
    (tmp_path / "api.py").write_text("def f(db):\n    return 1\n")
    stale = Finding(
        path="api.py",
        span=Span(2, 5, 2, 13),
        code="ORG001",
        name="missing-tenant-filter",
        severity=Severity.ERROR,
        message="m",
        fix={"kind": "add-key", "name": "clerk_org_id", "var": "clerk_org_id"},
    )
    assert with_edits([stale], tmp_path)[0].fix is None


@pytest.mark.parametrize(
    ("before", "after", "edit"),
    [
        # Slid to before the dot, not `q("k", v).e` in the middle of a name.
        ("a.eq(1).execute()", 'a.eq(1).eq("k", v).execute()', (1, 8, 1, 8, '.eq("k", v)')),
        # A new line is inserted as a whole line.
        (
            "x = (\n    a\n    .execute()\n)\n",
            'x = (\n    a\n    .eq("k", v)\n    .execute()\n)\n',
            (3, 1, 3, 1, '    .eq("k", v)\n'),
        ),
        # Columns count characters, not bytes.
        ('é = {"a": 1}', 'é = {"a": 1, "k": v}', (1, 12, 1, 12, ', "k": v')),
        # Lines break at \r\n as Python breaks them.
        ("a\r\nb(1)\r\n", "a\r\nb(1, k)\r\n", (2, 4, 2, 4, ", k")),
        # A replacement, not only an insertion.
        ("f(a)", "f(b)", (1, 3, 1, 4, "b")),
    ],
    ids=["dot", "whole-line", "characters", "crlf", "replace"],
)
def test_replacement_is_the_natural_minimal_edit(before: str, after: str, edit: tuple) -> None:
    found = replacement(before, 0, before, after)
    keys = ("line", "column", "end_line", "end_column", "content")
    assert tuple(found[k] for k in keys) == edit
    assert apply(before, [edit]) == after


def test_each_fix_says_what_it_adds(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "api.py").write_text(
        "def f(call_id, current_user, db, client):\n"
        '    clerk_org_id = current_user["clerk_org_id"]\n'
        '    db.delete("calls", {"id": call_id})\n'
        '    db.insert("calls", {"id": call_id})\n'
        '    client.table("calls").delete().eq("id", call_id).execute()\n'
        '    client.table("calls").insert({"id": call_id}).execute()\n'
        "    db.get_call(call_id)\n"
    )
    monkeypatch.chdir(tmp_path)
    messages = [f["fix"]["message"] for f in check("json")["findings"]]
    assert messages == [
        'Add `"clerk_org_id": clerk_org_id` to the filter',
        'Add `"clerk_org_id": clerk_org_id` to the record',
        'Add `.eq("clerk_org_id", clerk_org_id)` to the query',
        'Add `"clerk_org_id": clerk_org_id` to the record',
        "Pass `org_id=clerk_org_id`",
    ]


NESTED = """\
class Routes:
    async def move(self, task_id, current_user, client, db, items):
        org_id = current_user["org_id"]
        for item in items:
            if item:
                row = await (
                    client.table("projects")
                    .select("*")
                    .eq("id", task_id)  # the task
                    .single()
                    .execute()
                )
                db.update(
                    "projects",
                    {
                        "id": item,
                    },
                    {"x": 1},
                )
        client.table("projects").insert({"name": "x"}).execute()
        return db.get_call(task_id)
"""


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
@pytest.mark.parametrize("indent", ["    ", "\t"], ids=["spaces", "tabs"])
def test_json_edits_equal_what_fix_writes(
    tmp_path: Path, monkeypatch, newline: str, indent: str
) -> None:
    source = NESTED.replace("    ", indent).replace("\n", newline)
    (tmp_path / "pyproject.toml").write_text('[tool.orgscope-lint]\ntenant-key = "org_id"\n')
    (tmp_path / "api.py").write_bytes(source.encode())
    monkeypatch.chdir(tmp_path)
    edits = [
        tuple(edit[k] for k in ("line", "column", "end_line", "end_column", "content"))
        for finding in check("json")["findings"]
        if finding["fix"]
        for edit in finding["fix"]["edits"]
    ]
    assert len(edits) == 4
    by_json = apply(source, edits)
    CliRunner().invoke(cli, ["check", ".", "--no-cache", "--fix"])
    assert by_json == (tmp_path / "api.py").read_bytes().decode()
    assert by_json != source


def test_json_edits_equal_what_fix_writes_on_the_seed_fixture(tmp_path: Path, monkeypatch) -> None:
    seed = FIXTURE.parent / "clerk_backend" / "before"
    work = tmp_path / "seed"
    shutil.copytree(seed, work)
    monkeypatch.chdir(work)
    by_path: dict[str, list] = {}
    for finding in check("json")["findings"]:
        for edit in (finding["fix"] or {}).get("edits", []):
            by_path.setdefault(finding["path"], []).append(
                tuple(edit[k] for k in ("line", "column", "end_line", "end_column", "content"))
            )
    assert sum(map(len, by_path.values())) > 20
    by_json = after_all(work, by_path)
    CliRunner().invoke(cli, ["check", ".", "--no-cache", "--fix"])
    assert by_json == {path: (work / path).read_text() for path in by_path}


def _cached_check(counter: list[int], monkeypatch) -> dict:
    """`check . --output-format json` with the cache, counting the files `--fix` edits
    are computed for."""
    from orgscope_lint import fix

    real = getattr(fix.changes, "counted", fix.changes)

    def counting(source, edits, *known):
        counter.append(len(edits))
        return real(source, edits, *known)

    counting.counted = real  # type: ignore[attr-defined]
    monkeypatch.setattr(fix, "changes", counting)
    result = CliRunner().invoke(cli, ["check", ".", "--output-format", "json"])
    assert result.exit_code == 1, result.output
    return json.loads(result.stdout)


def _edits_entries(root: Path) -> list[Path]:
    return [path for path in (root / ".orgscope_cache" / "edits").rglob("*") if path.is_file()]


def test_fix_edits_of_unchanged_files_come_from_the_cache(backend: Path, monkeypatch) -> None:
    computed: list[int] = []
    first = _cached_check(computed, monkeypatch)
    assert computed, "the fixture has fixes"
    computed.clear()
    assert _cached_check(computed, monkeypatch) == first
    assert computed == []
    assert first == check("json"), "the same edits as computed without a cache"


def test_an_edited_file_has_its_fix_edits_computed_again(backend: Path, monkeypatch) -> None:
    computed: list[int] = []
    first = _cached_check(computed, monkeypatch)
    path = next(r["path"] for r in first["findings"] if r.get("fix") and r["fix"].get("edits"))
    edited = backend / path
    edited.write_text("\n" + edited.read_text())  # every line moves down by one
    computed.clear()
    second = _cached_check(computed, monkeypatch)
    assert computed, "the edited file's edits are computed again"
    assert second == check("json")


@pytest.mark.parametrize("damage", ["flip", "plant"])
def test_a_tampered_fix_edits_entry_is_refused(backend: Path, monkeypatch, damage: str) -> None:
    computed: list[int] = []
    first = _cached_check(computed, monkeypatch)
    entries = _edits_entries(backend)
    assert entries
    for entry in entries:
        data = bytearray(entry.read_bytes())
        if damage == "flip":
            data[len(data) // 2] ^= 1
        else:
            data[10:42] = bytes(32)  # well-formed, signed with another key
        entry.write_bytes(bytes(data))
    computed.clear()
    assert _cached_check(computed, monkeypatch) == first
    assert len(computed) == len(entries), "every refused entry is computed again"


ROUTE = (
    "def f(call_id, current_user, db):\n"
    '    clerk_org_id = current_user["clerk_org_id"]\n'
    '    db.delete("calls", {"id": call_id})\n'
)
# A function the analysis leaves out (no database call, no tenant id), which `ast`
# reads and LibCST does not (a backslash continuation before an indented line).
UNREADABLE_HELPER = "\n\ndef g():\n  \\\n  pass\n"


@pytest.mark.parametrize(
    ("source", "offered"),
    [(ROUTE, True), (ROUTE + UNREADABLE_HELPER, False), (ROUTE + "\n\x0c\n" + ROUTE, True)],
    ids=["route", "unreadable-helper", "form-feed"],
)
def test_a_fix_is_offered_only_where_libcst_reads_the_whole_file(
    tmp_path: Path, monkeypatch, source: str, offered: bool
) -> None:
    """`--fix` refuses a file LibCST cannot read, also where the analysis never gave it
    the part it cannot read: JSON offers no edit there either."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "api.py").write_text(source)
    monkeypatch.chdir(tmp_path)
    fixes = [f["fix"] for f in check("json")["findings"] if f["code"] == "ORG001"]
    assert fixes
    assert all((fix is not None and "edits" in fix) is offered for fix in fixes)
