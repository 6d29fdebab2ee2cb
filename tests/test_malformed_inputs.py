"""The malformed-input matrix: odd paths, names, configurations and files, each a clear
message or an ORG000 finding and a documented exit code, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CliResult, run_cli

from orgscope_lint.cache import CACHE_DIR_NAME
from orgscope_lint.config import project_root

FAULTY = 'def get_call(db, call_id):\n    return db.select("calls", {"id": call_id})\n'
MIGRATION = "create table calls (id uuid primary key, clerk_org_id text not null);\n"
POSIX_ONLY = pytest.mark.skipif(sys.platform == "win32", reason="POSIX file names")


def assert_no_crash(result: CliResult) -> None:
    assert "Traceback" not in result.stderr
    assert result.exit_code in (0, 1, 2), result.stderr


def codes(result: CliResult) -> list[str]:
    return [f["code"] for f in json.loads(result.stdout)["findings"]]


# -- paths named on the command line ----------------------------------------------------------


def test_a_path_that_does_not_exist_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli(["check", "no/such/dir"], tmp_path)

    assert result.exit_code == 2
    assert "no/such/dir" in result.stderr
    assert "no such file or directory" in result.stderr
    assert not (tmp_path / CACHE_DIR_NAME).exists()


def test_audit_of_a_path_that_does_not_exist_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli(["audit", "missing"], tmp_path)
    assert result.exit_code == 2
    assert "missing" in result.stderr


def test_the_project_root_is_never_above_the_paths_given(tmp_path: Path) -> None:
    outer = tmp_path / "outer"
    (outer / "migrations").mkdir(parents=True)
    (outer / "migrations" / "001.sql").write_text(MIGRATION, encoding="utf-8")
    (outer / "sub").mkdir()
    (outer / "sub" / "app.py").write_text(FAULTY, encoding="utf-8")
    if project_root(outer / "sub") != (outer / "sub").resolve() and any(
        (parent / marker).exists()
        for parent in outer.resolve().parents
        for marker in ("pyproject.toml", "setup.py", "setup.cfg", ".git")
    ):
        pytest.skip("the temporary directory lies inside a project")

    result = run_cli(["check", "sub", "-v", "--output-format", "json"], outer)

    assert_no_crash(result)
    assert not (outer / CACHE_DIR_NAME).exists(), "cache written above the path given"
    assert (outer / "sub" / CACHE_DIR_NAME).is_dir()
    assert "001.sql" not in result.stderr, "migrations above the path given were replayed"


@POSIX_ONLY
def test_a_symlink_loop_named_as_an_argument_is_reported_like_a_walked_one(
    tmp_path: Path,
) -> None:
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    (tmp_path / "loop.py").symlink_to("loop.py")

    for extra in ([], ["--no-cache"]):
        result = run_cli(["check", "loop.py", "--output-format", "json", *extra], tmp_path)
        assert_no_crash(result)
        assert result.exit_code == 1
        assert codes(result) == ["ORG000"]
        assert "loop" in json.loads(result.stdout)["findings"][0]["message"]


# -- file names that are not UTF-8 --------------------------------------------------------------


@POSIX_ONLY
@pytest.mark.parametrize("output_format", ["text", "json", "sarif", "gitlab", "github", "junit"])
def test_a_file_name_that_is_not_utf8_is_reported_escaped(
    tmp_path: Path, output_format: str
) -> None:
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    name = os.fsdecode(b"calls_\xff.py")
    try:
        (tmp_path / name).write_text(FAULTY, encoding="utf-8")
    except (OSError, UnicodeEncodeError):
        pytest.skip("the file system refuses names that are not UTF-8")

    for _ in ("cold", "warm"):
        result = run_cli(["check", ".", "--output-format", output_format], tmp_path)
        assert_no_crash(result)
        assert result.exit_code == 1
        # SARIF holds a URI: the escape's backslash is percent-encoded there.
        escaped = "calls_%5Cxff.py" if output_format == "sarif" else "calls_\\xff.py"
        assert escaped in result.stdout.replace("\\\\", "\\")
        if output_format in ("json", "sarif", "gitlab"):
            json.loads(result.stdout)


# -- configuration ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "key", "pattern"),
    [
        ('schema = ["[z-a].sql"]', "schema", "[z-a].sql"),
        ("exclude = ['a\\']", "exclude", "a\\"),
        ("extend-exclude = ['a\\']", "extend-exclude", "a\\"),
    ],
)
def test_an_invalid_glob_is_a_configuration_error(
    tmp_path: Path, line: str, key: str, pattern: str
) -> None:
    (tmp_path / "orgscope.toml").write_text(line + "\n", encoding="utf-8")
    (tmp_path / "app.py").write_text(FAULTY, encoding="utf-8")

    result = run_cli(["check", "."], tmp_path)

    assert result.exit_code == 2
    assert "orgscope.toml" in result.stderr
    assert f"`{key}`" in result.stderr
    assert repr(pattern) in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "line",
    ['schema = ["migrations/[[]*.sql"]', 'exclude = ["web/[[...path]].py"]'],
)
@pytest.mark.filterwarnings("error")
def test_a_glob_python_warns_about_is_neither_warning_nor_error(tmp_path: Path, line: str) -> None:
    # `[[` reads as a nested set to Python's regex parser, which warns (an error under
    # `-W error`, as here); as a glob it is a bracket expression like any other.
    (tmp_path / "orgscope.toml").write_text(line + "\n", encoding="utf-8")
    (tmp_path / "app.py").write_text(FAULTY, encoding="utf-8")

    result = run_cli(["check", "."], tmp_path)

    assert result.exit_code == 1, result.stderr
    assert "Warning" not in result.stderr


@pytest.mark.parametrize(
    ("args", "config", "hint"),
    [
        (["--select", "ORG999"], "", "ORG009"),
        (["--select", "ORG001,ORG0011"], "", "ORG011"),
        (["--ignore", "FOO"], "", None),
        ([], 'select = ["ORG00X"]\n', None),
        ([], 'ignore = ["ORG1000"]\n', "ORG100"),
        ([], 'per-file-ignores = { "x" = ["ORG999"] }\n', "ORG009"),
    ],
)
def test_an_unknown_rule_code_is_a_usage_error(
    tmp_path: Path, args: list[str], config: str, hint: str | None
) -> None:
    (tmp_path / "orgscope.toml").write_text(config, encoding="utf-8")
    (tmp_path / "app.py").write_text(FAULTY, encoding="utf-8")

    result = run_cli(["check", ".", *args], tmp_path)

    assert result.exit_code == 2, result.stdout
    assert "unknown rule code" in result.stderr
    if hint is not None:
        assert f"did you mean `{hint}`" in result.stderr


@pytest.mark.parametrize(
    "args", [["--select", "ORG0"], ["--select", "org001"], ["--ignore", "ORG1", "--select", "ORG"]]
)
def test_codes_and_prefixes_that_name_rules_are_accepted(tmp_path: Path, args: list[str]) -> None:
    (tmp_path / "app.py").write_text(FAULTY, encoding="utf-8")

    result = run_cli(["check", ".", "--output-format", "json", *args], tmp_path)

    assert result.exit_code == 1, result.stderr
    assert codes(result) == ["ORG001"]


# -- the tool's own failures -------------------------------------------------------------------


def _raise(*args: object, **options: object) -> None:
    raise KeyError("receiver")


@pytest.mark.parametrize("where", ["analysis", "rule"])
def test_an_internal_error_exits_2_naming_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    from orgscope_lint import engine
    from orgscope_lint.rules import ALL_RULES

    if where == "analysis":
        monkeypatch.setattr(engine, "analyze_module", _raise)
    else:
        monkeypatch.setattr(ALL_RULES[1], "check", _raise)
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    (tmp_path / "app.py").write_text(FAULTY, encoding="utf-8")

    quiet = run_cli(["check", ".", "--no-cache"], tmp_path)
    verbose = run_cli(["check", ".", "--no-cache", "--verbose"], tmp_path)

    assert quiet.exit_code == 2
    assert quiet.stderr.count("\n") == 1
    assert "app.py" in quiet.stderr and "--verbose" in quiet.stderr
    assert "Traceback" not in quiet.stderr
    assert verbose.exit_code == 2
    assert "Traceback" in verbose.stderr and "KeyError" in verbose.stderr


# -- migrations that cannot be replayed ----------------------------------------------------------


def unreadable_migrations(migrations: Path) -> list[str]:
    """A binary file always; a FIFO and a symbolic link loop where the system has them."""
    made = ["001_binary.sql"]
    (migrations / made[0]).write_bytes(b"create table \xff\xfe calls (\x00\x01);\n")
    if hasattr(os, "mkfifo"):
        os.mkfifo(migrations / "002_fifo.sql")
        (migrations / "003_loop.sql").symlink_to("003_loop.sql")
        made += ["002_fifo.sql", "003_loop.sql"]
    return made


@pytest.mark.parametrize("output_format", ["json", "sarif"])
def test_unreadable_migrations_are_reported_and_never_turn_the_analysis_off(
    tmp_path: Path, output_format: str
) -> None:
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    bad = unreadable_migrations(migrations)
    (tmp_path / "app.py").write_text(FAULTY, encoding="utf-8")

    result = run_cli(["check", ".", "--output-format", output_format], tmp_path)

    assert_no_crash(result)
    assert result.exit_code == 1
    for name in bad:
        assert f"migrations/{name}" in result.stdout
        assert f"migrations/{name}" in result.stderr
    if output_format == "json":
        found = json.loads(result.stdout)["findings"]
        assert sorted(f["code"] for f in found) == ["ORG000"] * len(bad) + ["ORG001"]


def test_a_readable_migration_still_defines_the_model(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    (migrations / "000_init.sql").write_text(
        MIGRATION + "create table plans (id uuid primary key);\n", encoding="utf-8"
    )
    bad = unreadable_migrations(migrations)
    (tmp_path / "app.py").write_text(
        FAULTY + '\n\ndef plans(db):\n    return db.select("plans", {})\n', encoding="utf-8"
    )

    result = run_cli(["check", ".", "--output-format", "json"], tmp_path)

    found = json.loads(result.stdout)["findings"]
    assert sorted(f["code"] for f in found) == ["ORG000"] * len(bad) + ["ORG001"]


# -- valid Python that LibCST refuses ------------------------------------------------------------


@pytest.mark.parametrize("before", ["", "def unrelated():\n    return 1\n\n\n"])
def test_valid_python_the_parser_cannot_read_is_located_in_the_file(
    tmp_path: Path, before: str
) -> None:
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    text = before + 'def f(db):\n\\\n    return db.select("calls", {})\n'
    (tmp_path / "app.py").write_text(text, encoding="utf-8")
    compile(text, "app.py", "exec")  # CPython accepts it

    result = run_cli(["check", ".", "--output-format", "json", "--no-cache"], tmp_path)

    (finding,) = json.loads(result.stdout)["findings"]
    assert finding["code"] == "ORG000"
    assert "valid Python" in finding["message"]
    assert finding["line"] == text.count("\n")  # the `return` line, counted in the file


# -- migrations too large to replay ------------------------------------------------------------


def test_an_oversized_statement_is_skipped_and_reported(tmp_path: Path) -> None:
    from orgscope_lint.schema import MAX_STATEMENT_CHARS

    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    columns = ",\n".join(f"  c{n} text" for n in range(MAX_STATEMENT_CHARS // 10))
    (migrations / "001.sql").write_text(
        f"create table huge (id uuid, clerk_org_id text,\n{columns}\n);\n" + MIGRATION,
        encoding="utf-8",
    )
    (tmp_path / "app.py").write_text(
        FAULTY + '\n\ndef huge(db):\n    return db.select("huge", {"id": 1})\n', encoding="utf-8"
    )

    result = run_cli(["check", ".", "--output-format", "json"], tmp_path)

    found = json.loads(result.stdout)["findings"]
    assert sorted((f["path"], f["code"]) for f in found) == [
        ("app.py", "ORG001"),  # calls: the statement after the skipped one still counts
        ("migrations/001.sql", "ORG000"),
    ]
    (skipped,) = [f["message"] for f in found if f["code"] == "ORG000"]
    assert "1 statement(s)" in skipped and "create table huge" in skipped
    assert "001.sql" in result.stderr


def test_an_oversized_migration_is_not_read_and_is_reported(tmp_path: Path) -> None:
    from orgscope_lint.schema import MAX_MIGRATION_BYTES

    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    (migrations / "000.sql").write_text(MIGRATION, encoding="utf-8")
    filler = "-- generated\n" * (MAX_MIGRATION_BYTES // 13 + 1)
    (migrations / "001_dump.sql").write_text(filler + MIGRATION, encoding="utf-8")
    (tmp_path / "app.py").write_text(FAULTY, encoding="utf-8")

    result = run_cli(["check", ".", "--output-format", "json"], tmp_path)

    found = json.loads(result.stdout)["findings"]
    assert sorted((f["path"], f["code"]) for f in found) == [
        ("app.py", "ORG001"),
        ("migrations/001_dump.sql", "ORG000"),
    ]
    assert "too large" in " ".join(f["message"] for f in found)


# -- files named explicitly that are not Python ----------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("settings.toml", '[tool]\nname = "x"\n'),
        ("notes.md", "# Notes\n\n- one\n"),
    ],
)
def test_a_file_that_is_not_python_named_explicitly_gets_a_clear_message(
    tmp_path: Path, name: str, text: str
) -> None:
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    (tmp_path / name).write_text(text, encoding="utf-8")

    result = run_cli(["check", name, "--output-format", "json", "--no-cache"], tmp_path)

    (finding,) = json.loads(result.stdout)["findings"]
    assert finding["code"] == "ORG000"
    assert "not a Python file" in finding["message"]
    assert "syntax" not in finding["message"]


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("manage", FAULTY),
        ("tool.cgi", "#!/usr/bin/env python3\n" + FAULTY),
        ("tool.pyw", FAULTY),
        ("stub.pyi", FAULTY),
    ],
)
def test_python_scripts_named_explicitly_are_still_checked(
    tmp_path: Path, name: str, text: str
) -> None:
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    (tmp_path / name).write_text(text, encoding="utf-8")

    result = run_cli(["check", name, "--output-format", "json", "--no-cache"], tmp_path)

    assert codes(result) == ["ORG001"]


_NESTED = "[" * 3000 + "Service" + "]" * 3000
_ANNOTATED = {
    # A parameter of a function LibCST analyses: read for the classes it may hold.
    "parameter": f'def get_call(db, call_id: "{_NESTED}"):\n'
    '    return db.select("calls", {"id": call_id})\n',
    # A return of a function only the `ast` reads: read for a factory's class.
    "return": f'def make() -> "{_NESTED}":\n    return 1\n\n' + FAULTY,
}


@pytest.mark.parametrize("source", _ANNOTATED.values(), ids=_ANNOTATED.keys())
def test_a_deeply_nested_string_annotation_is_never_parsed(tmp_path: Path, source: str) -> None:
    """CPython accepts it (a string), LibCST's native parser would crash the process on
    it: in a child process, so that a crash fails this test instead of the run."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "p"\n', encoding="utf-8")
    (tmp_path / "calls.py").write_text(source, encoding="utf-8")
    command = [sys.executable, "-m", "orgscope_lint", "check", ".", "--no-cache"]
    done = subprocess.run(
        [*command, "--output-format", "json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert [f["code"] for f in json.loads(done.stdout)["findings"]] == ["ORG001"]
