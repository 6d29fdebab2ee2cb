"""`--fix` changes a file's content and nothing else about it: links, owner, mode and
line endings stay as they were."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from conftest import run_cli

FIXABLE = (
    "def delete_call(call_id, current_user, db):\n"
    '    clerk_org_id = current_user["clerk_org_id"]\n'
    '    db.delete("calls", {"id": call_id})\n'
)
FIXED_LINE = '    db.delete("calls", {"id": call_id, "clerk_org_id": clerk_org_id})'
POSIX_ONLY = pytest.mark.skipif(sys.platform == "win32", reason="POSIX links and owners")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    return tmp_path


def fix(project: Path, *paths: str) -> None:
    result = run_cli(["check", "--fix", "--no-cache", *(paths or (".",))], project)
    assert result.exit_code == 0, result.stdout + result.stderr


@POSIX_ONLY
def test_a_symlinked_file_stays_a_link_and_its_target_is_fixed(project: Path) -> None:
    (project / "real.py").write_text(FIXABLE, encoding="utf-8")
    (project / "link.py").symlink_to("real.py")

    fix(project, "link.py")

    assert (project / "link.py").is_symlink()
    assert FIXED_LINE in (project / "real.py").read_text(encoding="utf-8")


@POSIX_ONLY
def test_hard_links_keep_sharing_the_fixed_content(project: Path) -> None:
    (project / "api.py").write_text(FIXABLE, encoding="utf-8")
    os.link(project / "api.py", project / "twin.txt")
    inode = (project / "api.py").stat().st_ino

    fix(project, "api.py")

    assert (project / "api.py").stat().st_ino == inode
    assert FIXED_LINE in (project / "twin.txt").read_text(encoding="utf-8")


@POSIX_ONLY
def test_owner_and_mode_are_kept(project: Path) -> None:
    target = project / "api.py"
    target.write_text(FIXABLE, encoding="utf-8")
    target.chmod(0o640)
    if os.geteuid() == 0:
        os.chown(target, 4321, 4321)
    before = target.stat()

    fix(project)

    after = target.stat()
    assert FIXED_LINE in target.read_text(encoding="utf-8")
    assert (after.st_mode, after.st_uid, after.st_gid) == (
        before.st_mode,
        before.st_uid,
        before.st_gid,
    )


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_the_newline_style_is_kept_exactly(project: Path, newline: str) -> None:
    target = project / "api.py"
    target.write_bytes(FIXABLE.replace("\n", newline).encode("utf-8"))

    fix(project)

    expected = FIXABLE.replace('    db.delete("calls", {"id": call_id})', FIXED_LINE)
    assert target.read_bytes() == expected.replace("\n", newline).encode("utf-8")
