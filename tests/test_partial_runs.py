"""A run on a few files uses the rest of the project's summaries, indexed by file stats."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from orgscope_lint import aside, engine, parallel
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


@pytest.fixture(autouse=True)
def _in_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """The files read and analysed are counted in this process: the hook's own files are
    not handed to a child process (`aside`, tested in test_aside.py)."""
    monkeypatch.setattr(aside, "can_start_aside", lambda jobs: False)


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "db.py").write_text(HELPERS)
    (tmp_path / "routes.py").write_text(ROUTE)
    _age(tmp_path)
    return tmp_path


def _age(root: Path, seconds: int = 60) -> None:
    """Date files back: the stat-keyed summaries ignore files changed in the last seconds."""
    for path in root.glob("*.py"):
        _age_file(path, seconds)


def _age_file(path: Path, seconds: int) -> None:
    when = time.time_ns() - seconds * 1_000_000_000
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


def test_a_run_the_complete_run_cannot_answer_stats_each_file_once(
    project: Path, monkeypatch
) -> None:
    from orgscope_lint import context

    config = load_config(start=project)
    engine.run([project], config, cwd=project, cache_dir=project / ".cache", need_facts=False)
    (project / "routes.py").write_text(ROUTE + "# edited\n")
    _age(project, seconds=30)
    stats: list[str] = []
    real = os.stat

    def counting(path, *args, **kwargs):
        stats.append(os.path.basename(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(context.os, "stat", counting)
    # A hook run on routes.py: the complete run's findings are for other bytes.
    result = engine.run(
        [project / "routes.py"], config, cwd=project, cache_dir=project / ".cache", need_facts=False
    )
    assert [f"{f.path}:{f.line}:{f.code}" for f in result.findings] == ["routes.py:3:ORG004"]
    assert stats.count("db.py") == 1, "stamped for the complete run's key and the index at once"


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


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_report_only_finds_a_linked_file_by_its_target(project: Path, tmp_path: Path) -> None:
    """A pull request changes the file a link in the project points to: the link is
    checked (by the resolved path the walk found for it)."""
    outside = tmp_path.parent / f"{tmp_path.name}-shared"
    outside.mkdir()
    (outside / "leak.py").write_text('def leak(db, call_id):\n    return db.select("calls", {})\n')
    os.symlink(outside / "leak.py", project / "linked.py")
    only = frozenset({os.path.realpath(project / "linked.py")})
    result = engine.run(
        [project], load_config(start=project), cwd=project, use_cache=False, report_only=only
    )
    assert [f"{f.path}:{f.line}:{f.code}" for f in result.findings] == ["linked.py:2:ORG002"]


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


# --- the overlay: a partial run re-stamping a few entries does not rewrite the index ---

FILLERS = 60  # more files than `context.COMPACT_EVERY`: one changed entry stays an overlay


@pytest.fixture()
def large_project(project: Path) -> Path:
    for number in range(FILLERS):
        (project / f"util_{number}.py").write_text(f"def util_{number}(x):\n    return x\n")
    _age(project)
    return project


def _context_files(root: Path) -> dict[str, Path]:
    """The stored index, its overlay and the table of digests, by kind."""
    found = sorted((root / ".cache" / "context").rglob("*"))
    return {(path.suffix[1:] or "index"): path for path in found if path.is_file()}


def test_a_helper_edited_after_the_full_run_goes_to_the_overlay(
    large_project: Path, monkeypatch
) -> None:
    _full_run(large_project)
    index = _context_files(large_project)["index"]
    written = index.read_bytes()
    (large_project / "db.py").write_text(HELPERS.replace(', "clerk_org_id": org_id', ""))
    _age_file(large_project / "db.py", seconds=30)
    # A file not given to the hook changed its summary: the hook still sees the change.
    assert _hook_run(large_project, monkeypatch) == ([], 1)
    stored = _context_files(large_project)
    assert index.read_bytes() == written, "one changed entry does not rewrite the index"
    assert "overlay" in stored
    # The next hook run reads the changed summary from the overlay, analysing nothing.
    read = _files_read(monkeypatch)
    assert _hook_run(large_project, monkeypatch) == ([], 0)
    assert read == ["routes.py"]
    # Edited back: the overlay follows, and the finding returns.
    (large_project / "db.py").write_text(HELPERS)
    _age_file(large_project / "db.py", seconds=20)
    assert _hook_run(large_project, monkeypatch)[0] == ["routes.py:3:ORG004"]
    assert _hook_run(large_project, monkeypatch) == (["routes.py:3:ORG004"], 0)


@pytest.mark.parametrize("damage", ["flip", "plant", "truncate"])
def test_a_tampered_overlay_is_rejected_and_rebuilt(
    large_project: Path, monkeypatch, damage: str
) -> None:
    _full_run(large_project)
    (large_project / "db.py").write_text(HELPERS.replace(', "clerk_org_id": org_id', ""))
    _age_file(large_project / "db.py", seconds=30)
    assert _hook_run(large_project, monkeypatch) == ([], 1)
    overlay = _context_files(large_project)["overlay"]
    data = overlay.read_bytes()
    if damage == "flip":
        middle = len(data) // 2
        data = data[:middle] + bytes([data[middle] ^ 1]) + data[middle + 1 :]
    elif damage == "plant":
        # A well-formed overlay signed with another key: it would restore the old,
        # scoping summary of db.py and so a finding that is no longer true.
        data = data[:10] + bytes(32) + data[42:]
    else:
        data = data[: len(data) // 3]
    overlay.write_bytes(data)
    read = _files_read(monkeypatch)
    # Refused: db.py's index entry is stale, so its summary comes from its bytes again
    # (its facts cache entry, written by the run before).
    assert _hook_run(large_project, monkeypatch) == ([], 0)
    assert sorted(read) == ["db.py", "routes.py"]
    read.clear()
    # ... and the overlay written anew is trusted by the next run.
    assert _hook_run(large_project, monkeypatch) == ([], 0)
    assert read == ["routes.py"]


def test_a_tampered_index_is_rejected_and_rebuilt(large_project: Path, monkeypatch) -> None:
    _full_run(large_project)
    index = _context_files(large_project)["index"]
    data = bytearray(index.read_bytes())
    data[len(data) // 2] ^= 1
    index.write_bytes(bytes(data))
    read = _files_read(monkeypatch)
    # Every other file's summary comes from its facts cache entry, none is analysed.
    assert _hook_run(large_project, monkeypatch) == (["routes.py:3:ORG004"], 0)
    assert len(read) == FILLERS + 2
    read.clear()
    assert _hook_run(large_project, monkeypatch) == (["routes.py:3:ORG004"], 0)
    assert read == ["routes.py"], "the index was rewritten whole"


class _Store:
    """Records what `context.persist` writes."""

    def __init__(self) -> None:
        self.written: list[tuple[str, int]] = []

    def store_context(self, key: str, index: dict) -> None:
        self.written.append(("index", len(index)))

    def store_context_overlay(self, key: str, overlay: dict) -> None:
        self.written.append(("overlay", len(overlay)))

    def store_digests(self, key: str, table: dict) -> None:
        pass  # written with either, checked in test_run_cache


def _entries(count: int, stamp: int = 1) -> dict:
    from orgscope_lint.facts import FileFacts

    return {
        f"f{n}.py": ((stamp, 10), f"digest{n}", FileFacts(path=f"f{n}.py")) for n in range(count)
    }


@pytest.mark.parametrize(
    ("changed", "expected"),
    [
        (0, []),
        (1, [("overlay", 1)]),
        (10, [("overlay", 10)]),  # 10 of 100: at the threshold, still an overlay
        (11, [("index", 100)]),  # past it: the index is rewritten whole
    ],
)
def test_the_overlay_is_folded_into_the_index_past_one_entry_in_ten(
    changed: int, expected: list
) -> None:
    from orgscope_lint import context

    assert context.COMPACT_EVERY == 10
    base = _entries(100)
    updated = {**base, **dict(list(_entries(100, stamp=2).items())[:changed])}
    store = _Store()
    context.persist((store, "key"), base, {}, updated)  # type: ignore[arg-type]
    assert store.written == expected


def test_an_unchanged_overlay_is_not_rewritten_and_an_emptied_one_is() -> None:
    from orgscope_lint import context

    base = _entries(100)
    overlay = dict(list(_entries(100, stamp=2).items())[:1])
    store = _Store()
    context.persist((store, "key"), base, overlay, {**base, **overlay})  # type: ignore[arg-type]
    context.persist((store, "key"), base, overlay, base)  # type: ignore[arg-type]
    assert store.written == [("overlay", 0)]


def test_files_gone_from_the_project_count_towards_a_rewrite() -> None:
    from orgscope_lint import context

    base = _entries(100)
    store = _Store()
    context.persist((store, "key"), base, {}, dict(list(base.items())[12:]))  # type: ignore[arg-type]
    assert store.written == [("index", 88)]
