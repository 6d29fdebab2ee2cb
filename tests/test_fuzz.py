"""Property-based fuzzing: generated Python, as it is and rewritten with database-like
names so that the analysis really runs, never crashes the tool, and `--fix` always
leaves code that parses and that a second run leaves alone.

The default profile is derandomised (the same examples on every run, so CI is stable)
and takes seconds. `ORGSCOPE_LINT_FUZZ=long` runs many more random examples, for a
contributor hunting crashes; `ORGSCOPE_LINT_FUZZ_EXAMPLES=N` sets the number.
"""

from __future__ import annotations

import ast
import json
import os
import textwrap
import zlib
from pathlib import Path

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::SyntaxWarning")  # generated code is odd
hypothesis = pytest.importorskip("hypothesis")
hypothesmith = pytest.importorskip("hypothesmith")
import libcst as cst  # noqa: E402
from conftest import run_cli  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_SLOW = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
settings.register_profile(
    "ci",
    max_examples=150,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=_SLOW,
)
settings.register_profile(
    "long", max_examples=2000, deadline=None, database=None, suppress_health_check=_SLOW
)
PROFILE = "long" if os.environ.get("ORGSCOPE_LINT_FUZZ") == "long" else "ci"
EXAMPLES = int(os.environ.get("ORGSCOPE_LINT_FUZZ_EXAMPLES", "0")) or None


def profile() -> settings:
    chosen = settings.get_profile(PROFILE)
    return settings(chosen, max_examples=EXAMPLES) if EXAMPLES else chosen


# Names the analysis reacts to: receivers, query methods, tables, tenant keys, principals.
DB_NAMES = (
    "db",
    "select",
    "select_one",
    "update",
    "delete",
    "insert",
    "table",
    "eq",
    "calls",
    "clerk_org_id",
    "org_id",
    "client_id",
    "current_user",
    "filters",
    "get",
    "DatabaseService",
    "get_call",
    "self",
)
DB_STRINGS = ('"calls"', '"clerk_org_id"', '"agents"', '"id"', '"client_id"')


class _DatabaseNames(cst.CSTTransformer):
    """Every name and plain string becomes one the analysis looks at, chosen by a hash
    of the original, so the code keeps its shape and its name bindings."""

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.Name:
        return updated.with_changes(value=_pick(DB_NAMES, original.value))

    def leave_SimpleString(
        self, original: cst.SimpleString, updated: cst.SimpleString
    ) -> cst.SimpleString:
        if original.prefix.lower() not in ("", "r", "u"):
            return updated  # bytes stay bytes
        return updated.with_changes(value=_pick(DB_STRINGS, original.value))


def _pick(pool: tuple[str, ...], key: str) -> str:
    return pool[zlib.crc32(key.encode("utf-8", "surrogatepass")) % len(pool)]


def database_like(source: str) -> str:
    try:
        return cst.parse_module(source).visit(_DatabaseNames()).code
    except Exception:  # a generated module LibCST cannot read or rebuild: as it is
        return source


def in_a_handler(source: str) -> str:
    """The module's code as the body of a route that holds the principal's org, between
    a filter being built and the queries that use it: the generated statements can
    rebind, mutate or branch around everything the analysis tracks, and `--fix` is
    allowed to edit the queries."""
    body = textwrap.indent(source, "    ") if source.strip() else "    pass\n"
    return (
        "def handler(db, current_user, call_id):\n"
        '    clerk_org_id = current_user["clerk_org_id"]\n'
        '    filters = {"id": call_id}\n' + body + '    db.select("calls", filters)\n'
        '    db.update("calls", {"id": call_id}, {"status": "done"})\n'
        "    return db.get_call(call_id)\n"
    )


FUZZ = profile()
MODULES = st.one_of(hypothesmith.from_grammar(), hypothesmith.from_node())
VARIANTS = st.sampled_from(["as-is", "database-like", "handler"])


def variant(source: str, kind: str) -> str:
    if kind == "as-is":
        return source
    rewritten = database_like(source)
    return rewritten if kind == "database-like" else in_a_handler(rewritten)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fuzz")
    (root / "pyproject.toml").write_text("", encoding="utf-8")
    return root


def _write(project: Path, source: str) -> Path:
    target = project / "module.py"
    target.write_bytes(source.encode("utf-8", "surrogatepass"))
    return target


@FUZZ
@given(source=MODULES, kind=VARIANTS)
def test_check_never_crashes_and_json_stays_valid(project: Path, source: str, kind: str) -> None:
    _write(project, variant(source, kind))

    result = run_cli(["check", "module.py", "--output-format", "json", "--no-cache"], project)

    assert result.exit_code in (0, 1), result.stderr
    document = json.loads(result.stdout)
    assert all(f["path"] == "module.py" for f in document["findings"])


@FUZZ
@given(source=MODULES, kind=st.sampled_from(["database-like", "handler"]))
def test_fix_leaves_code_that_parses_and_is_stable(project: Path, source: str, kind: str) -> None:
    target = _write(project, variant(source, kind))
    before = target.read_bytes()

    first = run_cli(["check", "module.py", "--fix", "--no-cache", "-q"], project)
    after_first = target.read_bytes()
    second = run_cli(["check", "module.py", "--fix", "--no-cache", "-q"], project)

    assert first.exit_code in (0, 1), first.stderr
    assert second.exit_code in (0, 1), second.stderr
    if after_first != before:
        ast.parse(after_first)  # an edited file always parses
        cst.parse_module(after_first)
    assert target.read_bytes() == after_first, "a second --fix changed the file again"
