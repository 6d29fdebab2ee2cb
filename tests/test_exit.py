"""The command exits without freeing the run's objects (`cli._exit`), yet as a normal
exit would: the same exit code, every line of output, the exit handlers run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import run_cli

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "clerk_backend" / "before"


def _python(code: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd, check=False
    )


def test_the_command_prints_and_exits_as_in_process() -> None:
    expected = run_cli(["check", "--no-cache", "."], FIXTURE)
    done = subprocess.run(
        [sys.executable, "-m", "orgscope_lint", "check", "--no-cache", "."],
        capture_output=True,
        text=True,
        cwd=FIXTURE,
        check=False,
    )
    assert done.returncode == expected.exit_code == 1  # findings
    assert done.stdout == expected.stdout
    assert done.stdout.rstrip().splitlines()[-1].startswith("Found ")


def test_exit_handlers_run_and_output_is_flushed() -> None:
    done = _python(
        "import atexit, sys\n"
        "from orgscope_lint.cli import _exit\n"
        "atexit.register(lambda: print('handler ran'))\n"
        "sys.stdout.write('unflushed ' * 1000)\n"
        "_exit(SystemExit(3))\n"
    )
    assert done.returncode == 3
    assert done.stdout.startswith("unflushed ") and done.stdout.endswith("handler ran\n")


def test_a_message_is_printed_with_exit_code_1() -> None:
    done = _python("from orgscope_lint.cli import _exit\n_exit(SystemExit('stopped here'))\n")
    assert (done.returncode, done.stderr) == (1, "stopped here\n")
    none = _python("from orgscope_lint.cli import _exit\n_exit(SystemExit(None))\n")
    assert none.returncode == 0
