"""A child process that analyses a partial run's few files while the run reads the
summary index of the rest of the project.

A partial run (a pre-commit hook's files, a pull request's changed files) spends most of
its time in two steps that need nothing of each other: analysing its files (LibCST's
import, then some 25 ms a file) and reading every other file's summaries (one large
cache entry). On a machine with two processors they can run at once: the run forks an
`Aside`, which imports the analysis (a pull request run forks it as it starts, so that
this overlaps the walk of the project), then collects the facts of the files it is sent
while the run reads the index. With two files or more to analyse, the child forks once
more and each half of their text is analysed in its own process: on two processors a
pull request's ten changed files take about half the time.
"""

from __future__ import annotations

import contextlib
import functools
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from orgscope_lint.config import Config
from orgscope_lint.crash import InternalError
from orgscope_lint.facts import FileFacts

if TYPE_CHECKING:
    from orgscope_lint.cache import FactsCache
    from orgscope_lint.parallel import Job


class Aside:
    """A child process that analyses a partial run's few files while this one reads the
    rest of the project's summaries (each of which costs about a quarter of a second).

    Once forked it imports the analysis (LibCST), then waits for the files (`collect`):
    they are sent only once this process has stamped them, so no file is read before
    its stamp is taken (see `context`). Its facts (`collect_facts`) come back pickled
    through a pipe.

    Only on Linux, only in a process that runs no other thread (a bare `fork` copies one
    thread, whatever locks the others held), and only when two processors may run
    (`can_start_aside`). Anything short of its answer (the child killed, a broken pipe)
    is answered by collecting here, as without a child; an exception of the child's (an
    `InternalError`) is raised here. A run that does not need it, or fails before its
    answer, kills it (`close`); a child whose parent died finds its pipe closed, and
    exits."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.files: Sequence[tuple[Path, str]] = ()
        self.cache: FactsCache | None = None
        jobs_in, self.jobs_out = os.pipe()
        self.answer_in, answer_out = os.pipe()
        self.pid: int | None = os.fork()
        if self.pid == 0:  # the child: never returns
            os.close(self.jobs_out)
            os.close(self.answer_in)
            _aside_child(jobs_in, answer_out, config)
        os.close(jobs_in)
        os.close(answer_out)

    def __enter__(self) -> Aside:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def collect(self, files: Sequence[tuple[Path, str]], cache: FactsCache | None) -> None:
        """Have the child collect the facts of `files`: few of them (`parallel` starts
        a pool of workers for many), in one process."""
        self.files, self.cache = files, cache
        payload = pickle.dumps((files, cache), protocol=pickle.HIGHEST_PROTOCOL)
        with contextlib.suppress(OSError), open(self.jobs_out, "wb", closefd=True) as pipe:
            self.jobs_out = None
            pipe.write(payload)

    def result(self, digests: dict[str, str]) -> list[FileFacts]:
        """The facts of the files given to `collect`, in their order; `digests` filled as
        `collect_facts` fills it."""
        answer = self._answer()
        if answer is None:
            return _collect(self.files, self.config, cache=self.cache, digests=digests)
        kind, value, found = answer
        if kind == "error":
            raise value
        digests.update(found)
        return value

    def _answer(self) -> tuple | None:
        if self.answer_in is None:
            return None
        answer_in, self.answer_in = self.answer_in, None
        answer = _read_answer(answer_in)
        self._reap()
        return answer

    def close(self) -> None:
        """Stop the child if it is still running (its answer is no longer wanted)."""
        for fd in (self.jobs_out, self.answer_in):
            if fd is not None:
                os.close(fd)
        self.jobs_out = self.answer_in = None
        if self.pid is not None:
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)
            self._reap()

    def _reap(self) -> None:
        if self.pid is not None:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pid, 0)
            self.pid = None


def can_start_aside(jobs: int | None) -> bool:
    """Whether an `Aside` may be forked now."""
    return (
        sys.platform.startswith("linux")
        and threading.active_count() == 1
        and (jobs or len(os.sched_getaffinity(0))) >= 2
    )


def _aside_child(jobs_in: int, answer_out: int, config: Config) -> NoReturn:
    """The child's side of `Aside`: import the analysis, wait for the files, collect,
    send the facts (or the exception), and exit without running anything of the
    parent's (`atexit` handlers, buffered output)."""
    code = 1
    try:
        _import_analysis()
        with open(jobs_in, "rb", closefd=True) as pipe:
            request = pipe.read()
        if not request:  # not needed after all
            os._exit(0)
        files, cache = pickle.loads(request)
        digests: dict[str, str] = {}
        _send(
            answer_out,
            lambda: (
                "facts",
                _collect(files, config, cache=cache, digests=digests, split=answer_out),
                digests,
            ),
            files,
        )
        code = 0
    finally:
        os._exit(code)


def _send(answer_out: int, answer: Callable[[], tuple], files: Sequence[tuple[Path, str]]) -> None:
    """Write `answer()` to the pipe, or the exception it raised, pickled: every one goes
    back to the process that waits for it."""
    try:
        value = answer()
    except BaseException as exc:
        value = ("error", _portable(exc, files), {})
    with open(answer_out, "wb", closefd=True) as pipe:
        pipe.write(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))


def _read_answer(answer_in: int) -> tuple | None:
    """What `_send` wrote, or None if the writer died before it finished."""
    chunks = []
    with contextlib.suppress(OSError), open(answer_in, "rb", closefd=True) as pipe:
        while chunk := pipe.read(1 << 20):
            chunks.append(chunk)
    try:
        # Written by our own child, through a pipe nothing else holds.
        answer = pickle.loads(b"".join(chunks))
    except Exception:  # cut short: the child was killed
        return None
    return answer if isinstance(answer, tuple) and len(answer) == 3 else None


def _import_analysis() -> None:
    """What analysing a file imports on first use: LibCST and the analysis modules."""
    import importlib
    import pkgutil

    from orgscope_lint import analysis

    importlib.import_module("libcst")
    for module in pkgutil.iter_modules(analysis.__path__):
        importlib.import_module(f"{analysis.__name__}.{module.name}")


def _portable(exc: BaseException, files: Sequence[tuple[Path, str]]) -> BaseException:
    """`exc` as it survives pickling, else an `InternalError` holding its traceback."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return InternalError.during(", ".join(shown for _, shown in files), exc)
    return exc


def _collect(
    files: Sequence[tuple[Path, str]],
    config: Config,
    *,
    cache: FactsCache | None,
    digests: dict[str, str],
    split: int | None = None,
) -> list[FileFacts]:
    """The facts of `files`; with `split` (the child's pipe to the run, which its fork
    must not hold open), those to analyse in two processes. Only in the child: the run
    itself may be running threads, which a fork does not copy."""
    from orgscope_lint.parallel import analyse, collect_facts

    analyser = analyse if split is None else functools.partial(_in_two, to_run=split)
    return collect_facts(files, config, cache=cache, digests=digests, analyser=analyser)


def _in_two(
    pending: Sequence[Job],
    config: Config,
    *,
    jobs: int | None,
    cache: FactsCache | None,
    to_run: int,
) -> list[FileFacts]:
    """`parallel.analyse` of `pending`, half of their text in a fork of this process:
    it has imported the analysis already, so the fork starts at once, unlike a pool's
    workers. Whatever it does not answer is analysed here."""
    from orgscope_lint.parallel import analyse

    def here(indices: Sequence[int]) -> dict[int, FileFacts]:
        facts = analyse([pending[i] for i in indices], config, jobs=1, cache=cache)
        return dict(zip(indices, facts, strict=True))

    if len(pending) < 2:
        return list(here(range(len(pending))).values())
    mine, theirs = _halves(pending)
    answer_in, answer_out = os.pipe()
    try:
        parent, pid = os.getpid(), os.fork()
    except OSError:  # no process to spare: every file here, as with one processor
        os.close(answer_in)
        os.close(answer_out)
        return list(here(range(len(pending))).values())
    if pid == 0:  # the fork: never returns
        code = 1
        try:
            os.close(answer_in)
            os.close(to_run)  # the run must see the child's pipe close when the child dies
            given = [pending[i] for i in theirs]
            named = [(Path(job.shown), job.shown) for job in given]
            _send(answer_out, lambda: ("facts", _analysed(given, config, cache, parent), {}), named)
            code = 0
        finally:
            os._exit(code)
    os.close(answer_out)
    try:
        found = here(mine)
        answer = _read_answer(answer_in)
    finally:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
    if answer is not None and answer[0] == "error":
        raise answer[1]
    if answer is not None and len(answer[1]) == len(theirs):
        found.update(zip(theirs, answer[1], strict=True))
    else:  # the fork died: its half is analysed here
        found.update(here(theirs))
    return [found[index] for index in range(len(pending))]


def _analysed(
    pending: Sequence[Job], config: Config, cache: FactsCache | None, parent: int
) -> list[FileFacts]:
    """The fork's half, file by file; it stops as soon as its parent is gone (the run
    kills the child when it no longer needs its answer)."""
    from orgscope_lint.parallel import analyse

    facts = []
    for fact in analyse(pending, config, jobs=1, cache=cache):
        if os.getppid() != parent:
            os._exit(1)
        facts.append(fact)
    return facts


def _halves(pending: Sequence[Job]) -> tuple[list[int], list[int]]:
    """The jobs' indices in two groups of about equal text, the largest placed first."""
    groups: tuple[list[int], list[int]] = ([], [])
    sizes = [0, 0]
    for index in sorted(range(len(pending)), key=lambda i: -len(pending[i].source.text)):
        lighter = 0 if sizes[0] <= sizes[1] else 1
        groups[lighter].append(index)
        sizes[lighter] += len(pending[index].source.text)
    return groups
