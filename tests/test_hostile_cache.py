"""A cache directory the checkout controls: planted, flipped, swapped and special files
never hide a finding, never hang a run and never send writes outside the cache."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pickle
import random
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from orgscope_lint import cache as cache_module
from orgscope_lint import engine
from orgscope_lint.cache import CACHE_DIR_NAME, FactsCache, remove_cache
from orgscope_lint.config import load_config
from orgscope_lint.facts import FileFacts

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "clerk_backend" / "before"
POSIX_ONLY = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs and symlinks")


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    work = tmp_path / "before"
    shutil.copytree(FIXTURE, work, ignore=shutil.ignore_patterns("__pycache__", ".*"))
    return work


def findings(tree: Path) -> list[tuple[str, int, str]]:
    result = engine.run([tree], load_config(start=tree), cwd=tree, jobs=1)
    return [(f.path, f.line, f.code) for f in result.active]


def entries(tree: Path) -> list[Path]:
    """Every entry file of the cache: facts, schema, summaries and run findings."""
    root = tree / CACHE_DIR_NAME
    return sorted(
        path
        for path in root.rglob("*")
        if path.is_file() and path.name not in ("CACHEDIR.TAG", ".gitignore")
    )


def python_files(tree: Path) -> list[str]:
    return sorted(p.relative_to(tree).as_posix() for p in tree.rglob("*.py"))


def facts_entry(tree: Path, shown: str) -> Path:
    cache = FactsCache.open(tree / CACHE_DIR_NAME, load_config(start=tree))
    assert cache is not None
    return cache.entry_path(shown)


def check_in_subprocess(tree: Path) -> subprocess.CompletedProcess[str]:
    """A run that would hang is a failure after the timeout, not a stuck test session."""
    command = [sys.executable, "-m", "orgscope_lint", "check", ".", "--output-format", "json"]
    return subprocess.run(command, cwd=tree, capture_output=True, text=True, timeout=120)


def reported(done: subprocess.CompletedProcess[str]) -> list[tuple[str, int, str]]:
    assert done.returncode == 1, done.stderr
    found = json.loads(done.stdout)["findings"]
    return sorted((f["path"], f["line"], f["code"]) for f in found)


# -- planted and damaged entries -------------------------------------------------------------


def test_planted_well_formed_entries_do_not_hide_findings(tree: Path) -> None:
    cold = findings(tree)
    assert cold
    for shown in python_files(tree):
        digest = hashlib.sha256((tree / shown).read_bytes()).hexdigest()
        planted = pickle.dumps((shown, digest, FileFacts(path=shown)))
        facts_entry(tree, shown).write_bytes(planted)
    # A planted run-level answer too: "no findings" for whatever run key is stored.
    for entry in entries(tree):
        if "runs" in entry.relative_to(tree / CACHE_DIR_NAME).parts:
            entry.write_bytes(pickle.dumps([]))

    assert findings(tree) == cold


def test_an_entry_copied_under_another_files_name_is_a_miss(tree: Path) -> None:
    cold = findings(tree)
    clean_file, faulty_file = "app/__init__.py", "app/api/voices.py"
    (tree / faulty_file).write_bytes((tree / clean_file).read_bytes() + b"\n")
    findings(tree)  # the faulty file now has the clean file's bytes: a valid entry
    entry = facts_entry(tree, faulty_file).read_bytes()
    (tree / faulty_file).write_bytes((FIXTURE / faulty_file).read_bytes())
    facts_entry(tree, clean_file).write_bytes(entry)

    assert findings(tree) == cold


@pytest.mark.parametrize("seed", range(8))
def test_bit_flipped_entries_are_recomputed(tree: Path, seed: int) -> None:
    cold = findings(tree)
    shuffle = random.Random(seed)
    for entry in entries(tree):
        data = bytearray(entry.read_bytes())
        for _ in range(1 + seed % 3):
            offset = shuffle.randrange(len(data))
            data[offset] ^= 1 << shuffle.randrange(8)
        entry.write_bytes(bytes(data))

    assert findings(tree) == cold
    assert findings(tree) == cold, "the damaged entries were rewritten, not kept"


def test_entries_of_another_tool_version_are_misses(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    findings(tree)
    monkeypatch.setattr(cache_module, "__version__", "0.0.0-other")
    calls: list[str] = []
    real = engine.analyze_source

    def spy(source: object, config: object, shown: str) -> object:
        calls.append(shown)
        return real(source, config, shown)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "analyze_source", spy)
    monkeypatch.setattr(cache_module, "namespace", lambda config: "same-namespace")
    findings(tree)
    calls.clear()
    findings(tree)
    assert calls == [], "entries this version wrote are hits"
    monkeypatch.setattr(cache_module, "__version__", "0.0.0-newer")
    findings(tree)
    assert sorted(calls) == python_files(tree)


# A policy that takes its tenant id from a column the caller may write (ORG203): which
# columns those are is stored with the replayed schema.
WRITABLE_SQL = (
    "create table profiles (id uuid primary key, org_id text not null);\n"
    "create table invoices (id uuid, org_id text not null);\n"
    "alter table invoices enable row level security;\n"
    "create policy member on invoices\n"
    "  using (org_id = (select org_id from profiles where id = auth.uid()));\n"
    "alter table profiles enable row level security;\n"
    "create policy own on profiles for update to authenticated using (id = auth.uid());\n"
)


@pytest.mark.parametrize("damage", ["flip", "plant"])
def test_a_tampered_schema_entry_does_not_hide_a_writable_column(
    tmp_path: Path, damage: str
) -> None:
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "001.sql").write_text(WRITABLE_SQL)
    (tmp_path / "orgscope.toml").write_text('tenant-key = "org_id"\n')
    cold = findings(tmp_path)
    assert ("migrations/001.sql", 4, "ORG203") in cold
    (entry,) = [p for p in entries(tmp_path) if "schema" in p.parts]
    data = bytearray(entry.read_bytes())
    if damage == "flip":
        data[len(data) // 2] ^= 1
    else:  # the same schema, with no column the caller may write, signed without the key
        schema = pickle.loads(data[42:])
        emptied = replace(schema, rls=replace(schema.rls, writable={}))
        data = bytearray(data[:10] + bytes(32) + pickle.dumps(emptied))
    entry.write_bytes(bytes(data))

    assert findings(tmp_path) == cold
    config = load_config(start=tmp_path)
    cache = FactsCache.open(tmp_path / CACHE_DIR_NAME, config)
    assert cache is not None
    stored = cache.load_schema(entry.name)
    assert stored is not None and stored.rls is not None, "the entry was rewritten"
    assert set(stored.rls.writable or ()) == {("profiles", "org_id")}


# -- special files -----------------------------------------------------------------------------


@POSIX_ONLY
def test_an_entry_replaced_by_a_fifo_does_not_block(tree: Path) -> None:
    cold = findings(tree)
    victim = facts_entry(tree, "app/api/voices.py")
    victim.unlink()
    os.mkfifo(victim)
    for entry in entries(tree):
        if {"runs", "schema"} & set(entry.relative_to(tree).parts):
            entry.unlink()
            os.mkfifo(entry)

    assert reported(check_in_subprocess(tree)) == sorted(cold)


@POSIX_ONLY
def test_a_fifo_cache_tag_does_not_block(tree: Path) -> None:
    cold = findings(tree)
    tag = tree / CACHE_DIR_NAME / "CACHEDIR.TAG"
    tag.unlink()
    os.mkfifo(tag)

    done = check_in_subprocess(tree)

    assert reported(done) == sorted(cold)
    assert "running without the cache" in done.stderr


@POSIX_ONLY
def test_an_entry_linked_to_an_endless_device_is_a_miss(tree: Path) -> None:
    cold = findings(tree)
    for entry in entries(tree):
        entry.unlink()
        entry.symlink_to("/dev/zero")

    assert reported(check_in_subprocess(tree)) == sorted(cold)


@POSIX_ONLY
def test_a_symlinked_default_cache_is_refused(tree: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (tree / CACHE_DIR_NAME).symlink_to(outside, target_is_directory=True)

    done = check_in_subprocess(tree)

    assert done.returncode == 1
    assert "running without the cache" in done.stderr
    assert list(outside.iterdir()) == []


@POSIX_ONLY
def test_a_symlinked_directory_inside_the_cache_is_not_written_through(
    tree: Path, tmp_path: Path
) -> None:
    findings(tree)
    outside = tmp_path / "outside"
    outside.mkdir()
    namespace_dir = facts_entry(tree, "app/api/voices.py").parent.parent
    shutil.rmtree(namespace_dir)
    namespace_dir.symlink_to(outside, target_is_directory=True)

    findings(tree)

    assert list(outside.iterdir()) == []


def test_the_key_never_lives_inside_the_cache_or_the_project(
    tree: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cold = findings(tree)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tree / "keys"))

    assert findings(tree) == cold
    assert "running without the cache" in capsys.readouterr().err
    assert not (tree / "keys").exists()


def test_a_config_cannot_send_the_cache_out_of_the_project(tree: Path) -> None:
    from orgscope_lint.config import ConfigError

    for escape in ("../elsewhere", "/tmp/elsewhere", "a/../../b"):
        (tree / "orgscope.toml").write_text(f'cache-dir = "{escape}"\n', encoding="utf-8")
        with pytest.raises(ConfigError, match="cache-dir"):
            load_config(start=tree)


# -- concurrent runs and `clean` -----------------------------------------------------------


def test_clean_during_a_run_leaves_a_usable_cache(tree: Path) -> None:
    cold = sorted(findings(tree))
    remove_cache(tree / CACHE_DIR_NAME)
    command = [sys.executable, "-m", "orgscope_lint", "check", ".", "--output-format", "json"]
    running = subprocess.Popen(
        command, cwd=tree, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    while running.poll() is None:
        # Caught between the run's mkdir and its tag: the next pass removes it.
        with contextlib.suppress(OSError, cache_module.NotACacheDirectory):
            remove_cache(tree / CACHE_DIR_NAME)
    stdout, stderr = running.communicate(timeout=120)
    assert reported(subprocess.CompletedProcess(command, running.returncode, stdout, stderr))
    assert sorted(findings(tree)) == cold
    assert cache_module.is_cache_dir(tree / CACHE_DIR_NAME), "no untagged directory is left"
    assert sorted(findings(tree)) == cold
