"""Paths as the file system gives them: possibly looping, possibly not valid UTF-8.

POSIX file names are bytes. Python hands undecodable bytes over as lone surrogates
(`surrogateescape`), which `str.encode("utf-8")` refuses: everything that turns a path
into bytes goes through `os.fsencode`, and everything that shows one to a person or
writes it into UTF-8 output goes through `printable`.
"""

from __future__ import annotations

import os
from pathlib import Path


def resolved(path: Path) -> Path:
    """`path.resolve()`, or its absolute spelling when resolving fails (a symbolic link
    loop raises instead of resolving): the caller reports the file, never crashes."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return Path(os.path.abspath(path))


def printable(text: str) -> str:
    """`text` with each byte that is not valid UTF-8 shown as `\\xNN`: safe to encode."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raw = os.fsencode(text)
        return raw.decode("utf-8", "backslashreplace")
    return text
