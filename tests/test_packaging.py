"""The built wheel, installed into a fresh virtual environment, works on its own: the
command runs outside the repository, every rule is there as `orgscope_lint.rules`, and
nothing named `rules` lands at the top level of the user's environment."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from orgscope_lint.rules import ALL_RULES

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("orgscope_lint", "rules")  # the source directories the wheel is built from

pytestmark = pytest.mark.slow

# The fresh environment must not see this checkout through the caller's environment.
CLEAN_ENV = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}


@dataclass(frozen=True)
class Installed:
    wheel: Path
    venv: Path
    outside: Path  # a working directory outside the repository

    @property
    def bin(self) -> Path:
        return self.venv / ("Scripts" if sys.platform == "win32" else "bin")

    def run(self, program: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.bin / program), *args],
            cwd=self.outside,
            env=CLEAN_ENV,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


def _run(*args: str | Path, cwd: Path) -> None:
    process = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=CLEAN_ENV,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert process.returncode == 0, process.stdout + process.stderr


def _source_copy(target: Path) -> Path:
    """The files a build reads, copied so that no build directory lands in the repository
    and no stale build output from an earlier run can slip into the wheel."""
    target.mkdir()
    for item in REPO.iterdir():
        if item.is_file() and not item.name.startswith("."):
            shutil.copy2(item, target / item.name)
    for name in PACKAGES:
        shutil.copytree(
            REPO / name, target / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
    return target


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    root = tmp_path_factory.mktemp("packaging")
    source = _source_copy(root / "source")
    dist = root / "dist"
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", dist, ".", cwd=source)
    (wheel,) = dist.glob("orgscope_lint-*.whl")
    venv = root / "venv"
    _run(sys.executable, "-m", "venv", venv, cwd=root)
    result = Installed(wheel, venv, root / "elsewhere")
    result.outside.mkdir()
    _run(result.bin / "python", "-m", "pip", "install", "-q", wheel, cwd=root)
    return result


def test_wheel_holds_no_top_level_rules_package(installed: Installed) -> None:
    names = zipfile.ZipFile(installed.wheel).namelist()
    top_level = {name.split("/")[0] for name in names}
    assert {t for t in top_level if not t.endswith(".dist-info")} == {"orgscope_lint"}
    assert "orgscope_lint/rules/__init__.py" in names
    assert "orgscope_lint/rules/org001_missing_tenant_filter.py" in names


def test_wheel_holds_every_subpackage_of_the_source(installed: Installed) -> None:
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    for init in (REPO / "orgscope_lint").rglob("__init__.py"):
        if "__pycache__" in init.parts:
            continue
        assert init.relative_to(REPO).as_posix() in names
    for module in (REPO / "rules").glob("*.py"):
        assert f"orgscope_lint/rules/{module.name}" in names


def test_installed_command_prints_a_rule_page(installed: Installed) -> None:
    process = installed.run("orgscope-lint", "rule", "ORG001")
    assert process.returncode == 0, process.stderr
    assert process.stdout.startswith("# missing-tenant-filter (ORG001)")
    assert "## What it does" in process.stdout
    assert "## Use instead" in process.stdout


def test_installed_command_finds_a_bug(installed: Installed) -> None:
    (installed.outside / "api.py").write_text(
        'def f(db, i):\n    db.delete("calls", {"id": i})\n', encoding="utf-8"
    )
    process = installed.run("orgscope-lint", "check", "api.py", "-q")
    assert process.returncode == 1, process.stderr
    assert process.stdout.startswith("api.py:2:5: ORG001 ")
    assert "Traceback" not in process.stderr


def test_no_top_level_rules_module_is_installed(installed: Installed) -> None:
    missing = installed.run("python", "-c", "import rules")
    assert missing.returncode != 0
    assert "ModuleNotFoundError" in missing.stderr
    present = installed.run(
        "python",
        "-c",
        "import orgscope_lint, orgscope_lint.rules as r; "
        "print(len(r.ALL_RULES)); print(orgscope_lint.__file__)",
    )
    assert present.returncode == 0, present.stderr
    count, location = present.stdout.split()
    assert int(count) == len(ALL_RULES)
    # Imported from the environment, not from this checkout.
    assert Path(location).resolve().is_relative_to(installed.venv.resolve())
