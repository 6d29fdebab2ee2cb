"""Worker processes run nothing from the analysed repository and die with their parent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from orgscope_lint import parallel

# Standard-library modules that the start-up of a child interpreter, the fork server or
# a worker imports; a repository may well hold a module of the same name.
SHADOWED = ("signal", "queue", "typing", "string", "random", "tempfile", "selectors", "struct")
SHADOW = (
    "import os\n"
    "open(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'RAN-' + __name__), 'w')\n"
)
ENTRY_POINT = Path(sys.executable).parent / "orgscope-lint"


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONSAFEPATH", None)  # the test must not hide what the tool itself does
    env.pop("PYTHONPATH", None)
    return env


@pytest.mark.skipif(not ENTRY_POINT.exists(), reason="console script not installed")
def test_workers_never_import_modules_of_the_checked_repository(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    for name in SHADOWED:
        (repo / f"{name}.py").write_text(SHADOW)
    for number in range(parallel.MIN_FILES_FOR_POOL + 5):
        (repo / f"calls_{number}.py").write_text(
            f'def get_{number}(db, call_id):\n    return db.select("calls", {{"id": call_id}})\n'
        )
    done = subprocess.run(
        [str(ENTRY_POINT), "check", ".", "--no-cache", "--jobs", "2", "--output-format", "json"],
        cwd=repo,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    ran = sorted(path.name for path in repo.glob("RAN-*"))
    assert ran == [], done.stderr
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout.count('"code": "ORG001"') == parallel.MIN_FILES_FOR_POOL + 5


def test_the_working_directory_is_not_on_a_childs_import_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    cleaned = parallel.sanitised_path(["", str(tmp_path), ".", "/usr/lib/python3"])
    assert cleaned == ["/usr/lib/python3"]


DRIVER = """
import sys, time
from concurrent.futures import ProcessPoolExecutor
from orgscope_lint import parallel
from orgscope_lint.config import config_from_mapping

if __name__ == "__main__":
    pool = ProcessPoolExecutor(
        max_workers=2,
        mp_context=parallel._context(),
        initializer=parallel._start_worker,
        initargs=(config_from_mapping({}), None),
    )
    busy = [pool.submit(time.sleep, 3600) for _ in range(2)]
    while len(pool._processes) < 2:
        time.sleep(0.05)
    print(" ".join(str(pid) for pid in pool._processes), flush=True)
    time.sleep(3600)
"""


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(") ")[-1][:1] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_workers_die_with_their_parent(tmp_path: Path) -> None:
    script = tmp_path / "driver.py"
    script.write_text(DRIVER)
    driver = subprocess.Popen(
        [sys.executable, str(script)], cwd=tmp_path, stdout=subprocess.PIPE, text=True
    )
    assert driver.stdout is not None
    workers = [int(pid) for pid in driver.stdout.readline().split()]
    assert len(workers) == 2 and all(alive(pid) for pid in workers)
    driver.send_signal(signal.SIGKILL)
    driver.wait()
    # Busy for an hour otherwise: the bound only keeps a failing run from hanging.
    deadline = time.monotonic() + 60
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = [pid for pid in workers if alive(pid)]
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert left == []
