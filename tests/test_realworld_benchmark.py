"""The real-world benchmark's matching and scoring (benchmarks/realworld/scoring.py).

Synthetic findings and labels only: no checkout, no network, no third-party code.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "realworld"

SOURCE = """\
import db


def top_level(call_id):
    return db.table("calls").select("*").eq("id", call_id).execute()


class Service:
    async def method(self, org):
        def inner():
            return (
                client()
                .table("agents")
                .select("*")
            )
        return inner()
"""


@pytest.fixture(scope="module")
def scoring() -> ModuleType:
    spec = importlib.util.spec_from_file_location("realworld_scoring", BENCH / "scoring.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _finding(line: int, code: str = "ORG001", path: str = "app/x.py") -> dict:
    return {"path": path, "line": line, "code": code, "severity": "error", "message": "m"}


def _label(scoring, key, verdict="false", context="request"):
    return scoring.Label(key, verdict, context, "reason")


def test_key_names_the_innermost_function_and_the_reported_line(scoring) -> None:
    key = scoring.finding_key(_finding(5), SOURCE)
    assert key.function == "top_level"
    assert key.line_text == 'return db.table("calls").select("*").eq("id", call_id).execute()'
    inner = scoring.finding_key(_finding(12), SOURCE)
    assert inner.function == "Service.method.inner"


def test_a_chain_broken_after_its_receiver_is_keyed_by_its_table(scoring) -> None:
    key = scoring.finding_key(_finding(12), SOURCE)
    assert key.line_text == 'client() .table("agents")'


def test_module_level_and_unreadable_sources_still_give_a_key(scoring) -> None:
    assert scoring.finding_key(_finding(1), SOURCE).function == "<module>"
    unreadable = scoring.finding_key(_finding(3), None)
    assert (unreadable.function, unreadable.line_text) == ("<module>", "")
    broken = scoring.finding_key(_finding(1), "def (:\n")
    assert broken.function == "<module>"


def test_keys_survive_line_shifts_and_reindentation(scoring) -> None:
    before = scoring.finding_key(_finding(5), SOURCE)
    shifted = "# a new comment\n\n" + SOURCE.replace("    return db", "        return   db")
    after = scoring.finding_key(_finding(7), shifted)
    assert before == after


def test_match_pairs_by_key_and_reports_stale_labels(scoring) -> None:
    seen = scoring.Key("a.py", "ORG001", "f", "x")
    gone = scoring.Key("a.py", "ORG001", "g", "y")
    new = scoring.Key("b.py", "ORG002", "h", "z")
    labels = [_label(scoring, seen, "leak"), _label(scoring, gone)]
    matched, stale = scoring.match([seen, new, seen], labels)
    assert [m.verdict if m else None for m in matched] == ["leak", None, "leak"]
    assert [s.key for s in stale] == [gone]


def test_related_locations_give_the_keys_of_the_sites_a_finding_lists(scoring) -> None:
    finding = {
        **_finding(12),
        "related": [{"path": "a.py", "line": 5, "message": "a gate"}],
    }
    keys = scoring.related_keys(finding, lambda path: SOURCE if path == "a.py" else None)
    assert keys == {scoring.finding_key({**_finding(5), "path": "a.py"}, SOURCE)}
    assert scoring.related_keys(_finding(5), lambda path: SOURCE) == set()


def test_precision_counts_error_findings_and_leaves_defense_in_depth_out(scoring) -> None:
    key = scoring.Key("a.py", "ORG001", "f", "x")
    rows = [
        ("p", "ORG001", "error", _label(scoring, key, "leak")),
        ("p", "ORG001", "error", _label(scoring, key, "leak")),
        ("p", "ORG001", "error", _label(scoring, key, "false")),
        ("p", "ORG001", "error", _label(scoring, key, "defense-in-depth")),
        ("p", "ORG007", "warning", _label(scoring, key, "false")),
        ("p", "ORG001", "error", None),
    ]
    tally = scoring.score(rows).by_project["p"]
    assert (tally.findings, tally.leak, tally.false, tally.defense) == (6, 2, 2, 1)
    assert tally.unlabeled == 1
    assert tally.precision == pytest.approx(2 / 3)
    assert tally.strict == pytest.approx(2 / 4)


def test_scores_split_by_context_and_rule(scoring) -> None:
    key = scoring.Key("a.py", "ORG001", "f", "x")
    rows = [
        ("p", "ORG001", "error", _label(scoring, key, "leak", "request")),
        ("p", "ORG002", "error", _label(scoring, key, "false", "system")),
        ("q", "ORG001", "error", None),
    ]
    scores = scoring.score(rows)
    assert scores.by_context[("p", "request")].leak == 1
    assert scores.by_context[("p", "system")].false == 1
    assert scores.by_context[("q", "unlabeled")].unlabeled == 1
    assert scores.by_rule[("p", "ORG002")].precision == 0.0
    assert scores.by_rule[("q", "ORG001")].precision is None
    assert scores.total.findings == 3


def test_parse_labels_rejects_malformed_entries(scoring) -> None:
    good = {
        "path": "a.py",
        "code": "ORG001",
        "function": "f",
        "line_text": "  x =   1",
        "verdict": "leak",
        "context": "request",
        "reason": "r",
    }
    (label,) = scoring.parse_labels([good])
    assert label.key.line_text == "x = 1"
    with pytest.raises(ValueError, match="verdict"):
        scoring.parse_labels([{**good, "verdict": "TODO"}])
    with pytest.raises(ValueError, match="context"):
        scoring.parse_labels([{**good, "context": "cron"}])
    with pytest.raises(ValueError, match="reason"):
        scoring.parse_labels([{k: v for k, v in good.items() if k != "reason"}])


def test_two_entries_with_one_key_must_agree(scoring) -> None:
    entry = {
        "path": "a.py",
        "code": "ORG001",
        "function": "f",
        "line_text": "x = 1",
        "verdict": "leak",
        "context": "request",
        "reason": "r",
    }
    assert len(scoring.parse_labels([entry, {**entry, "reason": "same verdict"}])) == 2
    with pytest.raises(ValueError, match="contradicts"):
        scoring.parse_labels([entry, {**entry, "verdict": "false"}])


def test_the_skeleton_parses_back_to_the_same_key_once_filled(scoring) -> None:
    key = scoring.Key("a b.py", "ORG001", "C.f", 'q = t("x\\y")')
    text = scoring.label_skeleton(key, "message", 3)
    filled = text.replace('"TODO"  # leak | defense-in-depth | false', '"false"')
    filled = filled.replace('"TODO"  # request | system', '"system"')
    filled = filled.replace('reason = "TODO"', 'reason = "r"')
    (label,) = scoring.parse_labels(tomllib.loads(filled)["finding"])
    assert label.key == key


def test_the_committed_labels_are_well_formed(scoring) -> None:
    files = sorted((BENCH / "labels").glob("*.toml"))
    assert files, "no labels committed"
    manifest = tomllib.loads((BENCH / "manifest.toml").read_text(encoding="utf-8"))
    names = {project["name"] for project in manifest["project"]}
    for path in files:
        assert path.stem in names
        entries = tomllib.loads(path.read_text(encoding="utf-8"))["finding"]
        assert scoring.parse_labels(entries, origin=str(path))
