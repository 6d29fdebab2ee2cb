"""Follow-ups are located: a root finding names the sites it stands for, in every format."""

from __future__ import annotations

import json
from pathlib import Path

from jsonschema import Draft4Validator

from orgscope_lint.config import config_from_mapping
from orgscope_lint.engine import run
from orgscope_lint.reporters import Report, github, gitlab, json_format, sarif, text

SARIF_SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"

ROOT_AND_FOLLOWERS = """\
def archive(db, call_id):
    call = db.select_one("calls", {"id": call_id})
    db.update("calls", {"id": call["id"]}, {"archived": True})
    db.delete("transcripts", {"id": call["transcript_id"]})
"""

CHECK_THEN_ACT = """\
def rename(db, call_id, current_user):
    clerk_org_id = current_user["clerk_org_id"]
    if db.select_one("calls", {"id": call_id, "clerk_org_id": clerk_org_id}) is None:
        raise LookupError(call_id)
    db.update("calls", {"id": call_id}, {"name": "x"})
"""


def report_for(tmp_path: Path, source: str) -> Report:
    (tmp_path / "api.py").write_text(source, encoding="utf-8")
    config = config_from_mapping({}, source=tmp_path / "orgscope.toml")
    result = run([tmp_path], config, cwd=tmp_path, use_cache=False)
    return Report(tuple(result.findings), result.files_checked, (), cwd=tmp_path)


def only(report: Report, code: str):
    found = [f for f in report.active if f.code == code]
    assert len(found) == 1, found
    return found[0]


def test_a_root_finding_lists_its_follow_ups(tmp_path: Path) -> None:
    report = report_for(tmp_path, ROOT_AND_FOLLOWERS)
    root = only(report, "ORG001")
    assert root.line == 2
    assert [(r.path, r.line) for r in root.related] == [("api.py", 3), ("api.py", 4)]
    assert "2 later queries use its rows (lines 3, 4)" in root.message
    # The follow-ups add no finding of their own.
    assert {f.line for f in report.active} == {2}


def test_an_unrelated_finding_has_no_related_sites(tmp_path: Path) -> None:
    report = report_for(tmp_path, 'def f(db, i):\n    db.delete("calls", {"id": i})\n')
    finding = only(report, "ORG001")
    assert finding.related == ()
    assert "later quer" not in finding.message
    assert json.loads(json_format.render(report))["findings"][0]["related"] == []


def test_json_text_sarif_github_and_gitlab_carry_the_sites(tmp_path: Path) -> None:
    report = report_for(tmp_path, ROOT_AND_FOLLOWERS)
    entry = json.loads(json_format.render(report))["findings"][0]
    assert [(r["path"], r["line"]) for r in entry["related"]] == [("api.py", 3), ("api.py", 4)]
    assert all(r["message"] for r in entry["related"])

    lines = text.render(report).splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("api.py:2:"))
    assert lines[at + 1].startswith("  also: api.py:3: ")
    assert lines[at + 2].startswith("  also: api.py:4: ")

    document = json.loads(sarif.render(report))
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    assert not list(Draft4Validator(schema).iter_errors(document))
    related = document["runs"][0]["results"][0]["relatedLocations"]
    assert [r["physicalLocation"]["region"]["startLine"] for r in related] == [3, 4]
    assert [r["id"] for r in related] == [1, 2]

    assert "(lines 3, 4)" in github.render(report)
    assert "(lines 3, 4)" in gitlab.issues(report)[0]["description"]


def test_org013_points_at_the_check_it_relies_on(tmp_path: Path) -> None:
    report = report_for(tmp_path, CHECK_THEN_ACT)
    finding = only(report, "ORG013")
    assert finding.line == 5
    assert "relies on the check at line 3" in finding.message
    assert [(r.path, r.line) for r in finding.related] == [("api.py", 3)]
    entry = json.loads(json_format.render(report))["findings"][0]
    assert [r["line"] for r in entry["related"]] == [3]
    assert "  also: api.py:3: the lookup it relies on" in text.render(report)


def test_a_check_that_does_not_stop_the_code_verifies_nothing(tmp_path: Path) -> None:
    report = report_for(tmp_path, CHECK_THEN_ACT.replace("raise LookupError(call_id)", "pass"))
    assert [f.code for f in report.active] == ["ORG001"]


GATE_BEFORE_WRITE = """\
@router.post("/orgs/{org_id}/calls")
def create(org_id: str, current_user=None):
    existing = db.select("calls", {"clerk_org_id": org_id})
    if len(existing) >= 10:
        raise ValueError(f"{len(existing)} calls already")
    db.insert("calls", {"clerk_org_id": org_id, "name": "x"})
"""


def test_a_gate_on_the_requested_tenant_is_listed_in_the_write(tmp_path: Path) -> None:
    from orgscope_lint.rules._one_cause import FOLDED

    report = report_for(tmp_path, GATE_BEFORE_WRITE)
    write = only(report, "ORG009")
    assert write.line == 6
    assert [(r.path, r.line, r.message) for r in write.related] == [("api.py", 3, FOLDED)]
    listed = json.loads(json_format.render(report))["findings"][0]["related"]
    assert listed == [{"path": "api.py", "line": 3, "message": FOLDED}]


def test_a_gate_alone_is_reported_where_it_reads(tmp_path: Path) -> None:
    alone = GATE_BEFORE_WRITE.replace(
        '    db.insert("calls", {"clerk_org_id": org_id, "name": "x"})\n', ""
    )
    gate = only(report_for(tmp_path, alone), "ORG009")
    assert (gate.line, gate.related) == (3, ())
