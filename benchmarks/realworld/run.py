"""Run orgscope-lint on real multi-tenant backends and score its findings against labels.

    python benchmarks/realworld/run.py                          # clone each project, run, score
    python benchmarks/realworld/run.py --checkout suna=~/src/suna   # use a local checkout
    python benchmarks/realworld/run.py --json results.json      # also write the numbers
    python benchmarks/realworld/run.py --unlabeled              # label skeletons for new findings

Each project of `manifest.toml` is fetched at its commit (a shallow fetch of that one sha
into `--work DIR`, by default a cache directory outside the repository), its
`[project.config]` is written as `orgscope.toml` at the checkout root (replacing one that
is there), and `orgscope-lint check --output-format json --no-cache` runs on its `paths`
from the checkout root. Every finding is matched to `labels/<project>.toml` by key (see
`scoring.py`); findings with no label are listed, never silently counted.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

sys.path.insert(0, str(Path(__file__).resolve().parent))

import scoring

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    manifest = _load_manifest(Path(args.manifest))
    checkouts = dict(_pair(text) for text in args.checkout)
    unknown = (set(checkouts) | set(args.project or ())) - {p["name"] for p in manifest}
    if unknown:
        raise SystemExit(f"not in the manifest: {', '.join(sorted(unknown))}")
    work = Path(args.work) if args.work else Path(tempfile.gettempdir()) / "orgscope-realworld"
    projects = [p for p in manifest if not args.project or p["name"] in args.project]

    rows: list[tuple[str, str, str, scoring.Label | None]] = []
    unlabeled: list[tuple[str, scoring.Key, dict]] = []
    stale: list[tuple[str, scoring.Label]] = []
    listed: set[scoring.Key] = set()  # the sites findings list as related locations
    for project in projects:
        name = project["name"]
        root = Path(checkouts[name]) if name in checkouts else _clone(project, work / name)
        findings = _run_tool(root, project)
        labels_file = Path(args.labels) / f"{name}.toml"
        labels = _read_labels(labels_file)
        keys = [scoring.finding_key(f, _source(root / f["path"])) for f in findings]
        matched, project_stale = scoring.match(keys, labels)
        for finding, key, label in zip(findings, keys, matched, strict=True):
            rows.append((name, finding["code"], finding["severity"], label))
            if label is None:
                unlabeled.append((name, key, finding))
        stale.extend((name, label) for label in project_stale)
        source_of = functools.partial(_source_in, root)
        for finding in findings:
            listed |= scoring.related_keys(finding, source_of)

    scores = scoring.score(rows)
    if args.unlabeled:
        for _name, key, finding in unlabeled:
            print(scoring.label_skeleton(key, finding["message"], finding["line"]))
        return 0
    _print_tables(scores)
    _print_lists(unlabeled, stale, listed)
    if args.json:
        report = _as_json(scores, unlabeled, stale, listed)
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--manifest", default=str(HERE / "manifest.toml"))
    parser.add_argument("--labels", default=str(HERE / "labels"), help="labels directory")
    parser.add_argument("--work", help="where clones are cached (default: a temp directory)")
    parser.add_argument(
        "--checkout", action="append", default=[], metavar="NAME=PATH",
        help="use an existing checkout of project NAME instead of cloning",
    )  # fmt: skip
    parser.add_argument("--project", action="append", help="only this project (repeatable)")
    parser.add_argument("--json", metavar="FILE", help="also write the scores as JSON")
    parser.add_argument(
        "--unlabeled", action="store_true",
        help="print a label skeleton for every unlabeled finding, nothing else",
    )  # fmt: skip
    return parser


_PROJECT_KEYS = {"name": str, "repository": str, "commit": str, "paths": list}


def _load_manifest(path: Path) -> list[dict]:
    """The manifest's projects; a missing or mistyped key stops the run with its name."""
    try:
        projects = tomllib.loads(path.read_text(encoding="utf-8")).get("project", [])
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise SystemExit(f"{path}: {error}") from None
    if not projects:
        raise SystemExit(f"{path}: no [[project]] table")
    for number, project in enumerate(projects, 1):
        for key, kind in _PROJECT_KEYS.items():
            if not isinstance(project.get(key), kind):
                raise SystemExit(f"{path}: project {number} needs {key} ({kind.__name__})")
    return projects


def _pair(text: str) -> tuple[str, str]:
    name, sep, path = text.partition("=")
    if not sep or not name or not path:
        raise SystemExit(f"--checkout takes NAME=PATH, not {text!r}")
    return name, os.path.expanduser(path)


def _clone(project: dict, target: Path) -> Path:
    """A shallow checkout of exactly the manifest's commit, reused when already there."""
    commit = project["commit"]
    if (target / ".git").is_dir() and _git(target, "rev-parse", "HEAD").strip() == commit:
        return target
    target.mkdir(parents=True, exist_ok=True)
    if not (target / ".git").is_dir():
        _git(target, "init", "-q")
        _git(target, "remote", "add", "origin", project["repository"])
    _git(target, "fetch", "-q", "--depth", "1", "origin", commit)
    _git(target, "checkout", "-q", "--force", "FETCH_HEAD")
    return target


def _git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"git {' '.join(args)} failed in {cwd}:\n{done.stderr}")
    return done.stdout


def _run_tool(root: Path, project: dict) -> list[dict]:
    (root / "orgscope.toml").write_text(_toml(project.get("config", {})), encoding="utf-8")
    command = [
        sys.executable, "-m", "orgscope_lint", "check", "--output-format", "json",
        "--no-cache", "--exit-zero", "--quiet", *project["paths"],
    ]  # fmt: skip
    done = subprocess.run(command, cwd=root, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(
            f"{project['name']}: orgscope-lint exited {done.returncode}\n{done.stderr}"
        )
    return json.loads(done.stdout)["findings"]


def _toml(config: dict) -> str:
    """The config table as TOML; values are strings, lists of strings or string tables."""
    lines = []
    for key, value in config.items():
        if isinstance(value, dict):
            items = ", ".join(f"{json.dumps(k)} = {_value(v)}" for k, v in value.items())
            lines.append(f"{key} = {{ {items} }}")
        else:
            lines.append(f"{key} = {_value(value)}")
    return "\n".join(lines) + "\n"


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)


def _read_labels(path: Path) -> list[scoring.Label]:
    if not path.is_file():
        return []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return scoring.parse_labels(data.get("finding", []), origin=str(path))
    except (tomllib.TOMLDecodeError, ValueError) as error:
        raise SystemExit(f"{path}: {error}") from None


def _source_in(root: Path, path: str) -> str | None:
    return _source(root / path)


def _source(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _print_tables(scores: scoring.Scores) -> None:
    header = (
        f"{'':28}{'findings':>9}{'leak':>6}{'DiD':>5}{'false':>6}{'unlab':>6}"
        f"{'err L/F/D':>12}{'prec':>7}{'strict':>7}"
    )

    def row(title: str, tally: scoring.Tally) -> str:
        errors = f"{tally.error_leak}/{tally.error_false}/{tally.error_defense}"
        return (
            f"{title:28}{tally.findings:>9}{tally.leak:>6}{tally.defense:>5}{tally.false:>6}"
            f"{tally.unlabeled:>6}{errors:>12}{scoring.format_ratio(tally.precision):>7}"
            f"{scoring.format_ratio(tally.strict):>7}"
        )

    for title, table in (
        ("per project", {name: t for name, t in scores.by_project.items()}),
        ("per project and context", {f"{p} {c}": t for (p, c), t in scores.by_context.items()}),
        ("per project and rule", {f"{p} {c}": t for (p, c), t in scores.by_rule.items()}),
    ):
        print(f"{title}\n{header}\n{'-' * len(header)}")
        for name in sorted(table):
            print(row(name, table[name]))
        print()
    print(row("all projects", scores.total))
    print(
        "\nprec = leak / (leak + false) over error-severity findings (defense-in-depth left"
        "\nout); strict counts defense-in-depth as false. err L/F/D: error-severity leak /"
        "\nfalse / defense-in-depth."
    )


def _print_lists(
    unlabeled: list[tuple[str, scoring.Key, dict]],
    stale: list[tuple[str, scoring.Label]],
    listed: set[scoring.Key],
) -> None:
    if unlabeled:
        print(f"\n{len(unlabeled)} unlabeled findings (run with --unlabeled for a skeleton):")
        for name, key, finding in unlabeled:
            print(f"  {name}: {key.path}:{finding['line']} {key.code} in {key.function}")
    if stale:
        among = sum(label.key in listed for _, label in stale)
        print(
            f"\n{len(stale)} labels match no finding (the site is no longer reported; "
            f"{among} of them listed as a related location of a finding):"
        )
        for name, label in stale:
            key = label.key
            where = " (related location)" if key in listed else ""
            print(f"  {name}: {key.path} {key.code} in {key.function} [{label.verdict}]{where}")


def _as_json(
    scores: scoring.Scores,
    unlabeled: list[tuple[str, scoring.Key, dict]],
    stale: list[tuple[str, scoring.Label]],
    listed: set[scoring.Key],
) -> dict:
    return {
        "by_project": {name: t.as_dict() for name, t in scores.by_project.items()},
        "by_context": {f"{p}/{c}": t.as_dict() for (p, c), t in scores.by_context.items()},
        "by_rule": {f"{p}/{c}": t.as_dict() for (p, c), t in scores.by_rule.items()},
        "total": scores.total.as_dict(),
        "unlabeled": [
            {
                "project": n,
                "path": k.path,
                "line": f["line"],
                "code": k.code,
                "function": k.function,
            }
            for n, k, f in unlabeled
        ],
        "stale_labels": [
            {"project": n, "path": lb.key.path, "code": lb.key.code, "function": lb.key.function,
             "verdict": lb.verdict, "related_location": lb.key in listed}
            for n, lb in stale
        ],
    }  # fmt: skip


if __name__ == "__main__":
    raise SystemExit(main())
