"""A partial run's files analysed in a child process beside the rest of the run
(`orgscope_lint.aside`): the same findings, cache and errors as in one process."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest

from orgscope_lint import aside, engine, parallel
from orgscope_lint.config import load_config
from orgscope_lint.crash import InternalError
from orgscope_lint.engine import RunResult
from orgscope_lint.facts import FileFacts
from orgscope_lint.sources import SourceText, read_source

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "clerk_backend" / "before"
HOOKED = ("app/api/voices.py", "app/api/webhooks.py", "app/core/database.py")
EDIT = '\n\ndef added(db, voice_id):\n    return db.select_one("voices", {"id": voice_id})\n'

pytestmark = pytest.mark.skipif(
    not aside.can_start_aside(None), reason="needs Linux and two processors"
)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """The fixture, checked whole once (the cache and the summary index filled), then
    edited: a hook run on `HOOKED` must analyse them again."""
    return _prepared(tmp_path / "tree")


def _prepared(work: Path) -> Path:
    shutil.copytree(FIXTURE, work, ignore=shutil.ignore_patterns("__pycache__", ".*"))
    _check(work, [work])
    for relative in HOOKED:
        with (work / relative).open("a", encoding="utf-8") as handle:
            handle.write(EDIT)
    return work


def _check(tree: Path, paths: list[Path], **options: object) -> RunResult:
    config = load_config(start=tree)
    return engine.run(paths, config, cwd=tree, cache_dir=tree / ".cache", **options)  # type: ignore[arg-type]


def _hook(tree: Path, **options: object) -> list[str]:
    result = _check(tree, [tree / relative for relative in HOOKED], need_facts=False, **options)
    return [f"{f.path}:{f.line}:{f.column}:{f.code}:{f.message}" for f in result.findings]


@pytest.fixture
def collected(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The files each run handed to a child process, by display path."""
    calls: list[list[str]] = []
    real = aside.Aside.collect

    def spy(self: aside.Aside, files: list[tuple[Path, str]], cache: object) -> None:
        calls.append([shown for _, shown in files])
        real(self, files, cache)  # type: ignore[arg-type]

    monkeypatch.setattr(aside.Aside, "collect", spy)
    return calls


@pytest.fixture
def fallbacks(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The files collected in this process because the child gave no answer."""
    calls: list[list[str]] = []
    real = aside._collect
    parent = os.getpid()

    def spy(files: list[tuple[Path, str]], *args: object, **kwargs: object) -> object:
        if os.getpid() == parent:  # the child's calls stay in the child
            calls.append([shown for _, shown in files])
        return real(files, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(aside, "_collect", spy)
    return calls


def test_a_hook_run_reports_what_one_process_reports(
    tree: Path,
    tmp_path: Path,
    collected: list[list[str]],
    fallbacks: list[list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    beside = _hook(tree)
    assert collected == [list(HOOKED)] and fallbacks == [], "the child analysed them"
    assert any(":ORG001:" in finding for finding in beside)
    again = _hook(tree)
    assert again == beside, "the child's facts were cached as one process caches them"
    alone = _prepared(tmp_path / "alone")
    monkeypatch.setattr(aside, "can_start_aside", lambda jobs: False)
    assert _hook(alone) == beside


def test_a_pull_request_run_reports_what_one_process_reports(
    tree: Path,
    tmp_path: Path,
    collected: list[list[str]],
    fallbacks: list[list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    changed = frozenset(os.path.realpath(tree / relative) for relative in HOOKED)
    beside = _check(tree, [tree], need_facts=False, report_only=changed).findings
    assert collected == [list(HOOKED)] and fallbacks == []
    monkeypatch.setattr(aside, "can_start_aside", lambda jobs: False)
    alone = _prepared(tmp_path / "alone")
    changed = frozenset(os.path.realpath(alone / relative) for relative in HOOKED)
    assert _check(alone, [alone], need_facts=False, report_only=changed).findings == beside


def test_an_error_in_the_child_names_the_file(
    tree: Path,
    collected: list[list[str]],
    fallbacks: list[list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("the analysis broke")

    monkeypatch.setattr(engine, "analyze_module", broken)  # the child inherits it
    with pytest.raises(InternalError) as raised:
        _hook(tree)
    assert collected and fallbacks == [], "raised by the child"
    # The child analyses its files in two processes: the first to fail names its file.
    assert raised.value.path in HOOKED
    assert "ValueError: the analysis broke" in raised.value.detail


def test_a_child_that_dies_leaves_its_files_to_the_run(
    tree: Path,
    tmp_path: Path,
    collected: list[list[str]],
    fallbacks: list[list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    expected = _hook(_prepared(tmp_path / "expected"), jobs=1)
    assert collected == fallbacks == [], "one job: no child"
    monkeypatch.setattr(aside, "_aside_child", lambda *args: os._exit(1))
    assert _hook(tree) == expected
    assert collected == fallbacks == [list(HOOKED)]


def test_a_run_that_analyses_nothing_stops_its_child(
    tree: Path, collected: list[list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    _check(tree, [tree], need_facts=False)  # a complete run: the findings are known
    children: list[int] = []
    real = aside.Aside.__init__

    def spy(self: aside.Aside, config: object) -> None:
        real(self, config)  # type: ignore[arg-type]
        assert self.pid is not None
        children.append(self.pid)

    monkeypatch.setattr(aside.Aside, "__init__", spy)
    assert _hook(tree)
    assert children == [], "a hook run starts its child once its files need analysing"
    # A pull request run starts it at once, and stops it when the complete run answers.
    changed = frozenset(os.path.realpath(tree / relative) for relative in HOOKED)
    assert _check(tree, [tree], need_facts=False, report_only=changed).findings
    assert len(children) == 1 and collected == []
    with pytest.raises(ChildProcessError):
        os.waitpid(children[0], os.WNOHANG)  # killed and reaped


def test_no_child_beside_other_threads_or_with_one_job() -> None:
    assert not aside.can_start_aside(1)
    release = threading.Event()
    thread = threading.Thread(target=release.wait)
    thread.start()
    try:
        assert not aside.can_start_aside(None)
    finally:
        release.set()
        thread.join()
    assert aside.can_start_aside(None)


def _jobs(tree: Path) -> list[parallel.Job]:
    return [
        parallel.Job(relative, source)
        for relative in HOOKED
        if isinstance(source := read_source(tree / relative), SourceText)
    ]


def _in_two(tree: Path) -> list[FileFacts]:
    """The child's way: half the files' text in a fork of this process."""
    spare_in, spare_out = os.pipe()  # stands for the child's pipe to the run
    os.close(spare_in)
    config = load_config(start=tree)
    return aside._in_two(_jobs(tree), config, jobs=None, cache=None, to_run=spare_out)


def test_files_split_in_two_processes_by_their_text() -> None:
    texts = ["x" * size for size in (50, 300, 120, 200, 10)]
    jobs = [parallel.Job(str(i), SourceText(text, "utf-8", str(i))) for i, text in enumerate(texts)]
    mine, theirs = aside._halves(jobs)
    assert sorted(mine + theirs) == list(range(len(texts)))
    weight = [sum(len(texts[i]) for i in group) for group in (mine, theirs)]
    assert abs(weight[0] - weight[1]) <= max(len(text) for text in texts)
    assert aside._halves(jobs[:1]) == ([0], [])


def test_the_fork_and_the_child_find_what_one_process_finds(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = load_config(start=tree)
    alone = list(parallel.analyse(_jobs(tree), config, jobs=1, cache=None))
    answers: list[tuple | None] = []
    real = aside._read_answer

    def spy(answer_in: int) -> tuple | None:
        answers.append(real(answer_in))
        return answers[-1]

    monkeypatch.setattr(aside, "_read_answer", spy)
    assert _in_two(tree) == alone
    assert len(answers) == 1 and answers[0] is not None, "the fork answered"
    assert 0 < len(answers[0][1]) < len(alone), "with part of the files"


def test_a_fork_that_dies_leaves_its_half_to_the_child(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = load_config(start=tree)
    alone = list(parallel.analyse(_jobs(tree), config, jobs=1, cache=None))
    monkeypatch.setattr(aside, "_analysed", lambda *args: os._exit(1))
    assert _in_two(tree) == alone


def test_an_error_in_the_fork_is_raised_in_the_child(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parent = os.getpid()
    real = engine.analyze_module

    def broken_in_the_fork(*args: object, **kwargs: object) -> object:
        if os.getpid() != parent:
            raise ValueError("the fork broke")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "analyze_module", broken_in_the_fork)
    with pytest.raises(InternalError) as raised:
        _in_two(tree)
    assert raised.value.path in HOOKED
    assert "ValueError: the fork broke" in raised.value.detail


def test_a_fork_that_cannot_start_leaves_every_file_to_the_child(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = load_config(start=tree)
    alone = list(parallel.analyse(_jobs(tree), config, jobs=1, cache=None))

    def no_fork() -> int:
        raise BlockingIOError("Resource temporarily unavailable")

    monkeypatch.setattr(aside.os, "fork", no_fork)
    assert _in_two(tree) == alone
