"""Reading one file into text, and deciding whether it is safe to hand to LibCST.

Nothing here raises for a bad file: every problem becomes an `Unreadable` value that the
caller reports as ORG000, so one odd file never stops a run over a repository.
"""

from __future__ import annotations

import ast
import codecs
import errno
import hashlib
import io
import os
import re
import stat
import sys
import tokenize
import warnings
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MAX_BYTES = 10 * 1024 * 1024

# CPython accepts expressions nested about 3,000 levels deep, but LibCST's parser slows
# down quadratically well before that (a 3,000-term `a + a + ...` takes seconds, 1,000
# terms a tenth of that). Hand-written code stays far below this bound.
MAX_NESTING = 1000

TOO_DEEP = "too deeply nested to analyse"

_UTF8_BOM = codecs.BOM_UTF8
# PEP 263: the declaration must be a comment on line 1 or 2.
_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")
# Opening a FIFO for reading would otherwise wait for a writer forever.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)


@dataclass(frozen=True, slots=True)
class SourceText:
    text: str  # exactly as written (newlines untouched), without a byte order mark
    encoding: str  # as tokenize names it: "utf-8", "utf-8-sig" when a BOM was present, ...
    digest: str  # sha256 hex of the raw bytes: the cache key for everything derived


@dataclass(frozen=True, slots=True)
class Unreadable:
    """Why a file cannot be analysed, as a sentence for the user, and where (1-based)."""

    message: str
    line: int = 1
    column: int = 1


# Longest first: the UTF-32 little-endian mark begins with the UTF-16 one.
_TEXT_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def text_encoding(data: bytes) -> str:
    """How a file that is not Python (a SQL migration) is encoded: as its byte order
    mark says, which Windows editors write for UTF-16, else UTF-8."""
    return next((codec for bom, codec in _TEXT_BOMS if data.startswith(bom)), "utf-8")


def read_source(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> SourceText | Unreadable:
    """Read and decode `path`; any I/O or decoding problem comes back as `Unreadable`."""
    data = _read_bytes(path, max_bytes)
    if isinstance(data, Unreadable):
        return data
    return decode_source(data)


def decode_source(data: bytes) -> SourceText | Unreadable:
    """Decode bytes the way CPython would: PEP 263 cookie, UTF-8 BOM, else UTF-8."""
    digest = hashlib.sha256(data).hexdigest()
    nul = data.find(b"\x00")
    if nul >= 0:
        line, column = _position(data, nul)
        return Unreadable("contains NUL bytes", line, column)
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        return _declaration_problem(data, str(exc.msg or exc))
    text = _decode(data, encoding)
    if isinstance(text, Unreadable):
        return text
    return SourceText(text=text, encoding=encoding, digest=digest)


def parse_python(text: str, *, max_depth: int = MAX_NESTING) -> ast.Module | Unreadable:
    """Parse with CPython first: the gate that keeps hostile input away from LibCST.

    LibCST's native parser can crash the process or run for minutes on deeply nested
    code, which CPython refuses cheaply. Code CPython accepts but that nests deeper than
    `max_depth` is refused too, because LibCST would take seconds on it.
    """
    parsed = parse_python_walked(text, max_depth=max_depth)
    return parsed if isinstance(parsed, Unreadable) else parsed[0]


def parse_python_walked(
    text: str, *, max_depth: int = MAX_NESTING
) -> tuple[ast.Module, list[ast.AST]] | Unreadable:
    """`parse_python`, and every node of the tree as `walk_within` lists them: the
    depth check walks them all anyway, and the analysis walks them again."""
    from orgscope_lint.analysis.child_nodes import walk_within

    try:
        with warnings.catch_warnings():
            # Invalid escape sequences and the like would print SyntaxWarnings on stderr.
            warnings.simplefilter("ignore")
            tree = ast.parse(text)
    except SyntaxError as exc:
        return _syntax_problem(exc, text)
    except (RecursionError, MemoryError):
        return Unreadable(TOO_DEEP)
    except ValueError as exc:
        # Python 3.11 raises ValueError for NUL characters; 3.12+ a SyntaxError.
        return Unreadable(_null_or(str(exc)))
    except Exception as exc:  # e.g. UnicodeEncodeError on a lone surrogate: never crash
        return Unreadable(f"cannot parse: {exc}")
    nodes = walk_within(tree, max_depth)
    if nodes is None:  # where: the first node the depth walk below meets too deep
        line, column = _too_deep_at(tree, max_depth) or (1, 1)
        return Unreadable(f"{TOO_DEEP} (nesting deeper than {max_depth} levels)", line, column)
    return tree, nodes


def _read_bytes(path: Path, max_bytes: int) -> bytes | Unreadable:
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        return Unreadable(_os_problem(exc, path))
    try:
        # fstat on the open descriptor: what we read is what we checked.
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            return Unreadable("is a directory")
        if not stat.S_ISREG(info.st_mode):
            return Unreadable("not a regular file")
        if info.st_size > max_bytes:
            return Unreadable(_too_large(info.st_size, max_bytes))
        # One byte more than allowed tells a file that grew since fstat.
        data = _read_up_to(fd, max_bytes + 1)
    except OSError as exc:
        return Unreadable(_os_problem(exc, path))
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        return Unreadable(f"file too large (over the {_size(max_bytes)} limit)")
    return data


def _read_up_to(fd: int, limit: int) -> bytes:
    chunks: list[bytes] = []
    remaining = limit
    while remaining > 0:
        chunk = os.read(fd, min(remaining, 1024 * 1024))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _os_problem(exc: OSError, path: Path) -> str:
    code = exc.errno
    if code == errno.ENOENT:
        return "broken symbolic link" if os.path.islink(path) else "no such file or directory"
    if code in (errno.EACCES, errno.EPERM):
        # Windows refuses to open a directory with a permission error.
        return "is a directory" if os.path.isdir(path) else "permission denied"
    if code == errno.EISDIR:
        return "is a directory"
    if code == errno.ELOOP:
        return "symbolic link loop"
    if code == errno.ENAMETOOLONG:
        return "file name too long"
    reason = exc.strerror or str(exc)
    return f"cannot read file: {reason[:1].lower()}{reason[1:]}"


def _too_large(size: int, limit: int) -> str:
    return f"file too large ({_size(size)} > {_size(limit)} limit)"


def _size(count: int) -> str:
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if count >= scale:
            return f"{count / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{count} bytes"


def _declaration_problem(data: bytes, reason: str) -> Unreadable:
    """Turn tokenize's complaint about the first two lines into a located message."""
    cookie_line = _cookie_line(data)
    if reason.startswith("unknown encoding"):
        name = reason.partition(":")[2].strip()
        return Unreadable(f"unknown encoding {name!r} in coding declaration", cookie_line)
    if reason.startswith("encoding problem"):
        return Unreadable(
            "coding declaration conflicts with the UTF-8 byte order mark", cookie_line
        )
    # "invalid or missing encoding declaration": the first lines are not UTF-8.
    decoded = _decode(data, "utf-8")
    if isinstance(decoded, Unreadable):
        return decoded
    return Unreadable(f"invalid coding declaration: {reason}", cookie_line)  # pragma: no cover


def _cookie_line(data: bytes) -> int:
    for number, line in enumerate(data.splitlines()[:2], start=1):
        if _COOKIE.match(line):
            return number
    return 1


def _decode(data: bytes, encoding: str) -> str | Unreadable:
    # Decode UTF-8 after the BOM ourselves so error offsets count from the file start.
    skip = len(_UTF8_BOM) if encoding == "utf-8-sig" and data.startswith(_UTF8_BOM) else 0
    codec = "utf-8" if encoding == "utf-8-sig" else encoding
    try:
        return data[skip:].decode(codec)
    except UnicodeDecodeError as exc:
        where = skip + exc.start
        line, column = _position(data, where)
        byte = data[where : where + 1].hex()
        return Unreadable(f"cannot decode as {codec} (byte 0x{byte} at line {line})", line, column)
    except LookupError:
        # A cookie naming a bytes-to-bytes codec such as `hex` or `rot13`.
        return Unreadable(f"unsupported encoding {encoding!r} in coding declaration")
    except Exception as exc:  # a third-party codec may fail any way it likes
        return Unreadable(f"cannot decode as {codec}: {exc}")


def _position(data: bytes, offset: int) -> tuple[int, int]:
    line = data.count(b"\n", 0, offset) + 1
    column = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    return line, column


def _syntax_problem(exc: SyntaxError, text: str) -> Unreadable:
    message = exc.msg or "invalid syntax"
    if "null bytes" in message:
        return Unreadable("contains NUL bytes")
    line = exc.lineno if exc.lineno and exc.lineno > 0 else 1
    column = exc.offset if exc.offset and exc.offset > 0 else 1
    if message.startswith("f-string") and _newer_grammar(text):
        # A hook or CI job on an older interpreter than the project's (a 3.12 f-string
        # nesting quotes, read by 3.11) otherwise leaves the user with a bare "syntax error".
        version = f"{sys.version_info.major}.{sys.version_info.minor}"
        message = (
            f"Python {version}, which runs orgscope-lint, cannot parse this ({message}); "
            "LibCST can, so it may be syntax of a newer Python: run orgscope-lint with the "
            "project's interpreter"
        )
        return Unreadable(message, line, column)
    return Unreadable(f"syntax error: {message}", line, column)


def _newer_grammar(text: str) -> bool:
    """LibCST's grammar, which knows every Python version it supports, accepts `text`.
    Asked only of an f-string CPython refused (3.12 let f-strings nest any quotes), never
    of other refusals: a nesting too deep for CPython is one LibCST crawls through."""
    import libcst

    try:
        libcst.parse_module(text)
    except Exception:  # its ParserSyntaxError, or anything else: no claim either way
        return False
    return True


def _null_or(message: str) -> str:
    return "contains NUL bytes" if "null bytes" in message else f"cannot parse: {message}"


# Names and constants: four nodes in ten, whose fields hold no node.
_NO_CHILDREN = frozenset({ast.Name, ast.Constant})


def _too_deep_at(tree: ast.AST, limit: int) -> tuple[int, int] | None:
    """Where the tree first nests deeper than `limit`, if it does: asked only once
    `walk_within` has found that it does.

    An explicit stack, because recursing here would hit the very limit being checked;
    operator and context leaves (no fields) are never pushed.
    """
    stack: list[tuple[ast.AST, int]] = [(tree, 0)]
    pop, push = stack.pop, stack.append
    while stack:
        node, depth = pop()
        if depth > limit:
            return _first_position(node)
        if node.__class__ in _NO_CHILDREN:
            continue
        depth += 1
        for name in node._fields:
            value = getattr(node, name, None)
            if value.__class__ is list:
                for item in value:
                    if isinstance(item, ast.AST):
                        push((item, depth))
            elif isinstance(value, ast.AST) and value._fields:
                push((value, depth))
    return None


def _first_position(node: ast.AST) -> tuple[int, int]:
    # `arguments`, `comprehension` and a few others carry no position of their own.
    for candidate in ast.walk(node):
        line = getattr(candidate, "lineno", None)
        if line is not None:
            return line, getattr(candidate, "col_offset", 0) + 1
    return 1, 1
