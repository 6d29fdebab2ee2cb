from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

import pytest

from orgscope_lint import discovery
from orgscope_lint.discovery import DEFAULT_EXCLUDES, Discovered, discover, is_excluded


def make(root: Path, *names: str, text: str = "x = 1\n") -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def found(result: Discovered, root: Path) -> list[str]:
    return [path.relative_to(root).as_posix() for path in result.files]


def walk(
    root: Path,
    *,
    exclude: tuple[str, ...] = (),
    extend_exclude: tuple[str, ...] = (),
    respect_gitignore: bool = True,
) -> list[str]:
    result = discover(
        [root],
        root=root,
        exclude=exclude,
        extend_exclude=extend_exclude,
        respect_gitignore=respect_gitignore,
    )
    return found(result, root)


# -- walking ----------------------------------------------------------------------------


def test_walk_finds_python_sources_and_stubs_only(tmp_path: Path) -> None:
    make(tmp_path, "app.py", "types.pyi", "notes.txt", "pkg/__init__.py", "pkg/deep/mod.py")
    make(tmp_path, "script")  # no suffix: only checked when named explicitly
    assert walk(tmp_path) == ["app.py", "pkg/__init__.py", "pkg/deep/mod.py", "types.pyi"]


def test_files_are_absolute_sorted_and_unique(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make(tmp_path, "b.py", "a/z.py", "a-b/y.py")
    monkeypatch.chdir(tmp_path)
    result = discover([Path("."), Path("a"), Path("b.py"), Path("./b.py")], root=Path("."))
    assert all(path.is_absolute() for path in result.files)
    assert found(result, tmp_path) == ["a/z.py", "a-b/y.py", "b.py"]


@pytest.mark.parametrize("directory", [d.replace("*", "pkg") for d in DEFAULT_EXCLUDES])
def test_default_excludes_are_skipped(tmp_path: Path, directory: str) -> None:
    make(tmp_path, f"{directory}/hidden.py", f"src/{directory}/nested.py", "src/kept.py")
    assert walk(tmp_path) == ["src/kept.py"]


def test_excluded_directories_are_never_entered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make(tmp_path, "node_modules/pkg/x.py", "generated/y.py", "src/z.py")
    scanned: list[str] = []
    real_scandir = os.scandir

    def recording_scandir(path: str) -> Any:
        scanned.append(Path(path).relative_to(tmp_path).as_posix())
        return real_scandir(path)

    monkeypatch.setattr(discovery.os, "scandir", recording_scandir)
    assert walk(tmp_path, exclude=("generated",)) == ["src/z.py"]
    assert sorted(scanned) == [".", "src"]


def test_exclude_adds_to_the_defaults(tmp_path: Path) -> None:
    make(tmp_path, "generated/a.py", ".venv/b.py", "src/c.py")
    assert walk(tmp_path, exclude=("generated",)) == ["src/c.py"]


def test_extend_exclude_globs_are_gitignore_style_from_root(tmp_path: Path) -> None:
    make(tmp_path, "src/api_pb2.py", "src/api.py", "tests/data/case.py", "tests/test_api.py")
    make(tmp_path, "other/tests/data/kept.py")
    result = walk(tmp_path, extend_exclude=("*_pb2.py", "tests/data/"))
    assert result == ["other/tests/data/kept.py", "src/api.py", "tests/test_api.py"]


def test_excludes_match_relative_to_root_not_above_it(tmp_path: Path) -> None:
    project = tmp_path / "build" / "project"  # an excluded name above the root
    make(project, "app.py")
    assert walk(project) == ["app.py"]


def test_directory_symlinks_are_not_followed(tmp_path: Path) -> None:
    make(tmp_path, "outside/secret.py", "project/app.py")
    project = tmp_path / "project"
    (project / "linked").symlink_to(tmp_path / "outside", target_is_directory=True)
    (project / "looks_like.py").symlink_to(tmp_path / "outside", target_is_directory=True)
    result = discover([project], root=project)
    assert found(result, project) == ["app.py"]
    assert result.problems == ()


def test_symlink_loop_directory_does_not_hang(tmp_path: Path) -> None:
    make(tmp_path, "pkg/mod.py")
    (tmp_path / "pkg" / "again").symlink_to(tmp_path, target_is_directory=True)
    (tmp_path / "a").symlink_to(tmp_path / "b", target_is_directory=True)
    (tmp_path / "b").symlink_to(tmp_path / "a", target_is_directory=True)
    assert walk(tmp_path) == ["pkg/mod.py"]


def test_file_symlinks_are_followed_and_deduplicated(tmp_path: Path) -> None:
    make(tmp_path, "shared/real.py", "project/app.py")
    project = tmp_path / "project"
    (project / "alias.py").symlink_to(tmp_path / "shared" / "real.py")
    (project / "same_app.py").symlink_to(project / "app.py")
    # The link to a file outside is kept; the second spelling of app.py is not.
    assert walk(project) == ["alias.py", "app.py"]


def test_broken_symlink_is_reported_once(tmp_path: Path) -> None:
    make(tmp_path, "app.py")
    link = tmp_path / "dangling.py"
    link.symlink_to(tmp_path / "deleted.py")
    result = discover([tmp_path, link, tmp_path], root=tmp_path)
    assert found(result, tmp_path) == ["app.py"]
    assert result.problems == ((link, "broken symbolic link"),)


def test_broken_symlink_in_an_ignored_place_is_not_reported(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("dangling.py\n")
    (tmp_path / "dangling.py").symlink_to(tmp_path / "deleted.py")
    assert discover([tmp_path], root=tmp_path).problems == ()


def test_unreadable_directory_is_reported_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make(tmp_path, "locked/a.py", "open/b.py")
    locked = tmp_path / "locked"
    real_scandir = os.scandir

    def refusing_scandir(path: str) -> Any:
        if Path(path) == locked:
            raise PermissionError(errno.EACCES, "Permission denied", path)
        return real_scandir(path)

    # Simulated at the system call so the test also runs with root's privileges.
    monkeypatch.setattr(discovery.os, "scandir", refusing_scandir)
    result = discover([tmp_path, locked], root=tmp_path)
    assert found(result, tmp_path) == ["open/b.py"]
    assert result.problems == ((locked, "cannot read directory: permission denied"),)


def test_unreadable_directory_on_disk(tmp_path: Path) -> None:
    make(tmp_path, "locked/a.py", "open/b.py")
    locked = tmp_path / "locked"
    locked.chmod(0)
    try:
        if os.access(locked, os.R_OK):
            pytest.skip("running with privileges that read any directory")
        result = discover([tmp_path], root=tmp_path)
        assert found(result, tmp_path) == ["open/b.py"]
        assert [path for path, _ in result.problems] == [locked]
    finally:
        locked.chmod(0o755)


# -- explicit paths ----------------------------------------------------------------------


def test_explicit_excluded_file_is_checked_unless_force_exclude(tmp_path: Path) -> None:
    make(tmp_path, "build/gen.py", "migrations/0001.py")
    named = [tmp_path / "build" / "gen.py", tmp_path / "migrations" / "0001.py"]
    checked = discover(named, root=tmp_path, extend_exclude=["migrations/"])
    assert found(checked, tmp_path) == ["build/gen.py", "migrations/0001.py"]
    forced = discover(named, root=tmp_path, extend_exclude=["migrations/"], force_exclude=True)
    assert forced.files == ()


def test_force_exclude_keeps_explicit_files_that_match_nothing(tmp_path: Path) -> None:
    make(tmp_path, "app.py")
    result = discover([tmp_path / "app.py"], root=tmp_path, force_exclude=True)
    assert found(result, tmp_path) == ["app.py"]


def test_explicit_gitignored_file_is_checked_even_with_force_exclude(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("local.py\n")
    make(tmp_path, "local.py")
    result = discover([tmp_path / "local.py"], root=tmp_path, force_exclude=True)
    assert found(result, tmp_path) == ["local.py"]


def test_explicit_file_without_python_suffix_is_checked(tmp_path: Path) -> None:
    make(tmp_path, "bin/manage")
    assert found(discover([tmp_path / "bin" / "manage"], root=tmp_path), tmp_path) == ["bin/manage"]


def test_explicit_excluded_directory_is_walked_unless_force_exclude(tmp_path: Path) -> None:
    make(tmp_path, "build/gen.py", "build/__pycache__/stale.py")
    build = tmp_path / "build"
    assert found(discover([build], root=tmp_path), tmp_path) == ["build/gen.py"]
    assert discover([build], root=tmp_path, force_exclude=True).files == ()


def test_explicit_symlink_to_a_directory_is_walked(tmp_path: Path) -> None:
    make(tmp_path, "real/app.py")
    (tmp_path / "alias").symlink_to(tmp_path / "real", target_is_directory=True)
    result = discover([tmp_path / "alias"], root=tmp_path)
    assert found(result, tmp_path) == ["alias/app.py"]


def test_same_files_through_a_directory_alias_are_listed_once(tmp_path: Path) -> None:
    make(tmp_path, "real/app.py", "real/pkg/mod.py")
    (tmp_path / "alias").symlink_to(tmp_path / "real", target_is_directory=True)
    result = discover([tmp_path / "alias", tmp_path / "real"], root=tmp_path)
    # The spelling without a symlink in it wins.
    assert found(result, tmp_path) == ["real/app.py", "real/pkg/mod.py"]


def test_nonexistent_explicit_path_is_a_problem(tmp_path: Path) -> None:
    missing = tmp_path / "nope.py"
    result = discover([missing, missing], root=tmp_path)
    assert result.files == ()
    assert result.problems == ((missing, "no such file or directory"),)


# -- .gitignore -------------------------------------------------------------------------


def test_root_gitignore_is_honoured(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("# local files\nsecret.py\ngen/\n*.log\n")
    make(tmp_path, "secret.py", "gen/client.py", "pkg/gen/client.py", "app.py")
    assert walk(tmp_path) == ["app.py"]
    assert walk(tmp_path, respect_gitignore=False) == [
        "app.py",
        "gen/client.py",
        "pkg/gen/client.py",
        "secret.py",
    ]


def test_gitignore_lines_git_cannot_use_are_skipped_not_fatal(tmp_path: Path) -> None:
    # `[z-a]` is no range, `!` and a trailing backslash are no patterns: git matches
    # nothing with them; the lines around them still apply.
    (tmp_path / ".gitignore").write_text("[z-a]\n!\nfoo\\\nsecret.py\ngen/\n")
    make(tmp_path, "secret.py", "gen/client.py", "app.py")
    assert walk(tmp_path) == ["app.py"]


def test_a_gitignore_line_python_warns_about_is_no_warning(
    tmp_path: Path, recwarn: pytest.WarningsRecorder
) -> None:
    # A bracket expression, as git reads it: `web/p].py` is ignored, the literal name not.
    (tmp_path / ".gitignore").write_text("web/[[...path]].py\n")
    make(tmp_path, "web/[[...path]].py", "web/p].py", "app.py")
    assert walk(tmp_path) == ["app.py", "web/[[...path]].py"]
    assert not [w for w in recwarn if issubclass(w.category, FutureWarning)]


def test_nested_gitignore_applies_below_its_directory_and_can_negate(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("*_gen.py\n")
    make(tmp_path, "a_gen.py", "sub/keep_gen.py", "sub/drop_gen.py", "sub/local.py", "local.py")
    (tmp_path / "sub" / ".gitignore").write_text("local.py\n!keep_gen.py\n")
    assert walk(tmp_path) == ["local.py", "sub/keep_gen.py"]


def test_negation_cannot_reach_into_an_ignored_directory(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("vendor/\n!vendor/ours.py\n")
    make(tmp_path, "vendor/ours.py", "app.py")
    assert walk(tmp_path) == ["app.py"]


def test_git_info_exclude_is_honoured(tmp_path: Path) -> None:
    make(tmp_path, "private.py", "app.py")
    (tmp_path / ".git" / "info").mkdir(parents=True)
    (tmp_path / ".git" / "info" / "exclude").write_text("private.py\n")
    assert walk(tmp_path) == ["app.py"]


def test_gitignore_above_the_walked_directory_applies(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text("/backend/generated/\n")
    make(tmp_path, "backend/generated/models.py", "backend/app.py")
    backend = tmp_path / "backend"
    assert found(discover([backend], root=backend), backend) == ["app.py"]


def test_explicit_ignored_directory_is_walked(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("scratch/\n")
    make(tmp_path, "scratch/try.py")
    result = discover([tmp_path / "scratch"], root=tmp_path)
    assert found(result, tmp_path) == ["scratch/try.py"]


# -- is_excluded ----------------------------------------------------------------------


def test_is_excluded_anchors_patterns_at_root(tmp_path: Path) -> None:
    patterns = ["tests/data", "*_pb2.py", "docs/"]
    assert is_excluded(tmp_path / "tests" / "data" / "x.py", tmp_path, patterns)
    assert not is_excluded(tmp_path / "src" / "tests" / "data" / "x.py", tmp_path, patterns)
    assert is_excluded(tmp_path / "deep" / "api_pb2.py", tmp_path, patterns)
    assert not is_excluded(tmp_path / "docs.py", tmp_path, patterns)
    assert not is_excluded(tmp_path, tmp_path, ["*"])


def test_is_excluded_tells_directories_from_files(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "notes").write_text("")
    assert is_excluded(tmp_path / "docs", tmp_path, ["docs/"])
    assert not is_excluded(tmp_path / "notes", tmp_path, ["notes/"])


def test_is_excluded_matches_outside_root_by_name(tmp_path: Path) -> None:
    root = tmp_path / "project"
    assert is_excluded(tmp_path / "elsewhere" / "api_pb2.py", root, ["*_pb2.py"])
    assert not is_excluded(tmp_path / "elsewhere" / "api.py", root, ["elsewhere"])
