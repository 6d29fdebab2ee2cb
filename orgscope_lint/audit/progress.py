"""A progress bar on stderr while a large repository is scanned.

Only on a terminal and only past `THRESHOLD` files: a pipe, a CI log or a small project
gets no bar at all. The engine calls `ProgressBar` after each file with (done, total).
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

THRESHOLD = 300


class ProgressBar:
    def __init__(self, stream: TextIO | None = None, threshold: int = THRESHOLD) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.threshold = threshold
        # Started on the first call that needs it: rich.progress is imported only then.
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self._off = False  # decided on the first call: no bar for this run

    def wanted(self, total: int) -> bool:
        return total > self.threshold and _is_terminal(self.stream)

    def __call__(self, done: int, total: int) -> None:
        if self._off:
            return
        if self._progress is None:
            if not self.wanted(total):
                self._off = True
                return
            self._progress, self._task = _start(self.stream, total)
        if self._task is not None:
            self._progress.update(self._task, completed=done)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _start(stream: TextIO, total: int) -> tuple[Progress, TaskID]:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    progress = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(file=stream),
        transient=True,
    )
    progress.start()
    return progress, progress.add_task("scanning", total=total)


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
