"""A run on a few files uses the rest of the project's summaries, indexed by file stats."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from orgscope_lint import engine, parallel
from orgscope_lint.config import load_config

HELPERS = (
    "class DatabaseService:\n"
    "    def get_story(self, story_id, org_id):\n"
    '        return self.select_one("stories", {"id": story_id, "clerk_org_id": org_id})\n'
)
ROUTE = (
    "def route(db: DatabaseService, story_id, current_user):\n"
    '    org_id = current_user["clerk_org_id"]\n'
    "    return db.get_story(story_id)\n"
)


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "db.py").write_text(HELPERS)
    (tmp_path / "routes.py").write_text(ROUTE)
    _age(tmp_path)
    return tmp_path


def _age(root: Path, seconds: int = 60) -> None:
    """Date files back: the stat-keyed summaries ignore files changed in the last seconds."""
    when = time.time_ns() - seconds * 1_000_000_000
    for path in root.glob("*.py"):
        os.utime(path, ns=(when, when))


def _hook_run(root: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], int]:
    """Check routes.py alone, as a pre-commit hook would; count files analysed for real."""
    analysed = []
    real = parallel.analyse

    def counting(work, *args, **kwargs):
        analysed.extend(work)
        return real(work, *args, **kwargs)

    monkeypatch.setattr(parallel, "analyse", counting)
    result = engine.run(
        [root / "routes.py"], load_config(start=root), cwd=root, cache_dir=root / ".cache"
    )
    return [f"{f.path}:{f.line}:{f.code}" for f in result.findings], len(analysed)


def test_the_helper_defined_elsewhere_is_known(project: Path, monkeypatch) -> None:
    findings, analysed = _hook_run(project, monkeypatch)
    assert findings == ["routes.py:3:ORG004"]
    assert analysed == 2  # routes.py, and db.py for its summary


def test_a_warm_hook_run_analyses_nothing(project: Path, monkeypatch) -> None:
    _hook_run(project, monkeypatch)
    assert list((project / ".cache" / "context").rglob("*")), "the context was stored"
    assert _hook_run(project, monkeypatch) == (["routes.py:3:ORG004"], 0)


def test_an_edited_helper_file_is_read_again(project: Path, monkeypatch) -> None:
    _hook_run(project, monkeypatch)
    helpers = project / "db.py"
    helpers.write_text(HELPERS.replace(', "clerk_org_id": org_id', ""))
    _age(project, seconds=30)
    findings, analysed = _hook_run(project, monkeypatch)
    # get_story no longer scopes by its org: not a scoped helper any more, and a dropper.
    assert findings == []
    assert analysed == 1


def _files_read(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every file whose bytes the run reads (to hash it for the facts cache, or analyse it)."""
    read: list[str] = []
    real = parallel.read_source

    def counting(path):
        read.append(Path(path).name)
        return real(path)

    monkeypatch.setattr(parallel, "read_source", counting)
    return read


def _full_run(root: Path) -> list[str]:
    result = engine.run([root], load_config(start=root), cwd=root, cache_dir=root / ".cache")
    return [f"{f.path}:{f.line}:{f.code}" for f in result.findings]


def test_a_hook_run_right_after_a_full_run_reads_only_its_files(project: Path, monkeypatch) -> None:
    _full_run(project)
    read = _files_read(monkeypatch)
    assert _hook_run(project, monkeypatch) == (["routes.py:3:ORG004"], 0)
    assert read == ["routes.py"]  # db.py's summary came from the index the full run left


def test_a_file_changed_in_the_last_seconds_is_checked_by_its_bytes(
    project: Path, monkeypatch
) -> None:
    helpers = project / "db.py"
    now = time.time_ns()
    os.utime(helpers, ns=(now, now))
    _full_run(project)
    # Edited again within the clock's granularity: same size, same mtime, other bytes.
    helpers.write_text(HELPERS.replace('"clerk_org_id": org_id', '"clerk_org_xx": org_id'))
    os.utime(helpers, ns=(now, now))
    assert _hook_run(project, monkeypatch) == ([], 1)


def test_a_helper_edited_after_the_full_run_is_read_again(project: Path, monkeypatch) -> None:
    _full_run(project)
    (project / "db.py").write_text(HELPERS.replace(', "clerk_org_id": org_id', ""))
    _age(project, seconds=30)
    read = _files_read(monkeypatch)
    findings, analysed = _hook_run(project, monkeypatch)
    assert findings == []
    assert (sorted(read), analysed) == (["db.py", "routes.py"], 1)


def test_report_only_checks_those_files_with_the_rest_as_context(project: Path) -> None:
    (project / "other.py").write_text('def leak(db, call_id):\n    return db.select("calls", {})\n')
    _age(project)
    assert _full_run(project) == ["other.py:2:ORG002", "routes.py:3:ORG004"]
    only = frozenset({os.path.realpath(project / "routes.py")})
    config = load_config(start=project)
    for cache_dir in (project / ".cache", None):  # from the index, then analysed for real
        result = engine.run(
            [project],
            config,
            cwd=project,
            cache_dir=cache_dir,
            use_cache=cache_dir is not None,
            need_facts=False,
            report_only=only,
        )
        assert [f"{f.path}:{f.line}:{f.code}" for f in result.findings] == ["routes.py:3:ORG004"]


def test_files_dated_anew_with_the_same_bytes_keep_their_summaries(
    project: Path, monkeypatch
) -> None:
    _full_run(project)
    _age(project, seconds=90)  # a fresh checkout of the same commit
    read = _files_read(monkeypatch)
    assert _hook_run(project, monkeypatch) == (["routes.py:3:ORG004"], 0)
    assert read == ["routes.py"]  # db.py was hashed, not read through the facts cache


def test_a_partial_run_judges_a_configured_helper_as_the_full_run_does(
    tmp_path: Path, monkeypatch
) -> None:
    # `get_call` is a configured scoped helper, but the project's only `get_call` is a
    # utility without an org: the full run asks for no org, so neither may a partial one.
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "utils.py").write_text("def get_call(call_id):\n    return lookup(call_id)\n")
    (tmp_path / "routes.py").write_text(ROUTE.replace("get_story(story_id)", "get_call(story_id)"))
    _age(tmp_path)
    assert _full_run(tmp_path) == []
    assert _hook_run(tmp_path, monkeypatch)[0] == []
    only = frozenset({os.path.realpath(tmp_path / "routes.py")})
    config = load_config(start=tmp_path)
    result = engine.run([tmp_path], config, cwd=tmp_path, use_cache=False, report_only=only)
    assert result.findings == []


def test_a_partial_run_joins_the_files_in_the_project_order(tmp_path: Path, monkeypatch) -> None:
    # Two definitions of one DB method: the project keeps the first file's, whichever
    # file a partial run was given.
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "a.py").write_text(HELPERS)
    swapped = HELPERS.replace("story_id, org_id):", "org_id, story_id):")
    (tmp_path / "z.py").write_text(
        swapped
        + "\n\ndef route(db: DatabaseService, story_id, current_user):\n"
        + '    org_id = current_user["clerk_org_id"]\n'
        + "    return db.get_story(story_id, org_id)\n"
    )
    config = load_config(start=tmp_path)
    full = engine.run([tmp_path], config, cwd=tmp_path, use_cache=False)
    partial = engine.run([tmp_path / "z.py"], config, cwd=tmp_path, use_cache=False)
    kept = [run.project.db_methods["get_story"].params for run in (full, partial)]
    assert kept == [("self", "story_id", "org_id")] * 2
    assert partial.findings == [f for f in full.findings if f.path == "z.py"]
