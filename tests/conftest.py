"""Shared helper: run the command line in-process, from a given working directory."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from orgscope_lint.cli import cli
from orgscope_lint.config import Config
from orgscope_lint.facts import FileFacts
from orgscope_lint.project import Project, TableKey
from orgscope_lint.rls.model import RlsModel
from orgscope_lint.schema import Schema


@dataclass(frozen=True)
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


def run_cli(args: Sequence[str], cwd: Path) -> CliResult:
    """Invoke `orgscope-lint ARGS` in `cwd`. An exception that escapes the command (rather
    than a deliberate exit) is re-raised: a crash must never pass for exit code 1."""
    try:
        runner = CliRunner(mix_stderr=False)  # type: ignore[call-arg]  # click < 8.2
    except TypeError:
        runner = CliRunner()
    previous = Path.cwd()
    os.chdir(cwd)
    try:
        result = runner.invoke(cli, list(args), catch_exceptions=True)
    finally:
        os.chdir(previous)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return CliResult(result.exit_code, result.stdout, result.stderr)


@pytest.fixture(autouse=True, scope="session")
def _private_cache_keys(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The cache's signing keys go to a directory of the test session, not the home of
    whoever runs the tests (subprocesses inherit it through the environment)."""
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("user-cache"))
    for name in ("ORGSCOPE_LINT_CACHE_DIR", "ORGSCOPE_LINT_NO_CACHE"):
        os.environ.pop(name, None)


def notes_project(*files: FileFacts, migrations: bool = True) -> Project:
    """A project whose one tenant table is `notes` (key `workspace_id`), made of the
    given file summaries; `migrations`: whether the migrations were read (an empty RLS
    model) or not found at all."""
    rls = RlsModel(tables={}, views={}, functions={}, weakenings=(), problems=(), unknown=())
    schema = Schema(tables={}, files=(), unreadable=(), fingerprint="")
    project = Project(
        config=Config(tenant_key="workspace_id", root=Path("/repo")),
        schema=dataclasses.replace(schema, rls=rls) if migrations else schema,
        tables={"notes": TableKey("workspace_id", "migrations")},
    )
    project.file_facts = list(files)
    return project
