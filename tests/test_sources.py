from __future__ import annotations

import ast
import errno
import hashlib
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from orgscope_lint import sources
from orgscope_lint.sources import (
    SourceText,
    Unreadable,
    decode_source,
    parse_python,
    read_source,
)


def decoded(data: bytes) -> SourceText:
    result = decode_source(data)
    assert isinstance(result, SourceText), result
    return result


def refused(result: object) -> Unreadable:
    assert isinstance(result, Unreadable), result
    return result


# -- decoding -------------------------------------------------------------------------


def test_latin1_coding_cookie_is_honoured() -> None:
    source = decoded(b"# -*- coding: latin-1 -*-\nname = 'caf\xe9'\n")
    assert "name = 'café'" in source.text
    assert source.encoding == "iso-8859-1"


def test_coding_cookie_on_the_second_line_after_a_shebang() -> None:
    source = decoded(b"#!/usr/bin/env python\n# vim: set fileencoding=cp1252 :\ns = '\x80'\n")
    assert "s = '€'" in source.text


def test_undecodable_bytes_without_cookie_name_the_line() -> None:
    problem = refused(decode_source(b"x = 1\ny = 2\nz = '\xff'\n"))
    assert problem.message == "cannot decode as utf-8 (byte 0xff at line 3)"
    assert (problem.line, problem.column) == (3, 6)


def test_bytes_undecodable_in_the_declared_encoding() -> None:
    problem = refused(decode_source(b"# coding: cp1252\n\nx = '\x81'\n"))
    assert problem.message == "cannot decode as cp1252 (byte 0x81 at line 3)"
    assert problem.line == 3


def test_unknown_encoding_names_the_cookie_line() -> None:
    problem = refused(decode_source(b"#!/usr/bin/env python\n# coding: klingon\nx = 1\n"))
    assert problem.message == "unknown encoding 'klingon' in coding declaration"
    assert problem.line == 2


def test_cookie_naming_a_non_text_codec_is_refused() -> None:
    problem = refused(decode_source(b"# coding: rot13\nx = 1\n"))
    assert "unsupported encoding 'rot13'" in problem.message


def test_utf8_bom_is_stripped_and_recorded() -> None:
    source = decoded(b"\xef\xbb\xbfname = 'caf\xc3\xa9'\n")
    assert source.text == "name = 'café'\n"
    assert source.encoding == "utf-8-sig"
    assert isinstance(parse_python(source.text), ast.Module)


def test_bom_with_a_conflicting_cookie_is_refused() -> None:
    problem = refused(decode_source(b"\xef\xbb\xbf# coding: latin-1\nx = 1\n"))
    assert "byte order mark" in problem.message


def test_bad_byte_after_a_bom_is_located_in_the_file() -> None:
    problem = refused(decode_source(b"\xef\xbb\xbfx = 1\ny = '\xff'\n"))
    assert (problem.line, problem.column) == (2, 6)


def test_nul_bytes_are_refused_with_their_position() -> None:
    problem = refused(decode_source(b"x = 1\ny = \x00\n"))
    assert problem.message == "contains NUL bytes"
    assert (problem.line, problem.column) == (2, 5)


def test_line_endings_are_preserved_exactly() -> None:
    data = b"x = 1\r\ny = 2\r\nz = 3\rw = 4\n"
    assert decoded(data).text == data.decode("ascii")


def test_digest_is_sha256_of_the_raw_bytes() -> None:
    plain, with_bom = b"x = 1\n", b"\xef\xbb\xbfx = 1\n"
    assert decoded(plain).digest == hashlib.sha256(plain).hexdigest()
    assert decoded(with_bom).digest == hashlib.sha256(with_bom).hexdigest()
    assert decoded(plain).text == decoded(with_bom).text


def test_empty_file_is_valid_python() -> None:
    source = decoded(b"")
    assert source.text == ""
    assert isinstance(parse_python(source.text), ast.Module)


# -- parsing ----------------------------------------------------------------------------


def test_syntax_error_carries_cpython_message_and_position() -> None:
    problem = refused(parse_python("x = 1\nif x\n    pass\n"))
    assert problem.message == "syntax error: expected ':'"
    assert (problem.line, problem.column) == (2, 5)


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="3.12 parses nested f-string quotes")
def test_newer_syntax_names_the_interpreter_that_cannot_read_it() -> None:
    problem = refused(parse_python("print(f\"{d.get('k', f'{e['n']}')}\")\n"))
    assert problem.message.startswith(f"Python 3.{sys.version_info.minor}, which runs")
    assert "f-string" in problem.message and "project's interpreter" in problem.message


def test_invalid_syntax_for_every_grammar_is_a_plain_syntax_error() -> None:
    problem = refused(parse_python("def f(:\n    pass\n"))
    assert problem.message.startswith("syntax error: ")


def test_parse_returns_the_module_for_valid_code() -> None:
    tree = parse_python("def f(org_id):\n    return org_id\n")
    assert isinstance(tree, ast.Module)
    assert isinstance(tree.body[0], ast.FunctionDef)


_PATHOLOGICAL = {
    "parentheses": '"x = " + "(" * 5000 + "1" + ")" * 5000',
    "chained_plus": '" + ".join(["a"] * 50000)',
}


# In a child process: if the gate let this through to a crash, only the child dies. The
# file goes the way every file goes (decode, then analyse); that LibCST, the parser that
# crawls or crashes on such input, is never even imported is what makes the refusal cheap.
_ANALYSE_IN_CHILD = """\
import sys
from orgscope_lint.config import Config
from orgscope_lint.engine import analyze_source
from orgscope_lint.sources import decode_source
facts = analyze_source(decode_source(({expression}).encode()), Config(), "x.py")
print(facts.error.message if facts.error else "parsed", "libcst" in sys.modules)
"""


def _analyse_in_child(expression: str) -> str:
    program = _ANALYSE_IN_CHILD.format(expression=expression)
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.parametrize("expression", _PATHOLOGICAL.values(), ids=_PATHOLOGICAL.keys())
def test_pathological_nesting_is_refused_without_reaching_libcst(expression: str) -> None:
    message, libcst_loaded = _analyse_in_child(expression).rsplit(" ", 1)
    assert "nested" in message
    assert libcst_loaded == "False"


def test_the_child_process_sees_libcst_load_for_code_worth_analysing() -> None:
    # The control for the test above: the same probe reports LibCST when it does run.
    source = "'def f(db):\\n    db.select(\"calls\", {})\\n'"
    assert _analyse_in_child(source) == "parsed True"


def test_nesting_cpython_accepts_but_libcst_would_crawl_through_is_refused() -> None:
    text = "total = " + " + ".join(["a"] * 2000) + "\n"
    problem = refused(parse_python(text))
    assert problem.message.startswith(sources.TOO_DEEP)
    assert problem.line == 1
    assert isinstance(parse_python(text, max_depth=5000), ast.Module)


# Depths around the limit that only some nodes reach: a `pass` or a comparison's
# operators (leaves without fields, in a list) one level below the rest.
_NESTED = [
    "if a:\n    if b:\n        pass\n",
    "x = a < b\n",
    "x = f(g(h(1)), [k for k in y])\n",
    "def f(a=1, *b, c: int = 2):\n    return {a: [b, c]}\n",
]


@pytest.mark.parametrize("text", _NESTED)
def test_the_shared_walk_counts_depth_as_the_depth_walk_does(text: str) -> None:
    from orgscope_lint.analysis.child_nodes import walk_within
    from orgscope_lint.analysis.system_context import _walk_breadth

    tree = ast.parse(text)
    for limit in range(12):
        assert (walk_within(tree, limit) is None) == (sources._too_deep_at(tree, limit) is not None)
    assert walk_within(tree, 12) == list(_walk_breadth(tree))


def test_ordinary_nesting_is_accepted() -> None:
    text = "x = " + "[" * 150 + "]" * 150 + "\n" + "y = " + " + ".join(["a"] * 300) + "\n"
    assert isinstance(parse_python(text), ast.Module)


def test_nul_character_in_text_is_refused() -> None:
    assert refused(parse_python("x = 1\x00\n")).message == "contains NUL bytes"


def test_lone_surrogate_is_refused_not_raised() -> None:
    assert refused(parse_python("x = '\ud800'\n")).message.startswith("cannot parse")


def test_parse_prints_no_syntax_warnings(capsys: pytest.CaptureFixture[str]) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tree = parse_python("pattern = '\\d+'\n")
    assert isinstance(tree, ast.Module)
    assert caught == []
    assert capsys.readouterr().err == ""


# -- reading files ---------------------------------------------------------------------


def test_read_source_matches_decode_source(tmp_path: Path) -> None:
    data = b"# coding: latin-1\r\nname = 'caf\xe9'\r\n"
    path = tmp_path / "legacy.py"
    path.write_bytes(data)
    assert read_source(path) == decode_source(data)


def test_missing_file(tmp_path: Path) -> None:
    assert refused(read_source(tmp_path / "gone.py")).message == "no such file or directory"


def test_directory(tmp_path: Path) -> None:
    (tmp_path / "pkg.py").mkdir()
    assert refused(read_source(tmp_path / "pkg.py")).message == "is a directory"


def test_broken_symlink(tmp_path: Path) -> None:
    link = tmp_path / "link.py"
    link.symlink_to(tmp_path / "missing.py")
    assert refused(read_source(link)).message == "broken symbolic link"


def test_symlink_loop(tmp_path: Path) -> None:
    link = tmp_path / "loop.py"
    link.symlink_to(link)
    assert refused(read_source(link)).message == "symbolic link loop"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_named_pipe_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.py"
    os.mkfifo(fifo)
    assert refused(read_source(fifo)).message == "not a regular file"


def test_file_over_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "generated.py"
    with path.open("wb") as handle:  # sparse: the size is what matters
        handle.truncate(int(12.3 * 1024 * 1024))
    assert refused(read_source(path)).message == "file too large (12.3 MB > 10 MB limit)"


def test_small_limit_is_reported_in_bytes(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_bytes(b"x = 12345\n")
    assert refused(read_source(path, max_bytes=8)).message == (
        "file too large (10 bytes > 8 bytes limit)"
    )
    assert isinstance(read_source(path, max_bytes=10), SourceText)


def test_file_that_grew_after_fstat_is_still_capped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "growing.py"
    path.write_bytes(b"x = 1234567890\n")
    real_fstat = os.fstat

    def stale_fstat(fd: int) -> os.stat_result:
        fields = list(real_fstat(fd))
        fields[6] = 1  # st_size as it was a moment ago
        return os.stat_result(fields)

    monkeypatch.setattr(sources.os, "fstat", stale_fstat)
    problem = refused(read_source(path, max_bytes=4))
    assert problem.message == "file too large (over the 4 bytes limit)"


def test_permission_denied_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "secret.py"
    path.write_text("x = 1\n")

    def refuse(*args: object) -> int:
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    # Root can read anything, so the refusal is simulated at the system call.
    monkeypatch.setattr(sources.os, "open", refuse)
    assert refused(read_source(path)).message == "permission denied"


def test_unreadable_file_on_disk(tmp_path: Path) -> None:
    path = tmp_path / "secret.py"
    path.write_text("x = 1\n")
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):
            pytest.skip("running with privileges that read any file")
        assert refused(read_source(path)).message == "permission denied"
    finally:
        path.chmod(0o644)
