"""`check` reuses the last findings when nothing they depend on changed."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from orgscope_lint import engine
from orgscope_lint.cli import cli

API = 'def f(db, i):\n    db.delete("calls", {"id": i})\n'


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "001.sql").write_text(
        "create table calls (id uuid, clerk_org_id text);\n"
    )
    (tmp_path / "api.py").write_text(API)
    _age(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _age(root: Path, seconds: int = 60) -> None:
    """Date every file back: files changed in the last seconds are never trusted by stat."""
    when = time.time_ns() - seconds * 1_000_000_000
    for path in root.rglob("*"):
        if path.is_file() and ".cache" not in path.parts:
            os.utime(path, ns=(when, when))


def _run(monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[list[tuple[str, int, str]], int]:
    """Findings of `check ARGS` (JSON), and how many files the rules ran on (0: reused)."""
    checked = []
    real = engine.check_file

    def counting(facts, *rest):
        checked.append(facts.path)
        return real(facts, *rest)

    monkeypatch.setattr(engine, "check_file", counting)
    result = CliRunner().invoke(cli, ["check", "--output-format", "json", *args])
    findings = [(f["path"], f["line"], f["code"]) for f in json.loads(result.output)["findings"]]
    return findings, len(checked)


def _check(monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[list[tuple[str, int, str]], int]:
    """The same for `check . ARGS`: the whole project."""
    return _run(monkeypatch, ".", *args)


def test_an_unchanged_project_reuses_the_findings(project: Path, monkeypatch) -> None:
    first = _check(monkeypatch)
    assert first == ([("api.py", 2, "ORG001")], 1)
    assert _check(monkeypatch) == ([("api.py", 2, "ORG001")], 0)


def test_an_edited_file_is_checked_again(project: Path, monkeypatch) -> None:
    _check(monkeypatch)
    target = project / "api.py"
    target.write_text(API.replace('"id": i', '"id": i, "clerk_org_id": i'))
    _age(project, seconds=30)
    assert _check(monkeypatch) == ([], 1)


def test_a_file_changed_just_now_is_never_served_from_the_cache(project: Path, monkeypatch) -> None:
    _check(monkeypatch)
    # Same size, and written within the clock's granularity: only its age gives it away.
    target = project / "api.py"
    target.write_text(API.replace("i)", "j)").replace(": i}", ": j}"))
    assert _check(monkeypatch) == ([("api.py", 2, "ORG001")], 1)


def test_a_changed_migration_or_rule_selection_is_checked_again(project: Path, monkeypatch) -> None:
    _check(monkeypatch)
    (project / "migrations" / "002.sql").write_text("alter table calls drop column clerk_org_id;\n")
    _age(project, seconds=30)
    assert _check(monkeypatch) == ([], 1)  # calls is no tenant table any more
    assert _check(monkeypatch, "--select", "ORG002") == ([], 1)
    assert _check(monkeypatch, "--select", "ORG002") == ([], 0)


def _clock_at(monkeypatch: pytest.MonkeyPatch, path: Path, seconds_later: float) -> None:
    """Pin the clock the stat-keyed caches read to `seconds_later` after `path`'s mtime, so
    "just written" does not depend on how fast the machine runs the test."""
    now = path.stat().st_mtime_ns + int(seconds_later * 1_000_000_000)
    monkeypatch.setattr(time, "time_ns", lambda: now)


def _rewrite_keeping_stat(path: Path, text: str) -> None:
    """New content of the same size under the same mtime: what a coarse clock shows when
    a file is edited twice within one tick."""
    before = path.stat()
    assert len(text.encode()) == before.st_size
    path.write_text(text)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


SCOPED = 'def f(db, i, o):\n    db.delete("calls", {"id": i, "clerk_org_id": o})\n'
UNSCOPED = SCOPED.replace("clerk_org_id", "clerk_org_xx")


@pytest.mark.parametrize(("age", "served_stale"), [(1.0, False), (3.0, True)])
def test_a_file_in_the_racy_window_is_not_trusted_by_its_stat(
    project: Path, monkeypatch, age: float, served_stale: bool
) -> None:
    target = project / "api.py"
    target.write_text(SCOPED)
    _clock_at(monkeypatch, target, seconds_later=age)
    assert _check(monkeypatch) == ([], 1)

    _rewrite_keeping_stat(target, UNSCOPED)

    # Inside the window the edit is seen; outside it the stat key is trusted, which is
    # the trade-off the window exists to make safe.
    expected = [] if served_stale else [("api.py", 2, "ORG001")]
    assert _check(monkeypatch)[0] == expected


HELPERS = (
    "class DatabaseService:\n"
    "    def get_call(self, call_id, org_id):\n"
    '        return self.select_one("calls", {"id": call_id, "clerk_org_id": org_id})\n'
)
ROUTE = (
    "def route(db: DatabaseService, call_id, current_user):\n"
    '    org_id = current_user["clerk_org_id"]\n'
    "    return db.get_call(call_id)\n"
)


@pytest.mark.parametrize(("age", "served_stale"), [(1.0, False), (3.0, True)])
def test_a_partial_run_does_not_trust_the_stat_of_a_file_in_the_racy_window(
    project: Path, monkeypatch, age: float, served_stale: bool
) -> None:
    helpers = project / "db.py"
    (project / "routes.py").write_text(ROUTE)
    helpers.write_text(HELPERS)
    _age(project)
    os.utime(helpers)  # only the helpers, which are not being checked, are fresh
    _clock_at(monkeypatch, helpers, seconds_later=age)
    assert _hook_run() == [("routes.py", 3, "ORG004")]

    # get_call no longer takes the org: calling it without one is no finding any more.
    _rewrite_keeping_stat(helpers, HELPERS.replace("org_id", "org_xx"))

    expected = [("routes.py", 3, "ORG004")] if served_stale else []
    assert _hook_run() == expected


def _hook_run() -> list[tuple[str, int, str]]:
    """Check routes.py alone, as a pre-commit hook would."""
    result = CliRunner().invoke(cli, ["check", "routes.py", "--output-format", "json"])
    return [(f["path"], f["line"], f["code"]) for f in json.loads(result.output)["findings"]]


# --- a partial run over a project as a complete run left it takes that run's findings ---


@pytest.fixture()
def layered(project: Path) -> Path:
    """Helpers, a route, a migration with a policy and one that cannot be replayed."""
    (project / "db.py").write_text(HELPERS)
    (project / "routes.py").write_text(ROUTE)
    (project / "migrations" / "002.sql").write_text(
        "alter table calls enable row level security;\n"
        "create policy p on calls using (true);\n"
        "create table broken (;\n"
    )
    # Generated code the project's walk leaves out, checked only when named.
    (project / ".gitignore").write_text("build/\n")
    (project / "build").mkdir()
    (project / "build" / "gen.py").write_text(ROUTE)
    _age(project)
    return project


@pytest.mark.parametrize(
    ("paths", "reused"),
    [
        (["routes.py"], True),
        (["routes.py", "db.py"], True),
        (["migrations"], True),
        # Not Python: an ORG000 of this run's own, which the complete run never had.
        (["migrations/002.sql"], False),
        # Named, but left out of the project's walk: the complete run never saw it.
        (["build/gen.py"], False),
        (["."], True),
    ],
)
def test_after_a_complete_run_a_partial_run_reports_what_it_would_compute(
    layered: Path, monkeypatch, paths: list[str], reused: bool
) -> None:
    uncached = _run(monkeypatch, "--no-cache", *paths)[0]
    assert uncached, "the case has findings to compare"
    _run(monkeypatch, ".")
    findings, checked = _run(monkeypatch, *paths)
    assert (findings, checked == 0) == (uncached, reused)


def test_a_file_not_given_that_changed_since_the_complete_run_is_seen(
    layered: Path, monkeypatch
) -> None:
    assert ("routes.py", 3, "ORG004") in _run(monkeypatch, ".")[0]
    # get_call no longer takes the org: calling it without one is no finding any more.
    (layered / "db.py").write_text(HELPERS.replace("org_id", "org_xx"))
    _age(layered, seconds=30)
    findings, checked = _run(monkeypatch, "routes.py")
    assert ("routes.py", 3, "ORG004") not in findings
    assert checked > 0


def test_a_file_not_given_changed_in_the_racy_window_is_seen(layered: Path, monkeypatch) -> None:
    helpers = layered / "db.py"
    os.utime(helpers)  # fresh: the complete run cannot trust its stamp
    _clock_at(monkeypatch, helpers, seconds_later=1.0)
    assert ("routes.py", 3, "ORG004") in _run(monkeypatch, ".")[0]
    _rewrite_keeping_stat(helpers, HELPERS.replace("org_id", "org_xx"))
    assert ("routes.py", 3, "ORG004") not in _run(monkeypatch, "routes.py")[0]


def test_a_diff_run_after_a_complete_run_reports_only_the_changed_files(
    layered: Path, monkeypatch
) -> None:
    from orgscope_lint.config import load_config

    _run(monkeypatch, ".")
    only = frozenset({os.path.realpath(layered / "routes.py")})
    config = load_config(start=layered)

    def diff_run(**cache: object) -> list[tuple[str, int, str]]:
        result = engine.run(
            [layered], config, cwd=layered, need_facts=False, report_only=only, **cache
        )
        return [(f.path, f.line, f.code) for f in result.findings]

    uncached = diff_run(use_cache=False)
    assert ("routes.py", 3, "ORG004") in uncached
    assert not any(path == "api.py" for path, _, _ in uncached)
    assert diff_run() == uncached


@pytest.mark.parametrize("cached", [False, True])
def test_a_diff_run_reports_the_policies_of_its_changed_migrations_only(
    layered: Path, monkeypatch, cached: bool
) -> None:
    """The migrations' findings of a run given `report_only` are those on the files it
    names; the policies of the others are not judged (they would be dropped)."""
    from orgscope_lint.config import load_config

    if cached:
        _run(monkeypatch, ".")  # then answered from the complete run's findings
    config = load_config(start=layered)

    def diff_run(*changed: str) -> list[tuple[str, int, str]]:
        only = frozenset(os.path.realpath(layered / path) for path in changed)
        result = engine.run(
            [layered], config, cwd=layered, need_facts=False, report_only=only, use_cache=cached
        )
        return [(f.path, f.line, f.code) for f in result.findings if f.code.startswith("ORG2")]

    assert ("migrations/002.sql", 2, "ORG202") in _run(monkeypatch, "--no-cache", ".")[0]
    assert diff_run("routes.py") == []
    assert diff_run("routes.py", "migrations/002.sql") == [("migrations/002.sql", 2, "ORG202")]


@pytest.mark.parametrize("damage", ["flip", "plant"])
def test_a_tampered_digest_table_is_refused(layered: Path, monkeypatch, damage: str) -> None:
    _run(monkeypatch, ".")
    (table,) = (layered / ".orgscope_cache" / "context").rglob("*.digests")
    data = bytearray(table.read_bytes())
    if damage == "flip":
        data[len(data) // 2] ^= 1
    else:
        data[10:42] = bytes(32)  # a well-formed entry, signed with another key
    table.write_bytes(bytes(data))
    # Without a table it can trust, the run analyses and rules run; its result is right.
    findings, checked = _run(monkeypatch, "routes.py")
    assert (findings, checked > 0) == ([("routes.py", 3, "ORG004")], True)


# --- row-level-security judgements are remembered per migrations ---


def _new_process(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Forget the judgements this process made, as a new run would; count the policy
    expressions parsed from then on."""
    from orgscope_lint.rls import policies

    monkeypatch.setattr(policies, "_judged", {})
    parsed: list[str] = []
    real = getattr(policies._parse, "counted", policies._parse)

    def counting(expression: str):
        parsed.append(expression)
        return real(expression)

    counting.counted = real  # type: ignore[attr-defined]
    monkeypatch.setattr(policies, "_parse", counting)
    return parsed


def test_rls_judgements_are_remembered_across_runs(layered: Path, monkeypatch) -> None:
    parsed = _new_process(monkeypatch)
    first = _run(monkeypatch, "api.py")  # a partial run: its rules run
    assert parsed, "the finding's message judges the policy"
    parsed = _new_process(monkeypatch)
    assert _run(monkeypatch, "api.py")[0] == first[0]
    assert parsed == []
    # Other migrations: judged anew.
    (layered / "migrations" / "003.sql").write_text("create policy q on calls using (1 = 1);\n")
    _age(layered, seconds=30)
    parsed = _new_process(monkeypatch)
    _run(monkeypatch, "api.py")
    assert parsed


@pytest.mark.parametrize("damage", ["flip", "plant"])
def test_a_tampered_rls_entry_is_refused(layered: Path, monkeypatch, damage: str) -> None:
    _new_process(monkeypatch)
    first = _run(monkeypatch, "api.py")
    (entry,) = [p for p in (layered / ".orgscope_cache" / "rls").rglob("*") if p.is_file()]
    data = bytearray(entry.read_bytes())
    if damage == "flip":
        data[len(data) // 2] ^= 1
    else:
        data[10:42] = bytes(32)  # a well-formed entry, signed with another key
    entry.write_bytes(bytes(data))
    parsed = _new_process(monkeypatch)
    assert _run(monkeypatch, "api.py")[0] == first[0]
    assert parsed, "judged again from the policies"
