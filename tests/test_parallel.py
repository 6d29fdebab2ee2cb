"""Worker processes: the same findings as one process, in the same order, and a pool only
when there is enough to analyse."""

from __future__ import annotations

import json
import multiprocessing
import pickle
import shutil
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from orgscope_lint import engine, parallel
from orgscope_lint.cli import cli
from orgscope_lint.config import config_from_mapping, load_config
from orgscope_lint.sources import read_source

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "clerk_backend" / "before"
COPIES = 3  # of the fixture's 26 modules: well above the in-process threshold


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """The fixture's app copied a few times beside its migrations (~80 files)."""
    work = tmp_path / "backend"
    shutil.copytree(FIXTURE, work, ignore=shutil.ignore_patterns("__pycache__", ".*"))
    for number in range(2, COPIES + 1):
        copy = work / f"app{number}"
        shutil.copytree(work / "app", copy)
        # Each copy's app mounts its own routers: none of them is dead code.
        for module in copy.rglob("*.py"):
            text = module.read_text(encoding="utf-8")
            module.write_text(text.replace("from app.", f"from app{number}."), encoding="utf-8")
    assert len(list(work.rglob("*.py"))) > 2 * parallel.MIN_FILES_FOR_POOL
    return work


class Pools:
    """Records each process pool started, with how many workers and jobs it received."""

    def __init__(self) -> None:
        self.started: list[dict[str, int]] = []

    def executor(self) -> type[ProcessPoolExecutor]:
        record = self.started

        class Recording(ProcessPoolExecutor):
            def __init__(self, max_workers: int, **options: Any) -> None:
                super().__init__(max_workers, **options)
                record.append({"workers": max_workers, "jobs": 0})

            def map(self, fn: Any, *iterables: Any, **options: Any) -> Iterator[Any]:
                items = list(iterables[0])
                record[-1]["jobs"] += len(items)
                return super().map(fn, items, **options)

        return Recording


@pytest.fixture
def pools(monkeypatch: pytest.MonkeyPatch) -> Pools:
    recorder = Pools()
    monkeypatch.setattr(parallel, "ProcessPoolExecutor", recorder.executor())
    return recorder


def check_json(tree: Path, monkeypatch: pytest.MonkeyPatch, *options: str) -> str:
    monkeypatch.chdir(tree)
    result = CliRunner().invoke(cli, ["check", ".", "--output-format", "json", *options])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == 1, result.output
    return result.stdout


def test_two_jobs_report_exactly_what_one_job_reports(tree, pools, monkeypatch):
    one = check_json(tree, monkeypatch, "--jobs", "1", "--no-cache")
    assert pools.started == []

    two = check_json(tree, monkeypatch, "--jobs", "2", "--no-cache")

    files = len(list(tree.rglob("*.py")))
    fixed = len({f["path"] for f in json.loads(one)["findings"] if f.get("fix")})
    assert fixed >= parallel.MIN_FILES_FOR_POOL, "the JSON fix edits are computed in a pool too"
    # The analysis, then the fix edits of the JSON report: both the same as in one process.
    assert pools.started == [{"workers": 2, "jobs": files}, {"workers": 2, "jobs": fixed}]
    assert two == one
    assert '"code": "ORG001"' in one


def test_facts_come_back_in_the_order_given(tree, pools):
    config = load_config(start=tree)
    paths = sorted(tree.rglob("*.py"), reverse=True)  # not the order workers would finish
    files = [(path, engine.display_path(path, tree)) for path in paths]

    facts = parallel.collect_facts(files, config, jobs=2)

    assert len(pools.started) == 1
    assert [f.path for f in facts] == [shown for _, shown in files]
    assert facts == parallel.collect_facts(files, config, jobs=1)


def test_progress_counts_every_file_once_in_order(tree, pools):
    config = load_config(start=tree)
    files = [(path, path.name) for path in sorted(tree.rglob("*.py"))]
    seen: list[tuple[int, int]] = []

    parallel.collect_facts(files, config, jobs=2, progress=lambda *done: seen.append(done))

    assert pools.started
    assert seen == [(n, len(files)) for n in range(1, len(files) + 1)]


def test_workers_fill_the_cache_and_a_warm_run_starts_no_pool(tree, pools, monkeypatch):
    cold = check_json(tree, monkeypatch, "--jobs", "2")
    assert len(pools.started) == 2  # the analysis, the JSON report's fix edits
    analysed: list[str] = []
    real = engine.analyze_source
    monkeypatch.setattr(
        engine, "analyze_source", lambda *args: analysed.append(args[2]) or real(*args)
    )

    warm = check_json(tree, monkeypatch, "--jobs", "2")

    assert warm == cold
    assert analysed == []
    assert len(pools.started) == 2, "nothing to analyse, the fix edits cached: no pool"


def test_a_few_changed_files_are_analysed_in_process(tree, pools, monkeypatch):
    check_json(tree, monkeypatch, "--jobs", "2")
    for name in ("app/main.py", "app2/main.py"):
        path = tree / name
        path.write_text(path.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")

    check_json(tree, monkeypatch, "--jobs", "2")

    # The first run's two pools (analysis, fix edits), no third: two misses of either
    # kind do not repay starting workers.
    assert len(pools.started) == 2, "two misses do not repay starting workers"


def test_spawned_workers_import_everything_they_need(tree, pools, monkeypatch):
    """macOS and Windows start workers with `spawn`: nothing is inherited from the parent."""
    config = load_config(start=tree)
    files = [(path, engine.display_path(path, tree)) for path in sorted(tree.glob("app/api/*.py"))]
    monkeypatch.setattr(parallel, "MIN_FILES_FOR_POOL", 2)  # a small pool is enough here
    monkeypatch.setattr(parallel, "_context", lambda: multiprocessing.get_context("spawn"))

    spawned = parallel.collect_facts(files, config, jobs=2)

    assert pools.started == [{"workers": 2, "jobs": len(files)}]
    assert spawned == parallel.collect_facts(files, config, jobs=1)


def test_the_configuration_survives_pickling():
    config = config_from_mapping(
        {
            "tenant-key": "org_id",
            "table-keys": {"api_keys": "client_id"},
            "per-file-ignores": {"tests/*": ["ORG001"]},
            "scoped-helpers": {"get_thing": "org_id"},
            "exclude": ["generated"],
        },
        source=FIXTURE / "pyproject.toml",
    )

    copy = pickle.loads(pickle.dumps(config))

    assert copy == config
    assert copy.fingerprint() == config.fingerprint()
    assert copy.root == config.root


def test_what_a_worker_receives_is_picklable(tree):
    job = parallel.Job("app/main.py", read_source(tree / "app" / "main.py"))
    assert pickle.loads(pickle.dumps(job)) == job
    assert pickle.loads(pickle.dumps(parallel._work)) is parallel._work
