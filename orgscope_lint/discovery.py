"""Which files to check: walk the given paths the way ruff does.

Exclusion rules, in one place:

- Directories are walked for `*.py` and `*.pyi` files. `DEFAULT_EXCLUDES` (ruff's
  defaults plus our cache) always apply; `exclude` and `extend_exclude` both *add*
  gitignore-style patterns to them, matched against the path relative to `root`
  (`fixtures` matches at any depth, `tests/data` and `/gen` only from the root). Neither
  can remove a default: the tools and environments in those directories are never the
  project's code.
- With `respect_gitignore`, `.gitignore` files apply as git applies them: the ones in the
  walked directories, in their ancestors up to the enclosing repository's top (up to
  `root` outside a repository), and `.git/info/exclude`. The user's global excludes file
  is not read.
- A path named explicitly is always checked, whatever its name (pre-commit passes
  scripts without `.py`), unless `force_exclude` is set; then `exclude` patterns (never
  `.gitignore`, as in ruff) drop it too. A named file with another language's suffix
  (`settings.toml`) and no python `#!` line is reported as not a Python file. An
  explicitly named directory that is itself excluded or ignored is walked as its own
  root: the rules apply to what lies inside it, not to the directory.
- Directory symlinks are never followed during a walk (no loops, no escaping the tree);
  file symlinks are. A broken file symlink, an unreadable directory and a missing
  explicit path are reported once in `problems`, never raised.
"""

from __future__ import annotations

import errno
import functools
import os
import re
import stat
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pathspec

if TYPE_CHECKING:
    from orgscope_lint.config import Config

DEFAULT_EXCLUDES: tuple[str, ...] = (
    ".git",
    ".hg",
    ".svn",
    ".venv",
    "venv",
    ".tox",
    ".nox",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    "__pycache__",
    "node_modules",
    "site-packages",
    "build",
    "dist",
    ".orgscope_cache",
    ".eggs",
    "*.egg-info",
)

PYTHON_SUFFIXES = (".py", ".pyi")
NOT_PYTHON = (
    "not a Python file: only .py, .pyi and .pyw files and scripts with a python shebang are checked"
)


@dataclass(frozen=True, slots=True)
class Discovered:
    files: tuple[Path, ...]  # sorted, unique by resolved path, absolute
    problems: tuple[tuple[Path, str], ...]  # each path once, sorted
    # The resolved path of each of `files`, in the same order: the walk knows it
    # without asking the file system again.
    real: tuple[str, ...] = ()


def discover(
    paths: Sequence[Path],
    *,
    root: Path,
    exclude: Sequence[str] = (),
    extend_exclude: Sequence[str] = (),
    respect_gitignore: bool = True,
    force_exclude: bool = False,
) -> Discovered:
    """The files to check under `paths`; see the module docstring for the rules."""
    walker = _Walker(
        root=_absolute(root),
        excludes=_compile((*DEFAULT_EXCLUDES, *exclude, *extend_exclude)),
        respect_gitignore=respect_gitignore,
        force_exclude=force_exclude,
    )
    for path in paths:
        walker.add_explicit(_absolute(path))
    return walker.result()


def discover_configured(
    config: Config,
    paths: Sequence[Path] | None = None,
    *,
    root: Path | None = None,
    force_exclude: bool = False,
) -> Discovered:
    """`discover` with the project's own settings; without `paths`, the whole project
    as `check .` from its root sees it. `root`: the root as spelled for this walk
    (the configuration's by default)."""
    root = root or config.root
    return discover(
        paths if paths is not None else [root],
        root=root,
        exclude=config.exclude,
        extend_exclude=config.extend_exclude,
        respect_gitignore=config.respect_gitignore,
        force_exclude=force_exclude,
    )


def is_excluded(path: Path, root: Path, patterns: Sequence[str]) -> bool:
    """Whether gitignore-style `patterns` match `path`, taken relative to `root`.

    A path outside `root` is matched by its name alone; `root` itself never matches.
    """
    if not patterns:
        return False
    absolute = _absolute(path)
    relative = _relative(absolute, _absolute(root))
    if relative is None:
        relative = absolute.name
    if not relative:
        return False
    return _matches(_compile(tuple(patterns)), relative, os.path.isdir(absolute))


# A .gitignore's patterns and the directory they are relative to, ending in a separator.
_Layer = tuple[str, pathspec.GitIgnoreSpec]


@dataclass
class _Walker:
    root: Path
    excludes: pathspec.GitIgnoreSpec
    respect_gitignore: bool
    force_exclude: bool
    # resolved path -> every absolute spelling found for it
    _found: dict[str, list[str]] = field(default_factory=dict)
    _problems: dict[str, str] = field(default_factory=dict)
    _ignore_files: dict[str, pathspec.GitIgnoreSpec | None] = field(default_factory=dict)

    def add_explicit(self, path: Path) -> None:
        try:
            info = path.stat()
        except OSError as exc:
            self._problem(str(path), _stat_problem(exc, path))
            return
        is_dir = stat.S_ISDIR(info.st_mode)
        relative = _relative(path, self.root)
        excluded = bool(relative) and _matches(self.excludes, relative, is_dir)
        if excluded and self.force_exclude:
            return
        if not is_dir:
            if not _looks_like_python(path):
                self._problem(str(path), NOT_PYTHON)
                return
            self._add(str(path), os.path.realpath(path))
            return
        # Named yet excluded (or outside root): exclude patterns start afresh inside it.
        base_relative = "" if excluded or relative is None else relative
        layers = self._ancestor_layers(path)
        if self._ignored_chain(path, layers):
            # Named yet ignored: only the ignore files inside it apply.
            layers = ()
        self._walk(path, base_relative, layers)

    def result(self) -> Discovered:
        chosen = [
            (min(spellings, key=lambda p: (p != real, p)), real)
            for real, spellings in self._found.items()
        ]
        # Sorting by components groups a directory's files before its sibling `a-b/`.
        chosen.sort(key=lambda pair: pair[0].split(os.sep))
        files = tuple(Path(path) for path, _ in chosen)
        problems = tuple(sorted((Path(p), message) for p, message in self._problems.items()))
        return Discovered(files=files, problems=problems, real=tuple(real for _, real in chosen))

    # -- the walk ---------------------------------------------------------------------

    def _walk(self, start: Path, start_relative: str, layers: tuple[_Layer, ...]) -> None:
        """Depth-first over `start` with os.scandir, pruning before descending.

        `start_relative` is `start` relative to the base that exclude patterns are
        matched from ("" when `start` is that base).
        """
        top = _with_separator(str(start))
        real_top = os.path.realpath(start)
        prefix = f"{start_relative}/" if start_relative else ""
        stack: list[tuple[str, tuple[_Layer, ...]]] = [(str(start), layers)]
        while stack:
            directory, inherited = stack.pop()
            try:
                with os.scandir(directory) as scan:
                    entries = list(scan)
            except OSError as exc:
                self._problem(directory, _directory_problem(exc))
                continue
            here = self._with_own_ignore_file(directory, entries, inherited)
            for entry in entries:
                is_dir = entry.is_dir(follow_symlinks=False)
                if not is_dir and not entry.name.endswith(PYTHON_SUFFIXES):
                    continue
                inside = entry.path[len(top) :]
                relative = prefix + _posix(inside)
                if self._skipped(entry.path, relative, is_dir, here):
                    continue
                if is_dir:
                    stack.append((entry.path, here))
                elif entry.is_symlink():
                    self._add_link(entry.path)
                elif entry.is_file(follow_symlinks=False):
                    # No directory symlink is followed below `start`: only it may bend.
                    self._add(entry.path, os.path.join(real_top, inside))

    def _skipped(self, path: str, relative: str, is_dir: bool, layers: tuple[_Layer, ...]) -> bool:
        if _matches(self.excludes, relative, is_dir):
            return True
        return self.respect_gitignore and _ignored(path, is_dir, layers)

    def _add_link(self, path: str) -> None:
        try:
            info = os.stat(path)
        except OSError as exc:
            self._problem(path, _stat_problem(exc, Path(path)))
            return
        if stat.S_ISDIR(info.st_mode):
            return  # a directory behind a `.py` name: never followed
        self._add(path, os.path.realpath(path))

    def _add(self, path: str, real: str) -> None:
        self._found.setdefault(real, []).append(path)

    def _problem(self, path: str, message: str) -> None:
        self._problems.setdefault(path, message)

    # -- .gitignore ---------------------------------------------------------------------

    def _with_own_ignore_file(
        self, directory: str, entries: Iterable[os.DirEntry[str]], inherited: tuple[_Layer, ...]
    ) -> tuple[_Layer, ...]:
        if not self.respect_gitignore:
            return inherited
        if not any(entry.name == ".gitignore" for entry in entries):
            return inherited
        spec = self._ignore_file(os.path.join(directory, ".gitignore"))
        return inherited if spec is None else (*inherited, (_with_separator(directory), spec))

    def _ancestor_layers(self, start: Path) -> tuple[_Layer, ...]:
        """The ignore files above `start` that apply inside it (its own is read by the walk)."""
        if not self.respect_gitignore:
            return ()
        top = _repository_top(start)
        if top is not None:
            layers = self._info_exclude(top)
        elif _relative(start, self.root) is not None:
            top, layers = self.root, ()
        else:
            return ()
        for directory in reversed(start.parents):
            if directory == top or top in directory.parents:
                spec = self._ignore_file(str(directory / ".gitignore"))
                if spec is not None:
                    layers = (*layers, (_with_separator(str(directory)), spec))
        return layers

    def _ignored_chain(self, start: Path, layers: tuple[_Layer, ...]) -> bool:
        """Whether `start` or a directory between it and its repository top is ignored."""
        if not self.respect_gitignore or not layers:
            return False
        base = Path(layers[0][0])
        chain = [d for d in (*reversed(start.parents), start) if base in d.parents]
        return any(_ignored(str(d), True, layers) for d in chain)

    def _info_exclude(self, top: Path) -> tuple[_Layer, ...]:
        spec = self._ignore_file(str(top / ".git" / "info" / "exclude"))
        return () if spec is None else ((_with_separator(str(top)), spec),)

    def _ignore_file(self, path: str) -> pathspec.GitIgnoreSpec | None:
        if path not in self._ignore_files:
            try:
                with open(path, encoding="utf-8", errors="replace") as handle:
                    lines = handle.read().splitlines()
            except OSError:
                # A missing or unreadable ignore file ignores nothing, as in git.
                lines = []
            self._ignore_files[path] = ignore_spec(lines) if lines else None
        return self._ignore_files[path]


def _ignored(path: str, is_dir: bool, layers: tuple[_Layer, ...]) -> bool:
    # The deepest file with an opinion wins, as in git; `!pattern` is an opinion too.
    for base, spec in reversed(layers):
        if not path.startswith(base):
            continue
        relative = _posix(path[len(base) :])
        verdict = spec.check_file(relative + "/" if is_dir else relative).include
        if verdict is not None:
            return verdict
    return False


def _matches(spec: pathspec.GitIgnoreSpec, relative: str, is_dir: bool) -> bool:
    # A trailing slash is how gitignore patterns like `build/` tell directories apart.
    return bool(spec.check_file(relative + "/" if is_dir else relative).include)


@functools.lru_cache(maxsize=32)
def _compile(patterns: tuple[str, ...]) -> pathspec.GitIgnoreSpec:
    return ignore_spec(patterns)


def ignore_spec(lines: Iterable[str]) -> pathspec.GitIgnoreSpec:
    """The patterns as gitignore reads them. A line git would not match anything with
    (`!`, a trailing `\\`, `[z-a]`) is skipped, as git skips it, rather than end the
    run; a regular expression that Python warns about (`[[...path]].tsx`) is no
    warning to the user, nor an error under `-W error`."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        valid = [line for line in lines if _compiles(line)]
        return pathspec.GitIgnoreSpec.from_lines(valid)


def _compiles(line: str) -> bool:
    try:
        pathspec.GitIgnoreSpec.from_lines([line])
    except (ValueError, re.error):  # pathspec's pattern errors are ValueErrors
        return False
    return True


def _looks_like_python(path: Path) -> bool:
    """A file named on the command line is checked unless another language's suffix says
    it is not Python and no `#!` line says it is: `check settings.toml` gets a plain
    answer instead of a Python syntax error, while pre-commit's scripts without a suffix
    are checked. Unreadable files pass: reading them reports what is wrong."""
    if path.suffix in ("", *PYTHON_SUFFIXES, ".pyw"):
        return True
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return True
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return True
        head = os.read(fd, 256)
    except OSError:
        return True
    finally:
        os.close(fd)
    first = head.split(b"\n", 1)[0]
    return first.startswith(b"#!") and b"python" in first


def _repository_top(start: Path) -> Path | None:
    for directory in (start, *start.parents):
        if os.path.lexists(directory / ".git"):
            return directory
    return None


def _with_separator(directory: str) -> str:
    return directory if directory.endswith(os.sep) else directory + os.sep


def _posix(relative: str) -> str:
    return relative if os.sep == "/" else relative.replace(os.sep, "/")


def _absolute(path: Path) -> Path:
    # abspath, not resolve: keep the user's spelling of symlinked directories.
    return Path(os.path.abspath(path))


def _relative(path: Path, root: Path) -> str | None:
    """`path` relative to `root` in forward slashes ("" for root), None when outside."""
    if path == root:
        return ""
    if root not in path.parents:
        return None
    return path.relative_to(root).as_posix()


def _stat_problem(exc: OSError, path: Path) -> str:
    if exc.errno == errno.ENOENT:
        return "broken symbolic link" if path.is_symlink() else "no such file or directory"
    if exc.errno == errno.ELOOP:
        return "symbolic link loop"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    return _lower(exc.strerror or str(exc))


def _directory_problem(exc: OSError) -> str:
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "cannot read directory: permission denied"
    return f"cannot read directory: {_lower(exc.strerror or str(exc))}"


def _lower(text: str) -> str:
    return text[:1].lower() + text[1:]
