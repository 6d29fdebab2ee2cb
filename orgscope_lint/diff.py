"""Diff mode (`check --diff-base REF`): keep only the findings a change introduced.

The change is everything between the merge base of REF and HEAD and the working tree:
commits on the branch, staged and unstaged edits, and untracked files (not ignored ones).
Renames are followed, so a moved file reports only the lines that were edited in it; a
file git sees as new, and an untracked one, count as a whole.

A finding belongs to the change when a line of its span was added or changed, or when
lines were deleted inside its span (removing `"clerk_org_id": org_id,` from a filter
spread over several lines leaves the faulty call's first line untouched, yet the fault
is new). The analysis itself always runs on every file: the project-wide facts a finding
depends on do not shrink with the diff.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from orgscope_lint.findings import Finding, Span


class DiffError(Exception):
    """Why diff mode cannot run: not a git work tree, an unknown revision, no git."""


@dataclass(frozen=True)
class FileChanges:
    """What changed in one file, in the working tree's line numbers."""

    whole: bool = False  # new or untracked: every line is new
    lines: frozenset[int] = frozenset()  # added or changed lines
    # Lines were deleted between line n and line n + 1 (n = 0: at the top).
    deletions: frozenset[int] = frozenset()

    def touches(self, span: Span) -> bool:
        if self.whole:
            return True
        end = max(span.end_line, span.line)
        if any(line in self.lines for line in range(span.line, end + 1)):
            return True
        return any(span.line <= gap < end for gap in self.deletions)


@dataclass(frozen=True)
class Changes:
    """The changed files of a work tree, keyed by their real absolute path."""

    files: Mapping[str, FileChanges] = field(default_factory=dict)

    def touches(self, finding: Finding, cwd: Path) -> bool:
        changes = self.files.get(os.path.realpath(cwd / finding.path))
        return changes is not None and changes.touches(finding.span)

    def keep(self, findings: Iterable[Finding], cwd: Path) -> list[Finding]:
        return [finding for finding in findings if self.touches(finding, cwd)]


def changes_since(ref: str, where: Path) -> Changes:
    """The lines changed in the work tree holding `where` since its merge base with `ref`.

    Four git commands, the last two at once: starting each costs a few milliseconds of
    a pull request run. The checks that name what is wrong (an unknown revision, a
    branch without commits, unrelated histories) run only when the merge base fails."""
    cwd = where if where.is_dir() else where.parent
    found = _run_git(["rev-parse", "--is-inside-work-tree", "--show-toplevel"], cwd)
    inside, _, top_line = found.stdout.decode("utf-8", "surrogateescape").partition("\n")
    if inside != "true":
        raise DiffError(f"--diff-base needs a git work tree; {cwd.resolve()} is not inside one")
    if found.returncode != 0:
        raise DiffError("--diff-base: no work tree" + _detail(found))
    top = Path(top_line.strip())
    base = _merge_base(ref, top)
    diff_args = [
        "-c",
        "core.quotepath=off",
        "diff",
        "-U0",
        "--no-color",
        "--no-ext-diff",
        "--no-textconv",
        "-M",
        "--src-prefix=a/",
        "--dst-prefix=b/",
        base,
        "--",
    ]
    untracked_args = ["ls-files", "--others", "--exclude-standard", "-z"]
    diffed, listed = _run_git_together([diff_args, untracked_args], top)
    diff = _output(diffed, "--diff-base: git diff failed")
    listing = _output(listed, "--diff-base: cannot list untracked files")
    files = {_real(top, path): changes for path, changes in parse_diff(diff).items()}
    for path in listing.split("\0"):
        if path:
            files[_real(top, path)] = FileChanges(whole=True)
    return Changes(files)


def _merge_base(ref: str, top: Path) -> str:
    """The merge base of `ref` and HEAD; when there is none, why (as a `DiffError`)."""
    if not ref or ref.startswith("-"):  # never let a revision pass for an option
        raise DiffError(f"--diff-base: unknown git revision `{ref}`")
    found = _run_git(["merge-base", f"{ref}^{{commit}}", "HEAD"], top)
    if found.returncode == 0:
        return found.stdout.decode("utf-8", "surrogateescape").strip()
    commit = _resolve(ref, top)
    if not _git_ok(["rev-parse", "--verify", "--quiet", "HEAD"], top):
        raise DiffError("--diff-base: HEAD has no commit yet, so there is nothing to compare")
    return _git(
        ["merge-base", commit, "HEAD"],
        top,
        f"--diff-base: `{ref}` and HEAD have no common ancestor",
    ).strip()


# -- parsing `git diff -U0` -------------------------------------------------------------

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(?P<start>\d+)(?:,(?P<count>\d+))? @@")


def parse_diff(text: str) -> dict[str, FileChanges]:
    """Changed lines per new path (relative to the repository top) of a unified diff."""
    result: dict[str, FileChanges] = {}
    path: str | None = None
    created = in_header = False
    lines: set[int] = set()
    deletions: set[int] = set()

    def close() -> None:
        if path is not None:
            result[path] = FileChanges(created, frozenset(lines), frozenset(deletions))

    for line in text.splitlines():
        if line.startswith("diff --git "):
            close()
            path, created, in_header = None, False, True
            lines, deletions = set(), set()
        elif in_header and line.startswith("--- "):
            # Only in a file's header: inside a hunk, "--- x" is a deleted line "-- x".
            created = line == "--- /dev/null"
        elif in_header and line.startswith("+++ "):
            path = _new_path(line[4:])
        elif line.startswith("@@"):
            in_header = False
            _add_hunk(line, lines, deletions)
    close()
    return result


def _add_hunk(header: str, lines: set[int], deletions: set[int]) -> None:
    match = _HUNK.match(header)
    if match is None:
        return
    start = int(match.group("start"))
    count = int(match.group("count") or 1)
    if count:
        lines.update(range(start, start + count))
    else:  # lines removed, none added: `start` is the line before the gap
        deletions.add(start)


def _new_path(target: str) -> str | None:
    if target == "/dev/null":
        return None  # a deleted file has no line left to report on
    # git ends the name with a tab when it holds a space, so that patch can parse it.
    if target.endswith("\t"):
        target = target[:-1]
    if target.startswith('"'):
        target = unquote_c_style(target)
    return target[2:] if target.startswith("b/") else target


def unquote_c_style(quoted: str) -> str:
    """A path as git quotes an unusual one: `"tab\\there"`, octal escapes for bytes."""
    escapes = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}
    body = quoted[1:-1] if quoted.endswith('"') and len(quoted) > 1 else quoted[1:]
    out = bytearray()
    index = 0
    while index < len(body):
        char = body[index]
        if char != "\\" or index + 1 == len(body):
            out += char.encode("utf-8", "surrogateescape")
            index += 1
            continue
        following = body[index + 1]
        if following in "01234567":
            out.append(int(body[index + 1 : index + 4], 8) & 0xFF)
            index += 4
        else:
            out.append(escapes.get(following, ord(following)))
            index += 2
    return out.decode("utf-8", "surrogateescape")


# -- git --------------------------------------------------------------------------------


def _resolve(ref: str, top: Path) -> str:
    unknown = f"--diff-base: unknown git revision `{ref}`"
    if not ref or ref.startswith("-"):  # never let a revision pass for an option
        raise DiffError(unknown)
    return _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], top, unknown).strip()


def _real(top: Path, relative: str) -> str:
    return os.path.realpath(top / relative)


def _git(args: list[str], cwd: Path, failure: str) -> str:
    return _output(_run_git(args, cwd), failure)


def _output(completed: subprocess.CompletedProcess[bytes], failure: str) -> str:
    if completed.returncode != 0:
        raise DiffError(failure + _detail(completed))
    return completed.stdout.decode("utf-8", "surrogateescape")


def _detail(completed: subprocess.CompletedProcess[bytes]) -> str:
    """The last line git wrote on stderr, in parentheses."""
    detail = completed.stderr.decode("utf-8", "replace").strip().splitlines()
    return f" ({detail[-1]})" if detail else ""


def _git_ok(args: list[str], cwd: Path) -> bool:
    return _run_git(args, cwd).returncode == 0


def _run_git(args: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    return _run_git_together([args], cwd)[0]


def _run_git_together(
    commands: list[list[str]], cwd: Path
) -> list[subprocess.CompletedProcess[bytes]]:
    """Each git command (arguments), all started at once, once finished."""
    started: list[subprocess.Popen[bytes]] = []
    try:
        for args in commands:
            started.append(
                subprocess.Popen(
                    ["git", *args],
                    cwd=cwd,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                )
            )
        done = []
        for process in started:
            out, err = process.communicate()
            done.append(subprocess.CompletedProcess(process.args, process.returncode, out, err))
        return done
    except FileNotFoundError:
        raise DiffError("--diff-base needs git, and no `git` command was found") from None
    except NotADirectoryError:
        raise DiffError(f"--diff-base: {cwd} is not a directory") from None
    finally:
        for process in started:
            if process.returncode is None:
                process.kill()
                process.wait()
