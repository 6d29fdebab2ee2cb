"""End-to-end check of the seed fixture: fixtures/clerk_backend/{before,after}.

`before/` is a small FastAPI + Supabase backend holding every bug of the seed's field
report; `after/` is the same code with the report's fixes applied. `expected.json` lists
what the CLI must report on `before/` ("before"), what later rules will add there
("pending": allowed, not yet required), and the warnings `after/` legitimately keeps
("after_warnings", each with its reason).
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "clerk_backend"
TREES = ("before", "after")

# The seed's sections and the files each one fixes (headings of the field report).
SEED_SECTIONS: dict[str, list[str]] = {
    "1. Core": ["database.py"],
    "2. Agents": ["agents/create.py"],
    "3. Contacts": [
        "list_contact_folders.py",
        "add_contact_to_folder.py",
        "list_contacts_by_folder.py",
        "create_contact_folder.py",
    ],
    "4. Voices": ["voices.py", "voice_clone.py"],
    "5. Calls": ["calls.py"],
    "6. Knowledge bases": ["knowledge_bases.py"],
    "7. Campaigns": ["campaigns.py"],
    "8. Auth": ["auth.py"],
    "9. Webhooks": ["webhooks.py"],
}

FINDING_KEYS = {
    "path",
    "line",
    "column",
    "end_line",
    "end_column",
    "code",
    "name",
    "severity",
    "message",
}

Key = tuple[str, int, str]


def _expected() -> dict[str, list[dict]]:
    return json.loads((FIXTURE / "expected.json").read_text(encoding="utf-8"))


def _keys(entries: list[dict]) -> set[Key]:
    return {(e["path"], e["line"], e["code"]) for e in entries}


def _tree_files(root: Path) -> set[str]:
    """Every file of a tree, posix and relative, without caches or hidden files."""
    files = set()
    for path in root.rglob("*"):
        rel = path.relative_to(root)
        if path.is_file() and not any(
            part == "__pycache__" or part.startswith(".") for part in rel.parts
        ):
            files.add(rel.as_posix())
    return files


def _source_line(tree: str, path: str, line: int) -> str:
    lines = (FIXTURE / tree / path).read_text(encoding="utf-8").splitlines()
    return lines[line - 1].strip() if 0 < line <= len(lines) else "<no such line>"


def _describe(tree: str, key: Key, note: str = "") -> str:
    path, line, code = key
    text = f"  {code} {path}:{line}  | {_source_line(tree, path, line)}"
    return f"{text}\n      {note}" if note else text


def _run_check(tree: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """Run `orgscope-lint check . --output-format json` inside a copy of one tree."""
    if importlib.util.find_spec("orgscope_lint.cli") is None:
        pytest.skip("orgscope_lint.cli does not exist yet")
    from click.testing import CliRunner

    from orgscope_lint.cli import cli

    # A copy keeps anything the run writes (caches) out of the repository.
    work = tmp_path / tree
    shutil.copytree(FIXTURE / tree, work, ignore=shutil.ignore_patterns("__pycache__", ".*"))
    monkeypatch.chdir(work)
    try:
        runner = CliRunner(mix_stderr=False)  # click < 8.2 mixes stderr in by default
    except TypeError:
        runner = CliRunner()
    result = runner.invoke(cli, ["check", ".", "--output-format", "json"], catch_exceptions=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        import traceback

        trace = "".join(traceback.format_exception(*result.exc_info))
        pytest.fail(f"`check` crashed on {tree}/:\n{trace}")
    assert result.exit_code in (0, 1), (
        f"`check` on {tree}/ exited {result.exit_code}:\n{result.stdout}\n{result.stderr}"
    )

    report = json.loads(result.stdout)
    assert report.get("version") == 1, f"unexpected JSON version: {report.get('version')!r}"
    assert isinstance(report.get("summary"), dict), "JSON report has no summary object"
    findings = report["findings"]
    for finding in findings:
        missing = FINDING_KEYS - finding.keys()
        assert not missing, f"finding lacks {sorted(missing)}: {finding}"
        assert not finding["path"].startswith(("/", "./")), (
            f"path is not relative to the current directory: {finding['path']}"
        )
        assert "\\" not in finding["path"], f"path is not posix: {finding['path']}"
    if tree == "before":
        assert result.exit_code == 1, "findings were reported but the exit code is not 1"
    return findings


def test_before_reports_exactly_the_expected_findings(tmp_path, monkeypatch):
    expected = _expected()
    # A fix the report lists on its own may be a related location of one finding (the
    # later uses of one unbound name): reported under the finding at `related_of`.
    wanted = {
        (e["path"], e.get("related_of", e["line"]), e["code"]): e["seed"]
        for e in expected["before"]
    }
    pending = _keys(expected["pending"])

    findings = _run_check("before", tmp_path, monkeypatch)
    got = {(f["path"], f["line"], f["code"]): f["message"] for f in findings}
    related = {(r["path"], r["line"], f["code"], f["line"]) for f in findings for r in f["related"]}
    unrelated = [
        e
        for e in expected["before"]
        if "related_of" in e and (e["path"], e["line"], e["code"], e["related_of"]) not in related
    ]

    missing = sorted(set(wanted) - set(got))
    # Findings of rules that are not required yet may appear; anything else may not.
    unexpected = sorted(set(got) - set(wanted) - pending)
    problems = []
    if missing:
        problems.append(f"{len(missing)} expected finding(s) not reported on before/:")
        problems += [_describe("before", key, wanted[key]) for key in missing]
    if unexpected:
        problems.append(f"{len(unexpected)} unexpected finding(s) on before/:")
        problems += [_describe("before", key, got[key]) for key in unexpected]
    for e in unrelated:
        problems.append(f"not listed under the finding at line {e['related_of']}:")
        problems.append(_describe("before", (e["path"], e["line"], e["code"]), e["seed"]))
    assert not problems, "\n".join(problems)


def test_after_has_no_errors_and_only_listed_warnings(tmp_path, monkeypatch):
    listed = _expected()["after_warnings"]
    allowed = {(e["path"], e["line"], e["code"]): e["reason"] for e in listed}

    findings = _run_check("after", tmp_path, monkeypatch)

    problems = []
    for f in sorted(findings, key=lambda f: (f["path"], f["line"], f["code"])):
        key = (f["path"], f["line"], f["code"])
        if f["severity"] == "error":
            problems.append("error on after/:\n" + _describe("after", key, f["message"]))
        elif f["severity"] == "warning" and key not in allowed:
            problems.append("unlisted warning on after/:\n" + _describe("after", key, f["message"]))
    assert not problems, "\n".join(problems)


def test_every_seed_section_and_file_is_covered():
    expected = _expected()
    entries = expected["before"] + expected["pending"]
    uncovered = [
        f"{section}: {name}"
        for section, names in SEED_SECTIONS.items()
        for name in names
        if not any(e["seed"].startswith(section) and name in e["seed"] for e in entries)
    ]
    assert not uncovered, "seed sections/files without an expected finding:\n" + "\n".join(
        uncovered
    )


def test_expected_entries_point_at_real_sites():
    expected = _expected()
    sections = tuple(SEED_SECTIONS)
    problems = []
    for group, tree in (("before", "before"), ("pending", "before"), ("after_warnings", "after")):
        keys = [(e["path"], e["line"], e["code"]) for e in expected[group]]
        if len(keys) != len(set(keys)):
            problems.append(f"{group}: duplicate entries")
        for entry in expected[group]:
            path, line, code = entry["path"], entry["line"], entry["code"]
            where = f"{group}: {code} {path}:{line}"
            if not (FIXTURE / tree / path).is_file():
                problems.append(f"{where}: no such file in {tree}/")
                continue
            text = _source_line(tree, path, line)
            if not text or text == "<no such line>":
                problems.append(f"{where}: blank or missing line")
            if not (code.startswith("ORG") and code[3:].isdigit() and len(code) == 6):
                problems.append(f"{where}: malformed code")
            if group == "after_warnings":
                if not entry.get("reason"):
                    problems.append(f"{where}: no reason given")
                continue
            seed = entry.get("seed", "")
            if not seed.startswith(sections):
                problems.append(f"{where}: seed {seed!r} does not start with a seed section")
            if Path(path).name not in seed:
                problems.append(f"{where}: seed {seed!r} does not name {Path(path).name}")
    assert not problems, "\n".join(problems)


def test_before_and_after_have_the_same_files():
    before = _tree_files(FIXTURE / "before")
    after = _tree_files(FIXTURE / "after")
    assert before, "fixtures/clerk_backend/before is empty"
    assert before == after, (
        f"only in before/: {sorted(before - after)}\nonly in after/: {sorted(after - before)}"
    )
