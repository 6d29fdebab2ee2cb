"""The facts cache: what invalidates an entry, what survives damage and concurrent runs,
and the files that mark the directory as a cache."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from orgscope_lint import cache as cache_module
from orgscope_lint import engine
from orgscope_lint.cache import CACHE_DIR_NAME, CACHEDIR_SIGNATURE, FactsCache
from orgscope_lint.cli import cli
from orgscope_lint.config import Config, load_config
from orgscope_lint.engine import RunResult
from orgscope_lint.sources import SourceText, read_source

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "clerk_backend" / "before"
EDITED = "app/api/voices.py"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A private copy of the fixture: every run writes its cache inside it."""
    work = tmp_path / "before"
    shutil.copytree(FIXTURE, work, ignore=shutil.ignore_patterns("__pycache__", ".*"))
    return work


@pytest.fixture
def analysed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The display paths of the files really analysed (not answered by the cache)."""
    calls: list[str] = []
    real = engine.analyze_source

    def spy(source: object, config: Config, shown: str) -> object:
        calls.append(shown)
        return real(source, config, shown)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "analyze_source", spy)
    return calls


def check(tree: Path, config: Config | None = None, **options: object) -> RunResult:
    config = config if config is not None else load_config(start=tree)
    return engine.run([tree], config, cwd=tree, jobs=1, **options)  # type: ignore[arg-type]


def python_files(tree: Path) -> list[str]:
    return sorted(path.relative_to(tree).as_posix() for path in tree.rglob("*.py"))


def cache_for(tree: Path) -> FactsCache:
    cache = FactsCache.open(tree / CACHE_DIR_NAME, load_config(start=tree))
    assert cache is not None
    return cache


def digest(path: Path) -> str:
    source = read_source(path)
    assert isinstance(source, SourceText)
    return source.digest


def invoke(args: Sequence[str], cwd: Path, monkeypatch: pytest.MonkeyPatch) -> Result:
    monkeypatch.chdir(cwd)
    try:
        runner = CliRunner(mix_stderr=False)  # type: ignore[call-arg]  # click < 8.2
    except TypeError:
        runner = CliRunner()
    result = runner.invoke(cli, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


# -- what invalidates an entry ---------------------------------------------------------


def test_an_unchanged_tree_is_answered_entirely_by_the_cache(tree, analysed):
    cold = check(tree)
    assert sorted(analysed) == python_files(tree)
    analysed.clear()

    warm = check(tree)

    assert analysed == []
    assert warm.findings == cold.findings
    assert warm.facts == cold.facts
    assert cold.findings, "the fixture has findings: the comparison above means something"


def test_editing_one_file_reanalyses_exactly_that_file(tree, analysed):
    check(tree)
    analysed.clear()
    edited = tree / EDITED
    edited.write_text(edited.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")

    check(tree)

    assert analysed == [EDITED]
    analysed.clear()
    check(tree)
    assert analysed == [], "the edited file's entry was rewritten"


def test_a_changed_setting_invalidates_every_entry(tree, analysed):
    config = load_config(start=tree)
    check(tree, config)
    analysed.clear()

    check(tree, replace(config, tenant_key="org_id"))
    assert sorted(analysed) == python_files(tree)

    analysed.clear()
    check(tree, config)
    assert analysed == [], "going back to the first setting finds its entries again"


def test_a_migration_change_updates_findings_without_reanalysing(tree, analysed):
    def voice_library(result: RunResult) -> list[tuple[str, int, str]]:
        # The code's findings: the migration's own (ORG2xx) are not the point here.
        return [
            (f.path, f.line, f.code)
            for f in result.findings
            if f.table == "voice_library" and f.path.endswith(".py")
        ]

    assert voice_library(check(tree)) == []
    analysed.clear()
    migration = tree / "migrations" / "025_voice_library_org.sql"
    migration.write_text(
        "alter table voice_library add column clerk_org_id text;\n", encoding="utf-8"
    )

    warm = check(tree)

    assert analysed == [], "facts do not depend on the schema"
    lines = (tree / EDITED).read_text(encoding="utf-8").splitlines()
    queries = [n for n, line in enumerate(lines, start=1) if '("voice_library"' in line]
    assert voice_library(warm) == [(EDITED, n, "ORG001") for n in queries]
    assert len(queries) == 2
    assert voice_library(warm) == voice_library(check(tree, use_cache=False))


# -- damaged and hostile entries -------------------------------------------------------


def test_damaged_entries_are_ignored_and_rewritten(tree, analysed):
    cold = check(tree)
    analysed.clear()
    cache = cache_for(tree)
    truncated, garbage = cache.entry_path(EDITED), cache.entry_path("app/core/database.py")
    truncated.write_bytes(truncated.read_bytes()[: truncated.stat().st_size // 2])
    garbage.write_bytes(b"\x80\x05not a pickle\x00\xff" * 20)

    warm = check(tree)

    assert sorted(analysed) == sorted(["app/core/database.py", EDITED])
    assert warm.findings == cold.findings
    assert cache.load(EDITED, digest(tree / EDITED)) is not None
    assert cache.load("app/core/database.py", digest(tree / "app/core/database.py")) is not None


class _Planted:
    """What a hostile checkout could commit as a cache entry: unpickling runs code."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.mkdir, (str(self.marker),))


def test_an_entry_that_would_call_a_function_is_refused(tree, analysed, tmp_path):
    cold = check(tree)
    analysed.clear()
    marker = tmp_path / "planted"
    cache = cache_for(tree)
    entry = (EDITED, digest(tree / EDITED), _Planted(marker))
    cache.entry_path(EDITED).write_bytes(pickle.dumps(entry))

    warm = check(tree)

    assert not marker.exists()
    assert analysed == [EDITED]
    assert warm.findings == cold.findings


def test_an_entry_for_other_bytes_is_a_miss(tree):
    check(tree)
    cache = cache_for(tree)
    assert cache.load(EDITED, digest(tree / EDITED)) is not None
    assert cache.load(EDITED, "0" * 64) is None
    assert cache.load("app/api/other.py", digest(tree / EDITED)) is None


# -- concurrent runs ---------------------------------------------------------------------


def test_two_concurrent_runs_agree_and_leave_a_usable_cache(tree, tmp_path):
    cache_dir = tmp_path / "shared-cache"
    command = [sys.executable, "-m", "orgscope_lint", "check", "."]
    command += ["--output-format", "json", "--cache-dir", str(cache_dir)]

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen(command, cwd=tree, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    expected = fresh_namespace(tree)
    runs = [start(), start()]
    outputs = [run.communicate(timeout=300) for run in runs]

    for run, (_, stderr) in zip(runs, outputs, strict=True):
        assert run.returncode == 1, stderr.decode()
        assert stderr == b""
    first, second = (json.loads(stdout) for stdout, _ in outputs)
    assert first == second
    assert first["findings"]
    entries = entry_stamps(cache_dir / "facts" / expected)

    third = start()
    stdout, stderr = third.communicate(timeout=300)

    assert third.returncode == 1, stderr.decode()
    assert json.loads(stdout) == first
    if fresh_namespace(tree) != expected:
        pytest.skip("the package's own source changed while the test ran")
    assert sorted(path.name for path in (cache_dir / "facts").iterdir()) == [expected]
    assert len(entries) == len(python_files(tree))
    assert entry_stamps(cache_dir / "facts" / expected) == entries, "a miss rewrites its entry"


def fresh_namespace(tree: Path) -> str:
    """The namespace of the code on disk now (a process computes it once, when it starts)."""
    cache_module._code_digest.cache_clear()
    return cache_module.namespace(load_config(start=tree))


def entry_stamps(namespace_dir: Path) -> dict[Path, int]:
    return {entry: entry.stat().st_mtime_ns for entry in namespace_dir.glob("*/*")}


# -- the directory -------------------------------------------------------------------------


def test_the_cache_lives_beside_the_configuration_and_is_tagged(tree, tmp_path):
    (tree / "orgscope.toml").write_text('tenant-key = "clerk_org_id"\n', encoding="utf-8")
    config = load_config(start=tree / "app")
    engine.run([tree / "app"], config, cwd=tmp_path, jobs=1)

    cache_dir = tree / CACHE_DIR_NAME
    tag = (cache_dir / "CACHEDIR.TAG").read_text(encoding="ascii")
    assert tag.splitlines()[0] == CACHEDIR_SIGNATURE
    assert (cache_dir / ".gitignore").read_text(encoding="ascii") == "*\n"
    assert not list(cache_dir.rglob(".tmp-*")), "no temporary file is left behind"


def test_no_cache_writes_nothing(tree, monkeypatch):
    result = invoke(["check", ".", "--no-cache", "-q"], tree, monkeypatch)
    assert result.exit_code == 1
    assert not (tree / CACHE_DIR_NAME).exists()


def test_clean_removes_the_cache(tree, monkeypatch):
    invoke(["check", ".", "-q"], tree, monkeypatch)
    assert (tree / CACHE_DIR_NAME).is_dir()

    result = invoke(["clean"], tree, monkeypatch)

    assert result.exit_code == 0, result.stderr
    assert not (tree / CACHE_DIR_NAME).exists()
    again = invoke(["clean"], tree, monkeypatch)
    assert again.exit_code == 0
    assert "no cache" in again.stdout


def test_clean_with_cache_dir_removes_that_directory(tree, tmp_path, monkeypatch):
    elsewhere = tmp_path / "elsewhere"
    invoke(["check", ".", "-q", "--cache-dir", str(elsewhere)], tree, monkeypatch)
    assert (elsewhere / "CACHEDIR.TAG").is_file()
    assert not (tree / CACHE_DIR_NAME).exists()

    result = invoke(["clean", "--cache-dir", str(elsewhere)], tree, monkeypatch)

    assert result.exit_code == 0, result.stderr
    assert not elsewhere.exists()


def test_clean_refuses_a_directory_that_is_not_a_cache(tree, monkeypatch):
    result = invoke(["clean", "--cache-dir", "app"], tree, monkeypatch)

    assert result.exit_code == 2
    assert "CACHEDIR.TAG" in result.stderr
    assert (tree / "app" / "main.py").is_file()


def test_a_foreign_directory_is_not_adopted_as_the_cache(tree, monkeypatch):
    result = invoke(["check", ".", "-q", "--cache-dir", "app"], tree, monkeypatch)

    assert result.exit_code == 1
    assert "running without the cache" in result.stderr
    assert not (tree / "app" / ".gitignore").exists()
    assert not (tree / "app" / "CACHEDIR.TAG").exists()


def test_a_tag_written_while_the_directory_is_listed_is_seen(tmp_path, monkeypatch):
    """Two runs creating one cache: the second looks for the tag, then lists what the
    first has written by then, its tag among it. Neither gives up the cache."""
    from orgscope_lint import cache as cache_module

    root = tmp_path / "cache"
    root.mkdir()
    (root / cache_module.CACHEDIR_TAG_NAME).write_text(cache_module.CACHEDIR_TAG)
    (root / ".tmp-gitignore").write_text("*\n")
    looks: list[bool] = []
    real = cache_module.is_cache_dir

    def look(path: Path) -> bool:
        looks.append(bool(looks) and real(path))  # the first look precedes the tag
        return looks[-1]

    monkeypatch.setattr(cache_module, "is_cache_dir", look)
    cache_module.prepare_root(root)
    assert looks[0] is False
    assert (root / ".gitignore").is_file()


def test_an_untagged_directory_with_files_is_still_refused(tmp_path):
    from orgscope_lint import cache as cache_module

    root = tmp_path / "src"
    root.mkdir()
    (root / "main.py").write_text("print(1)\n")
    with pytest.raises(cache_module.NotACacheDirectory):
        cache_module.prepare_root(root)
