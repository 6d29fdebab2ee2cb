"""A child process that analyses a partial run's few files while the run reads the
summary index of the rest of the project.

A partial run (a pre-commit hook's files, a pull request's changed files) spends most of
its time in two steps that need nothing of each other: analysing its files (LibCST's
import, then some 25 ms a file) and reading every other file's summaries (one large
cache entry). On a machine with two processors they can run at once: the run forks an
`Aside`, which imports the analysis (a pull request run forks it as it starts, so that
this overlaps the walk of the project), then collects the facts of the files it is sent
while the run reads the index.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from orgscope_lint.config import Config
from orgscope_lint.crash import InternalError
from orgscope_lint.facts import FileFacts

if TYPE_CHECKING:
    from orgscope_lint.cache import FactsCache


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
        chunks = []
        with contextlib.suppress(OSError), open(self.answer_in, "rb", closefd=True) as pipe:
            self.answer_in = None
            while chunk := pipe.read(1 << 20):
                chunks.append(chunk)
        self._reap()
        try:
            # Written by our own child, through a pipe nothing else holds.
            answer = pickle.loads(b"".join(chunks))
        except Exception:  # cut short: the child was killed
            return None
        return answer if isinstance(answer, tuple) and len(answer) == 3 else None

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
        try:
            facts = _collect(files, config, cache=cache, digests=digests)
            answer: tuple = ("facts", facts, digests)
        except BaseException as exc:  # every one goes back to the parent
            answer = ("error", _portable(exc, files), {})
        with open(answer_out, "wb", closefd=True) as pipe:
            pipe.write(pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL))
        code = 0
    finally:
        os._exit(code)


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
) -> list[FileFacts]:
    from orgscope_lint.parallel import collect_facts

    return collect_facts(files, config, cache=cache, digests=digests)
