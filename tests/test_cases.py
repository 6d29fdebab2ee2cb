"""Realistic cases for the deep-analysis rules: fixtures/cases/<case>/.

Each case is a tiny project (a `pyproject.toml`, usually `migrations/*.sql`, and a few
FastAPI/Supabase modules). Every expected finding is marked on the line where it is
reported (docs/architecture.md, "Reporting conventions") with a trailing
`# expect: ORG0xx`; every other line must stay silent. The engine runs on the case
directory with `--strict` rules (so ORG012 speaks), from inside it, and the reported
(path, line, code) set must equal the marked one.

Cases and dedicated tests named in fixtures/cases/KNOWN_GAPS.md are strict xfails: they
document an analysis gap, and the day it is fixed the test passes, which fails the run
until the entry is removed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TypeVar

import pytest

from orgscope_lint.config import load_config
from orgscope_lint.engine import RunResult, run, select_rules

CASES = Path(__file__).resolve().parent.parent / "fixtures" / "cases"
KNOWN_GAPS = CASES / "KNOWN_GAPS.md"

_MARK = re.compile(r"#\s*expect:\s*(ORG\d{3}(?:\s*,\s*ORG\d{3})*)\s*$")
_GAP_ENTRY = re.compile(r"^[-*]\s+`([\w.-]+)`")

Key = tuple[str, int, str]  # (posix path relative to the case, line, code)
F = TypeVar("F", bound=Callable[..., object])


def _case_dirs() -> list[Path]:
    return sorted(p for p in CASES.iterdir() if p.is_dir() and (p / "pyproject.toml").is_file())


def _known_gaps() -> dict[str, str]:
    """Entry name -> its first line, from KNOWN_GAPS.md (`- \\`name\\`: why`)."""
    if not KNOWN_GAPS.is_file():
        return {}
    gaps = {}
    for line in KNOWN_GAPS.read_text(encoding="utf-8").splitlines():
        match = _GAP_ENTRY.match(line)
        if match:
            gaps[match.group(1)] = line.strip()
    return gaps


GAPS = _known_gaps()


def _known(name: str) -> Callable[[F], F]:
    """Mark a dedicated test as a strict xfail when KNOWN_GAPS.md lists it."""
    if name not in GAPS:
        return lambda test: test
    return pytest.mark.xfail(strict=True, reason=f"known gap: {GAPS[name]}")


def _modules(case: Path) -> list[Path]:
    return sorted(
        p
        for p in case.rglob("*.py")
        if not any(part.startswith(".") or part == "__pycache__" for part in p.parts)
    )


def _marked(case: Path, only: Iterable[str] | None = None) -> set[Key]:
    wanted = set(only) if only is not None else None
    marks: set[Key] = set()
    for module in _modules(case):
        rel = module.relative_to(case).as_posix()
        if wanted is not None and rel not in wanted:
            continue
        for number, line in enumerate(module.read_text(encoding="utf-8").splitlines(), 1):
            found = _MARK.search(line)
            if found:
                marks.update((rel, number, c.strip()) for c in found.group(1).split(","))
    return marks


def _run(case: Path, files: Sequence[str] = (), **options: object) -> RunResult:
    paths = [case / f for f in files] or [case]
    options.setdefault("use_cache", False)
    return run(
        paths,
        load_config(start=case),
        rules=select_rules(strict=True),
        cwd=case,
        jobs=1,
        **options,  # type: ignore[arg-type]
    )


def _reported(result: RunResult) -> dict[Key, str]:
    return {(f.path, f.line, f.code): f.message for f in result.active}


def _source(case: Path, path: str, line: int) -> str:
    try:
        lines = (case / path).read_text(encoding="utf-8").splitlines()
    except OSError:
        return "<unreadable>"
    return lines[line - 1].strip() if 0 < line <= len(lines) else "<no such line>"


def _diff(case: Path, expected: set[Key], got: dict[Key, str]) -> str:
    problems = []
    missing = sorted(expected - got.keys())
    unexpected = sorted(got.keys() - expected)
    if missing:
        problems.append(f"{len(missing)} marked finding(s) not reported in {case.name}/:")
        problems += [f"  {c} {p}:{n}  | {_source(case, p, n)}" for p, n, c in missing]
    if unexpected:
        problems.append(f"{len(unexpected)} unmarked finding(s) reported in {case.name}/:")
        for key in unexpected:
            path, line, code = key
            problems.append(f"  {code} {path}:{line}  | {_source(case, path, line)}")
            problems.append(f"      {got[key]}")
    return "\n".join(problems)


def _assert_matches(case: Path, result: RunResult, only: Iterable[str] | None = None) -> None:
    expected = _marked(case, only)
    got = _reported(result)
    assert set(got) == expected, _diff(case, expected, got)
    # One fault, one finding: never two findings of one code on one line.
    seen = Counter((f.path, f.line, f.code) for f in result.active)
    twice = sorted(key for key, count in seen.items() if count > 1)
    assert not twice, f"reported more than once in {case.name}/: {twice}"


def _message(result: RunResult, path: str, line: int, code: str) -> str:
    for finding in result.active:
        if (finding.path, finding.line, finding.code) == (path, line, code):
            return finding.message
    raise AssertionError(f"no {code} at {path}:{line}; got {sorted(_reported(result))}")


def _line_of(case: Path, path: str, text: str) -> int:
    lines = (case / path).read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if text in line)


def _case_params() -> list[object]:
    params = []
    for case in _case_dirs():
        marks = ()
        if case.name in GAPS:
            marks = (pytest.mark.xfail(strict=True, reason=f"known gap: {GAPS[case.name]}"),)
        params.append(pytest.param(case, id=case.name, marks=marks))
    return params


# ------------------------------------------------------------------ every case


@pytest.mark.parametrize("case", _case_params())
def test_case_reports_exactly_the_marked_findings(case: Path) -> None:
    _assert_matches(case, _run(case))


def test_cases_are_laid_out_as_small_projects() -> None:
    cases = _case_dirs()
    assert cases, f"no case directories under {CASES}"
    for case in cases:
        modules = _modules(case)
        assert 1 <= len(modules) <= 3, f"{case.name}: {len(modules)} Python modules"
    marked = [case.name for case in cases if _marked(case)]
    assert len(marked) >= len(cases) // 2, "most cases should expect findings"


def test_known_gaps_name_existing_cases_or_tests() -> None:
    tests = {name for name in globals() if name.startswith("test_")}
    cases = {case.name for case in _case_dirs()}
    stale = sorted(set(GAPS) - tests - cases)
    assert not stale, f"KNOWN_GAPS.md lists what does not exist: {stale}"


# ------------------------------------------------------------------ messages


def test_conditional_filter_message_names_the_condition() -> None:
    case = CASES / "org007_conditional_filters"
    path = "app/services/call_search.py"
    line = _line_of(case, path, 'return db.select("calls", filters, order_by="-created_at", limit')
    message = _message(_run(case), path, line, "ORG007")
    assert "only when `org_id` is truthy; otherwise it reads every tenant" in message, message


def test_one_root_cause_counts_its_follow_up_queries() -> None:
    case = CASES / "one_root_cause"
    path = "app/api/contacts.py"
    result = _run(case)
    lines = sorted(line for p, line, code in _marked(case) if p == path and code == "ORG001")
    move, deactivate = lines
    assert "2 later queries use its rows" in _message(result, path, move, "ORG001")
    assert "1 later query uses its rows" in _message(result, path, deactivate, "ORG001")


def test_rls_bypass_is_named_in_the_message() -> None:
    case = CASES / "rls_admin_bypass"
    result = _run(case)
    admin = [f for f in result.active if f.code == "ORG001"]
    assert admin, "no ORG001 on the service-role client"
    for finding in admin:
        assert "DatabaseAdminService bypasses row-level security" in finding.message, (
            f"{finding.path}:{finding.line}: {finding.message}"
        )


def test_select_star_is_a_builder_step_never_a_table() -> None:
    """Receivers named like DB services: `.select("*")` stays part of the chain."""
    case = CASES / "supabase_select_star_no_schema"
    result = _run(case)
    assert all(q.table != "*" for facts in result.facts for q in facts.queries)
    messages = [f.message for f in result.active]
    assert messages and all(m.startswith('`admin_db.table("crm_syncs").select`') for m in messages)


# ------------------------------------------------------------------ project-wide summaries


@_known("test_two_files_join_scope_summaries")
def test_two_files_join_scope_summaries() -> None:
    """A pre-commit hook names files, not the directory: summaries still join across them."""
    case = CASES / "summaries_scope_helpers"
    files = ["app/db/scopes.py", "app/api/contacts.py"]
    _assert_matches(case, _run(case, files), only=files)


@_known("test_two_files_join_db_helpers")
def test_two_files_join_db_helpers() -> None:
    case = CASES / "summaries_db_helpers"
    files = ["app/core/database.py", "app/api/folders.py"]
    _assert_matches(case, _run(case, files), only=files)


@_known("test_precommit_run_on_callers_knows_unchanged_definitions")
def test_precommit_run_on_callers_knows_unchanged_definitions(tmp_path: Path) -> None:
    """Only the two routers changed: the helpers they call are known from the last run."""
    case = CASES / "summaries_db_helpers"
    cache = tmp_path / "cache"
    _run(case, use_cache=True, cache_dir=cache)  # a full run warms the cache
    files = ["app/api/folders.py", "app/api/numbers.py"]
    _assert_matches(case, _run(case, files, use_cache=True, cache_dir=cache), only=files)


# ------------------------------------------------------------------ parameters proven by callers


def test_precommit_run_on_a_helper_is_judged_by_callers_in_other_files() -> None:
    case = CASES / "precision_caller_proven_ids"
    files = ["app/db/threads.py"]
    _assert_matches(case, _run(case, files), only=files)


def test_precommit_run_on_a_caller_reports_the_leak_it_passes() -> None:
    case = CASES / "precision_caller_proven_owners"
    files = ["app/api/projects.py"]
    _assert_matches(case, _run(case, files), only=files)


def test_precommit_run_on_a_per_user_write_knows_the_reads_elsewhere(tmp_path: Path) -> None:
    """The one read of `bookmarks` by the tag lives in a file the hook was not handed:
    the insert stays a leak there, and the notifications insert stays silent."""
    case = CASES / "precision_per_user_tables"
    files = ["app/api/inbox.py"]
    _assert_matches(case, _run(case, files), only=files)
    cache = tmp_path / "cache"
    _run(case, use_cache=True, cache_dir=cache)
    _assert_matches(case, _run(case, files, use_cache=True, cache_dir=cache), only=files)


def test_read_modify_write_is_one_finding_naming_the_read() -> None:
    case = CASES / "precision_read_modify_write"
    result = _run(case, ["app/skills.py"])
    update = next(f for f in result.active if f.line == 17)
    assert "the read of the same row at line 11 only feeds it" in update.message
    assert [(r.line, r.message) for r in update.related] == [
        (11, "`select` on `skills` reads the same row for this update")
    ]
