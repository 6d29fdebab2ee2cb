"""A failure of the tool itself, kept apart from findings: CI must tell them apart.

An exception while one file is analysed or checked becomes an `InternalError` naming
that file, carrying the traceback as text (a worker's traceback does not survive the
trip back to the main process). The command line turns it into exit code 2 and one line
on stderr; `--verbose` adds the traceback.
"""

from __future__ import annotations

import traceback


class InternalError(Exception):
    """An exception raised by the tool's own code while it handled `path`."""

    def __init__(self, path: str, detail: str) -> None:
        super().__init__(path, detail)
        self.path = path
        self.detail = detail

    @classmethod
    def during(cls, path: str, exc: BaseException) -> InternalError:
        return cls(path, "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))

    def __str__(self) -> str:
        last = self.detail.strip().splitlines()[-1:] or ["unknown error"]
        return f"internal error while analysing {self.path}: {last[0]}"
