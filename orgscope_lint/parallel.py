"""Facts for many files: from the cache when their bytes are unchanged, else analysed,
in worker processes when there are enough of them to repay starting the workers.

Each file is read exactly once, here in the main process: its SHA-256 comes with the
read (`SourceText.digest`) and decides whether the cache has its facts. Only the misses
are analysed; a worker receives the text already read, parses it, keeps the facts and
drops the tree, so no process ever holds more than one syntax tree at a time.

Workers start with the `forkserver` method where it exists (Linux, BSD) and `spawn`
elsewhere (macOS, Windows): never a bare `fork` of a parent that may hold threads.
Both start fresh interpreters, so everything a worker needs arrives pickled: the
configuration once per worker (`_start_worker`), the jobs in chunks, and the function
they run is a top-level one of this module.

Workers never import from the analysed repository. A child interpreter started with
`-c` puts the working directory first on its import path, so a `signal.py` or `queue.py`
at the top of the checked repository would be imported (and run) by the workers. The
children are therefore started with `PYTHONSAFEPATH` set (Python 3.11+; from an empty
directory before that) and with an import path that holds neither `""` nor the working
directory. Each worker also watches its parent and exits when the parent is gone, so a
killed run leaves no process behind.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.connection
import os
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import TypeVar

from orgscope_lint import engine
from orgscope_lint.cache import FactsCache
from orgscope_lint.config import Config
from orgscope_lint.crash import InternalError
from orgscope_lint.facts import FileFacts
from orgscope_lint.sources import SourceText, Unreadable, read_source

# Below this many files to analyse, starting workers (about a quarter of a second before
# the first result) costs more than it saves: a pre-commit run on a few changed files
# stays in one process.
MIN_FILES_FOR_POOL = 30
# Chunks per worker: enough to even out files of unequal size, few enough that the
# per-chunk round trip stays negligible.
CHUNKS_PER_WORKER = 4


Progress = Callable[[int, int], None]
# `analyse`'s signature: (jobs to analyse, config, *, jobs=, cache=) -> their facts in order.
Analyser = Callable[..., Iterable[FileFacts]]
T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Job:
    """One file to analyse: its text was read (and hashed) by the main process."""

    shown: str
    source: SourceText


def collect_facts(
    files: Sequence[tuple[Path, str]],
    config: Config,
    *,
    jobs: int | None = None,
    cache: FactsCache | None = None,
    progress: Progress | None = None,
    digests: dict[str, str] | None = None,
    analyser: Analyser | None = None,
) -> list[FileFacts]:
    """Facts for each (path, display path), in the order given, whatever the workers do.

    `progress(done, total)` is called once per file: first for those the cache answers,
    then for each analysed one as its facts arrive. `digests`, when given, receives the
    SHA-256 of the bytes each readable file's facts come from, by display path.
    """
    tick = _counter(len(files), progress)
    results: list[FileFacts | None] = [None] * len(files)
    misses: list[tuple[int, Job]] = []
    for index, (path, shown) in enumerate(files):
        source = read_source(path)
        if digests is not None and not isinstance(source, Unreadable):
            digests[shown] = source.digest
        if isinstance(source, Unreadable):
            # Nothing to parse and nothing to hash: reported as it is, never cached.
            results[index] = engine.analyze_source(source, config, shown)
        elif cache is not None and (hit := cache.load(shown, source.digest)) is not None:
            results[index] = hit
        else:
            misses.append((index, Job(shown, source)))
            continue
        tick()
    analysed = (analyser or analyse)([job for _, job in misses], config, jobs=jobs, cache=cache)
    for (index, _), facts in zip(misses, analysed, strict=True):
        results[index] = facts
        tick()
    return [facts for facts in results if facts is not None]


def analyse(
    pending: Sequence[Job], config: Config, *, jobs: int | None, cache: FactsCache | None
) -> Iterator[FileFacts]:
    """Facts for each job, in order and as they come, stored in the cache on the way."""
    workers = _workers(jobs, len(pending))
    if workers < 2:
        yield from (_analyse_job(job, config, cache) for job in pending)
        return
    yield from _in_pool(_work, pending, workers, _start_worker, (config, cache))


def map_files(
    function: Callable[[T], R], items: Sequence[T], *, jobs: int | None = None
) -> list[R]:
    """`function` over `items` (one per file), in order, in worker processes when there
    are enough of them to repay starting the workers: for work on files other than the
    analysis (the fix edits of a JSON report). `function` must be a module-level one."""
    workers = _workers(jobs, len(items))
    if workers < 2:
        return [function(item) for item in items]
    return list(_in_pool(function, items, workers, _start_helper))


def _workers(jobs: int | None, items: int) -> int:
    """How many worker processes `items` files get; below 2, they stay in this one."""
    workers = min(jobs or default_jobs(), items)
    return workers if items >= MIN_FILES_FOR_POOL else 1


def _in_pool(
    function: Callable[[T], R],
    items: Sequence[T],
    workers: int,
    initializer: Callable[..., None],
    initargs: tuple = (),
) -> Iterator[R]:
    """`function` over `items` in `workers` isolated worker processes, each started by
    `initializer(*initargs)`; the results in order, as they come."""
    chunksize = max(1, -(-len(items) // (workers * CHUNKS_PER_WORKER)))
    # The pool's queues start the resource tracker, `map` (which submits eagerly) the
    # fork server and every worker: all of them start isolated.
    with _empty_directory() as empty:
        with isolated_children(empty):
            pool = ProcessPoolExecutor(
                max_workers=workers,
                mp_context=_context(),
                initializer=initializer,
                initargs=initargs,
            )
        with pool:
            with isolated_children(empty):
                results = pool.map(function, items, chunksize=chunksize)
            # `map` yields in submission order: the result does not depend on scheduling.
            yield from results


def default_jobs() -> int:
    """The processors this process may run on (an affinity mask or a container's cpuset
    can leave fewer than the machine has)."""
    counter = getattr(os, "process_cpu_count", None)  # Python 3.13+
    if counter is not None:
        return counter() or 1
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


@contextlib.contextmanager
def isolated_children(empty: str | None = None) -> Iterator[None]:
    """Child interpreters started inside this block import nothing from the working
    directory: not at start-up (`-c` puts it first on the path) nor later (the path they
    inherit from this process has it removed). `empty`, before Python 3.11, is the
    directory they start from instead."""
    saved_path = list(sys.path)
    saved_safe = os.environ.get("PYTHONSAFEPATH")
    saved_cwd = os.getcwd() if empty is not None else None
    sys.path[:] = sanitised_path(saved_path)
    os.environ["PYTHONSAFEPATH"] = "1"
    try:
        if empty is not None:
            os.chdir(empty)
        yield
    finally:
        if saved_cwd is not None:
            os.chdir(saved_cwd)
        sys.path[:] = saved_path
        if saved_safe is None:
            os.environ.pop("PYTHONSAFEPATH", None)
        else:
            os.environ["PYTHONSAFEPATH"] = saved_safe


def sanitised_path(path: Sequence[str]) -> list[str]:
    """`path` without the entries that mean the working directory, unless this package
    is installed from there (a checkout of orgscope-lint itself, not installed)."""
    cwd = os.path.realpath(os.getcwd())
    home = os.path.realpath(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    kept = []
    for entry in path:
        where = os.path.realpath(entry or os.curdir)
        if where == cwd and where != home:
            continue
        kept.append(entry)
    return kept


@contextlib.contextmanager
def _empty_directory() -> Iterator[str | None]:
    """Before Python 3.11 nothing keeps `-c` from importing the working directory: the
    children start from an empty one, kept until the pool is shut down (a worker enters
    its start directory as it starts)."""
    if sys.version_info >= (3, 11):
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="orgscope-") as empty:
        yield empty


def _counter(total: int, progress: Progress | None) -> Callable[[], None]:
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    return tick


def _analyse_job(job: Job, config: Config, cache: FactsCache | None) -> FileFacts:
    try:
        facts = engine.analyze_source(job.source, config, job.shown)
    except Exception as exc:  # a bug of the tool: named after the file, exit code 2
        raise InternalError.during(job.shown, exc) from None
    if cache is not None:
        cache.store(job.shown, job.source.digest, facts)
    return facts


# --- worker side: module-level, so that a freshly started interpreter can import it ---

_worker_config: Config | None = None
_worker_cache: FactsCache | None = None


def _start_worker(config: Config, cache: FactsCache | None) -> None:
    global _worker_config, _worker_cache
    _worker_config, _worker_cache = config, cache
    _start_helper()


def _start_helper() -> None:
    engine.tune_collector()
    parent = multiprocessing.parent_process()
    if parent is not None and parent.sentinel is not None:
        watch = threading.Thread(target=_exit_with, args=(parent.sentinel,), daemon=True)
        watch.start()


def _exit_with(sentinel: int) -> None:
    """Exit as soon as the parent is gone: its end of this pipe closes when it dies,
    however it dies (SIGKILL included), while queued chunks would keep a worker busy."""
    multiprocessing.connection.wait([sentinel])
    os._exit(1)


def _work(job: Job) -> FileFacts:
    assert _worker_config is not None, "worker used before _start_worker"
    return _analyse_job(job, _worker_config, _worker_cache)


def _context() -> BaseContext:
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        # The server imports the analysis once; each worker is a fork of that warm
        # interpreter instead of importing LibCST again. The server skips `__main__` (a
        # test runner, an embedding program); workers still import it, as under
        # `spawn`, so an entry script needs the usual `if __name__ == "__main__"` guard.
        context.set_forkserver_preload([__name__])
        return context
    return multiprocessing.get_context("spawn")
