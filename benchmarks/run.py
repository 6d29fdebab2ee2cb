"""Time orgscope-lint against semgrep, Fixit and the LibCST parse floor, side by side.

    python benchmarks/run.py                       # sizes 20000,100000,400000, 5 runs
    python benchmarks/run.py --quick               # sizes 20000, 3 runs
    python benchmarks/run.py --sizes 20000,100000 --runs 3 --json results.json

For each corpus size (generated with benchmarks/generate.py, seeded) every variant runs as
a whole process, round-robin: repetition 1 of every variant, then repetition 2, ..., with
the order rotated each time, so that a slow phase of the machine hits every tool alike.
Wall clock comes from `time.perf_counter` around the child, peak RSS from `os.wait4` (the
largest single process of the child's tree, not their sum).

Variants of orgscope-lint are picked from `orgscope-lint check --help`, so the script
works whether or not the engine has `--no-cache`, `--jobs` and `--cache-dir`:
cold (no cache), warm (cache filled by an untimed run, nothing changed), pre-commit
(five files named on the command line, warm cache, run again), cold with `--jobs 1`,
and on a git copy of the corpus: the hook right after a full run (before each run one
other file is edited and `check .` runs untimed, as before a commit) and a pull request
(`--diff-base HEAD` with ten files edited anew before each run, warm cache). Each
`--compare LABEL=EXE` times another build beside it (before/after a change).

Corpora: a whole backend (`--sizes`) and a DB-dense one (`--dense-sizes`: the API layer
alone, where nearly every file and function touches the database).
Semgrep runs with `benchmarks/semgrep_rules.yml`, offline (`--metrics=off`, no version
check, a local rule file); Fixit with the one rule in `benchmarks/fixit_rules/`; the
floor is one Python process that parses every file with `libcst.parse_module`.

Nothing here asserts a time: it is a measuring script, not a test.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402  (the generator beside this script)

SEMGREP_RULES = HERE / "semgrep_rules.yml"
FIXIT_RULES = HERE / "fixit_rules"
FIXIT_RULE = "org001_literal_filter"
PRE_COMMIT_FILES = 5
DIFF_FILES = 10

# One process, every .py file of the corpus through LibCST's parser: the floor any
# LibCST-based analysis pays.
FLOOR_SCRIPT = """
import sys
from pathlib import Path

import libcst

count = 0
for path in sorted(Path(sys.argv[1]).rglob("*.py")):
    if any(part.startswith(".") for part in path.parts):
        continue
    libcst.parse_module(path.read_bytes())
    count += 1
print(count)
"""


@dataclass
class Run:
    seconds: float
    max_rss_kb: int
    returncode: int
    timed_out: bool = False
    error: str = ""  # last line of stderr when the exit code says the run failed


@dataclass
class Variant:
    name: str
    argv: list[str]
    cwd: Path
    env: dict[str, str] = field(default_factory=dict)
    output: Path | None = None  # where the tool writes its findings
    stdout_is_output: bool = False  # the tool prints its findings: save stdout as `output`
    parse: Callable[[Path, Path], list[tuple[str, int, int]]] | None = None
    ok_codes: tuple[int, ...] = (0, 1)
    note: str = ""
    runs: list[Run] = field(default_factory=list)
    prepare: Callable[[int], None] | None = None  # untimed, before each run (its number)
    warm_up: Callable[[], None] | None = None  # untimed, once before all runs
    partial: bool = False  # reports on a few files: no lines/s, no planted count


@dataclass
class Result:
    corpus: str  # "mixed" (a whole backend) or "dense" (its API layer alone)
    size: int
    lines: int
    files: int
    tool: str
    argv: list[str]
    note: str
    runs: list[dict[str, object]]
    median_s: float | None
    min_s: float | None
    max_s: float | None
    peak_rss_mb: float | None
    lines_per_s: float | None
    vs_semgrep: float | None = None
    vs_floor: float | None = None
    findings: int | None = None
    planted_found: int | None = None
    planted: int | None = None
    failed: str = ""


# --------------------------------------------------------------------------------------
# Measuring one process


def measure(variant: Variant, timeout: float) -> Run:
    """Run the variant once as a child process; wall time and peak RSS of its tree."""
    if variant.prepare is not None:
        variant.prepare(len(variant.runs))
    env = {**os.environ, **variant.env}
    stdout_path = variant.output if variant.stdout_is_output and variant.output else None
    with (
        tempfile.TemporaryFile() as stderr,
        open(stdout_path or os.devnull, "wb") as stdout,
    ):
        started = time.perf_counter()
        proc = subprocess.Popen(
            variant.argv,
            cwd=variant.cwd,
            env=env,
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,
        )
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        elapsed = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        error = ""
        if proc.returncode not in variant.ok_codes:
            stderr.seek(0)
            lines = stderr.read().decode("utf-8", "replace").strip().splitlines()
            error = lines[-1][:200] if lines else ""
    return Run(elapsed, int(usage.ru_maxrss), proc.returncode, timed_out.is_set(), error)


def run_untimed(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        argv,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout + done.stderr


# --------------------------------------------------------------------------------------
# Findings of each tool, as (path, first line, last line)


def orgscope_findings(output: Path, corpus: Path) -> list[tuple[str, int, int]]:
    data = json.loads(output.read_text(encoding="utf-8"))
    return [
        (_rel(f["path"], corpus), f["line"], f.get("end_line") or f["line"])
        for f in data["findings"]
        if not f.get("suppressed")
    ]


def semgrep_findings(output: Path, corpus: Path) -> list[tuple[str, int, int]]:
    data = json.loads(output.read_text(encoding="utf-8"))
    return [
        (_rel(r["path"], corpus), r["start"]["line"], r["end"]["line"]) for r in data["results"]
    ]


_FIXIT_LINE = re.compile(r"^(?P<path>\S+?\.py)@(?P<line>\d+):\d+ ", re.MULTILINE)


def fixit_findings(output: Path, corpus: Path) -> list[tuple[str, int, int]]:
    text = output.read_text(encoding="utf-8", errors="replace")
    return [
        (_rel(m["path"], corpus), int(m["line"]), int(m["line"]))
        for m in _FIXIT_LINE.finditer(text)
    ]


def _rel(path: str, corpus: Path) -> str:
    p = Path(path)
    if p.is_absolute():
        try:
            return p.resolve().relative_to(corpus.resolve()).as_posix()
        except ValueError:
            return p.as_posix()
    return p.as_posix().removeprefix("./")


def planted_found(findings: list[tuple[str, int, int]], planted: list[dict[str, object]]) -> int:
    """Planted bugs that some finding covers (its line range holds the planted line)."""
    by_path: dict[str, list[tuple[int, int]]] = {}
    for path, first, last in findings:
        by_path.setdefault(path, []).append((first, last))
    hit = 0
    for bug in planted:
        spans = by_path.get(str(bug["path"]), [])
        line = int(bug["line"])  # type: ignore[call-overload]
        if any(first <= line <= last for first, last in spans):
            hit += 1
    return hit


# --------------------------------------------------------------------------------------
# Tools and variants


@dataclass
class Tools:
    python: str
    orgscope: str | None
    semgrep: str | None
    fixit: str | None
    options: set[str]
    # Other builds of orgscope-lint timed beside this one: (label, executable, options).
    others: list[tuple[str, str, set[str]]] = field(default_factory=list)

    @classmethod
    def find(cls, args: argparse.Namespace) -> Tools:
        bindir = Path(sys.executable).parent

        def locate(explicit: str | None, name: str) -> str | None:
            if explicit:
                return explicit
            sibling = bindir / name
            return str(sibling) if sibling.exists() else shutil.which(name)

        def options_of(exe: str) -> set[str]:
            help_text = run_untimed([exe, "check", "--help"], Path.cwd())
            return set(re.findall(r"(--[a-z][a-z-]+)", help_text))

        orgscope = locate(args.orgscope, "orgscope-lint")
        others = []
        for spec in args.compare or []:
            label, _, exe = spec.partition("=")
            others.append((label, exe, options_of(exe)))
        return cls(
            sys.executable,
            orgscope,
            locate(args.semgrep, "semgrep"),
            locate(args.fixit, "fixit"),
            options_of(orgscope) if orgscope else set(),
            others,
        )

    def versions(self) -> dict[str, str]:
        found = {"python": platform.python_version()}
        try:
            from importlib.metadata import version

            found["libcst"] = version("libcst")
        except Exception:  # pragma: no cover - libcst missing from this interpreter
            found["libcst"] = "not installed"
        for name, exe in (
            ("orgscope-lint", self.orgscope),
            *((f"orgscope-lint@{label}", exe) for label, exe, _ in self.others),
            ("semgrep", self.semgrep),
            ("fixit", self.fixit),
        ):
            if exe is None:
                found[name] = "not found"
                continue
            text = run_untimed([exe, "--version"], Path.cwd(), SEMGREP_ENV)
            match = re.search(r"\d+\.\d+(?:\.\d+)?\S*", text)
            found[name] = match.group(0) if match else text.strip()[:60]
        return found


SEMGREP_ENV = {"SEMGREP_ENABLE_VERSION_CHECK": "0", "SEMGREP_SEND_METRICS": "off"}


def variants(
    tools: Tools, corpus: Path, work: Path, manifest: dict[str, object], args: argparse.Namespace
) -> tuple[list[Variant], list[str]]:
    """The variants to time on one corpus, and notes on what was left out and why."""
    out: list[Variant] = []
    notes: list[str] = []
    lines = int(manifest["total_lines"])  # type: ignore[call-overload]
    out.append(Variant("libcst parse floor", [tools.python, "-c", FLOOR_SCRIPT, "."], corpus))

    if tools.orgscope is None:
        notes.append("orgscope-lint: not found")
    builds = [("", tools.orgscope, tools.options)] if tools.orgscope else []
    builds += [(f"@{label}", exe, options) for label, exe, options in tools.others]
    repo = scenario_repo(corpus, work, manifest, args.seed) if builds else None
    if builds and repo is None:
        notes.append("orgscope hook after a full run, diff: git not found")
    for tag, exe, options in builds:
        out.extend(orgscope_variants(tag, exe, options, corpus, work, manifest, repo, args))

    if tools.semgrep is None:
        notes.append("semgrep: not found (pip install semgrep)")
    else:
        output = work / "semgrep.json"
        out.append(
            Variant(
                "semgrep",
                [
                    tools.semgrep,
                    "scan",
                    "--config",
                    str(SEMGREP_RULES),
                    "--metrics=off",
                    "--disable-version-check",
                    "--quiet",
                    "--json",
                    "-o",
                    str(output),
                    ".",
                ],
                corpus,
                env=SEMGREP_ENV,
                output=output,
                parse=semgrep_findings,
                note=f"{SEMGREP_RULES.name}: 3 rules",
            )
        )

    if tools.fixit is None:
        notes.append("fixit: not found (pip install fixit); skipped")
    elif lines > args.fixit_max_lines:
        notes.append(
            f"fixit: skipped at {lines} lines (over --fixit-max-lines {args.fixit_max_lines})"
        )
    else:
        output = work / "fixit.txt"
        out.append(
            Variant(
                "fixit",
                [tools.fixit, "--rules", FIXIT_RULE, "lint", "."],
                corpus,
                env={"PYTHONPATH": str(FIXIT_RULES)},
                output=output,
                stdout_is_output=True,
                parse=fixit_findings,
                note="1 rule (ORG001 on literal filters)",
            )
        )
    return out, notes


def orgscope_variants(
    tag: str,
    exe: str,
    options: set[str],
    corpus: Path,
    work: Path,
    manifest: dict[str, object],
    repo: ScenarioRepo | None,
    args: argparse.Namespace,
) -> list[Variant]:
    """The variants of one build of orgscope-lint (`tag` is "" or "@label")."""
    has = options.__contains__
    base = [exe, "check", "--output-format", "json", "--exit-zero"]
    cache_dir = work / f"orgscope-cache{tag}"
    cache = ["--cache-dir", str(cache_dir)] if has("--cache-dir") else []
    out: list[Variant] = []

    def orgscope(name: str, extra: list[str], paths: list[str], note: str = "") -> Variant:
        name = f"orgscope{tag} {name}"
        output = work / f"{re.sub(r'[^a-z0-9]+', '-', name)}.json"
        return Variant(
            name,
            [*base, "-o", str(output), *extra, *paths],
            corpus,
            output=output,
            parse=orgscope_findings,
            note=note,
        )

    if has("--no-cache"):
        out.append(orgscope("cold", ["--no-cache"], ["."]))
    else:
        out.append(orgscope("cold", [], ["."], "no --no-cache option: as is"))
    if has("--jobs"):
        no_cache = ["--no-cache"] if has("--no-cache") else []
        out.append(orgscope("cold --jobs 1", [*no_cache, "--jobs", "1"], ["."]))
    warm_note = "" if has("--cache-dir") or has("--no-cache") else "no cache option: rerun"
    warm = orgscope("warm", cache, ["."], warm_note)
    warm.warm_up = lambda: run_untimed(warm.argv, corpus)
    out.append(warm)
    files = pre_commit_files(manifest, args.seed)
    hook = orgscope("pre-commit (5 files)", cache, files, warm_note or "warm cache, rerun")
    hook.partial = True
    out.append(hook)
    if repo is None or not has("--cache-dir"):
        return out

    # A checkout has its cache of its own (one findings entry, one context index each):
    # sharing the corpus's would make every "warm" run above a miss.
    repo_cache_dir = work / f"orgscope-cache{tag}-repo"
    repo_cache = ["--cache-dir", str(repo_cache_dir)]
    after = orgscope("hook after a full run", repo_cache, files, "5 files")
    after.cwd, after.partial = repo.root, True
    full = [exe, "check", "--exit-zero", "-q", *repo_cache, "."]

    def fill_from_corpus() -> None:
        # The files' facts do not depend on the checkout: start from the corpus's.
        if cache_dir.is_dir() and not repo_cache_dir.exists():
            shutil.copytree(cache_dir, repo_cache_dir)
        run_untimed(full, repo.root)  # the cache as the main branch left it

    after.warm_up = fill_from_corpus

    def edit_then_check_all(number: int) -> None:
        # What a developer does before committing: edit, check the project, commit.
        repo.edit_other(number)
        run_untimed(full, repo.root)

    after.prepare = edit_then_check_all
    out.append(after)
    if has("--diff-base"):
        diff = orgscope(
            f"diff ({len(repo.changed)} files)", [*repo_cache, "--diff-base", "HEAD"], []
        )
        diff.cwd, diff.partial, diff.prepare = repo.root, True, repo.edit_changed
        diff.note = "warm cache; the changed files analysed anew each run"
        out.append(diff)
    return out


@dataclass
class ScenarioRepo:
    """A git copy of the corpus for the runs that need history or edits: a pull request
    that changes `changed` (a new tenant query without the key appended to each, and a
    new revision comment each run), and `other`, edited before each full check."""

    root: Path
    changed: list[str]
    other: str
    originals: dict[str, bytes]
    tables: list[str]  # tenant tables the new queries read
    # Every edit of `changed` is new, whichever build's run makes it: with the same bytes
    # as an earlier edit (the other build's run of the same number), a run could be
    # answered by the findings of a full check made since, and time nothing.
    edits: int = 0

    def edit_changed(self, number: int) -> None:
        self.edits += 1
        for index, rel in enumerate(self.changed):
            table = self.tables[index % len(self.tables)] if self.tables else "calls"
            added = (
                f"\n\ndef branch_change_{index}(db, item_id):\n"
                f'    return db.select_one("{table}", {{"id": item_id}})\n'
                f"# revision {number}, edit {self.edits}\n"
            )
            (self.root / rel).write_bytes(self.originals[rel] + added.encode("utf-8"))

    def edit_other(self, number: int) -> None:
        text = self.originals[self.other] + f"# revision {number}\n".encode()
        (self.root / self.other).write_bytes(text)


GIT_ENV = {
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    **{
        f"GIT_{role}_{key}": value
        for role in ("AUTHOR", "COMMITTER")
        for key, value in (("NAME", "bench"), ("EMAIL", "bench@example.com"))
    },
}


def scenario_repo(
    corpus: Path, work: Path, manifest: dict[str, object], seed: int
) -> ScenarioRepo | None:
    git = shutil.which("git")
    if git is None:
        return None
    root = work / "repo"
    shutil.copytree(corpus, root)
    for argv in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "corpus"]):
        subprocess.run([git, *argv], cwd=root, env={**os.environ, **GIT_ENV}, check=True)
    files = manifest["files"]
    assert isinstance(files, list)
    hook = set(pre_commit_files(manifest, seed))
    candidates = sorted(f["path"] for f in files if f["db"] and f["path"] not in hook)
    chosen = random.Random(seed + 1).sample(candidates, min(DIFF_FILES + 1, len(candidates)))
    originals = {rel: (root / rel).read_bytes() for rel in chosen}
    tables = [str(t) for t in manifest["tables"] if t != "organizations"]  # type: ignore[union-attr]
    return ScenarioRepo(root, sorted(chosen[1:]), chosen[0], originals, tables[:DIFF_FILES])


def pre_commit_files(manifest: dict[str, object], seed: int) -> list[str]:
    """Five files a commit might touch: database-touching modules, chosen by the seed."""
    files = manifest["files"]
    assert isinstance(files, list)
    candidates = sorted(
        f["path"] for f in files if f["db"] and str(f["path"]).startswith("app/api/")
    )
    return sorted(random.Random(seed).sample(candidates, min(PRE_COMMIT_FILES, len(candidates))))


# --------------------------------------------------------------------------------------
# One corpus size


def corpus_for(size: int, seed: int, base: Path, dense: bool) -> tuple[Path, dict[str, object]]:
    corpus = base / f"corpus-{size}-seed{seed}{'-dense' if dense else ''}"
    manifest_path = corpus / generate.MANIFEST
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if (
            manifest.get("target_lines"),
            manifest.get("seed"),
            manifest.get("generator"),
            manifest.get("dense", False),
        ) == (size, seed, generate.GENERATOR_VERSION, dense):
            return corpus, manifest
        shutil.rmtree(corpus)
    elif corpus.exists():
        shutil.rmtree(corpus)
    return corpus, generate.generate(corpus, size, seed, dense)


def bench_size(
    size: int, tools: Tools, base: Path, args: argparse.Namespace, dense: bool = False
) -> tuple[list[Result], list[str]]:
    corpus, manifest = corpus_for(size, args.seed, base, dense)
    work = base / f"work-{size}{'-dense' if dense else ''}"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    chosen, notes = variants(tools, corpus, work, manifest, args)
    if args.only:
        chosen = [v for v in chosen if any(word in v.name for word in args.only)]
    if args.skip:
        chosen = [v for v in chosen if not any(word in v.name for word in args.skip)]
    lines = int(manifest["total_lines"])  # type: ignore[call-overload]
    files = len(manifest["files"])  # type: ignore[arg-type]
    kind = "dense" if dense else "mixed"
    log(f"\n== {kind} {size} lines requested: {lines} lines, {files} files in {corpus}")

    # Warm variants need a full cache: one untimed run. Cold variants never write it.
    for variant in chosen:
        if variant.warm_up is not None:
            log(f"   {variant.name}: filling the cache (untimed)")
            variant.warm_up()

    for rep in range(args.runs):
        shift = rep % len(chosen)
        for variant in chosen[shift:] + chosen[:shift]:
            if variant.runs and variant.runs[-1].timed_out:
                continue  # one timeout is enough to know
            run = measure(variant, args.timeout)
            variant.runs.append(run)
            flag = " TIMEOUT" if run.timed_out else f" rc={run.returncode} {run.error}"
            log(
                f"   run {rep + 1}/{args.runs} {variant.name:32} {run.seconds:8.2f} s "
                f"{run.max_rss_kb / 1024:7.0f} MB{flag}"
            )
    results = [summarize(v, kind, size, lines, files, corpus, manifest) for v in chosen]
    ratios(results)
    return results, notes


def summarize(
    v: Variant,
    kind: str,
    size: int,
    lines: int,
    files: int,
    corpus: Path,
    manifest: dict[str, object],
) -> Result:
    good = [r for r in v.runs if not r.timed_out and r.returncode in v.ok_codes]
    failed = ""
    if any(r.timed_out for r in v.runs):
        failed = "timeout"
    elif len(good) < len(v.runs):
        bad = [r for r in v.runs if r.returncode not in v.ok_codes]
        failed = f"{len(bad)}/{len(v.runs)} runs exit {bad[-1].returncode}: {bad[-1].error}"
    times = [r.seconds for r in good]
    median = statistics.median(times) if times else None
    result = Result(
        corpus=kind,
        size=size,
        lines=lines,
        files=files,
        tool=v.name,
        argv=v.argv,
        note=v.note,
        runs=[asdict(r) for r in v.runs],
        median_s=median,
        min_s=min(times) if times else None,
        max_s=max(times) if times else None,
        peak_rss_mb=max(r.max_rss_kb for r in good) / 1024 if good else None,
        lines_per_s=lines / median if median and not v.partial else None,
        failed=failed,
    )
    planted = manifest["planted"]
    assert isinstance(planted, list)
    if v.parse and v.output and v.output.exists() and not failed:
        try:
            found = v.parse(v.output, corpus)
        except (ValueError, KeyError) as exc:
            result.failed = f"unreadable output: {exc}"
        else:
            result.findings = len(found)
            if not v.partial:
                result.planted_found = planted_found(found, planted)
                result.planted = len(planted)
    return result


def ratios(results: list[Result]) -> None:
    def median_of(name: str) -> float | None:
        return next((r.median_s for r in results if r.tool == name), None)

    semgrep, floor = median_of("semgrep"), median_of("libcst parse floor")
    for r in results:
        if r.median_s is None:
            continue
        r.vs_semgrep = r.median_s / semgrep if semgrep else None
        r.vs_floor = r.median_s / floor if floor else None


# --------------------------------------------------------------------------------------
# Report


def machine() -> dict[str, object]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        model = platform.processor()
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "cpu_count": os.cpu_count(),
        "cpus_usable": affinity,
        "cpu_model": model or platform.machine(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


def _fmt(value: float | None, spec: str, suffix: str = "") -> str:
    return "-" if value is None else f"{value:{spec}}{suffix}"


def table(results: list[Result]) -> str:
    header = (
        f"{'corpus':6} {'lines':>7}  {'tool':36} {'median':>8} {'min-max':>15} {'peak RSS':>9} "
        f"{'lines/s':>8} {'x semgrep':>9} {'x floor':>8} {'findings':>8} {'planted':>9}"
    )
    rows = [header, "-" * len(header)]
    for r in results:
        span = "-" if r.min_s is None else f"{r.min_s:.2f}-{r.max_s:.2f}"
        planted = "-" if r.planted_found is None else f"{r.planted_found}/{r.planted}"
        tool = r.tool + (" [FAILED]" if r.failed else "")
        rows.append(
            f"{r.corpus:6} {r.lines:>7}  {tool[:36]:36} "
            f"{_fmt(r.median_s, '.2f', ' s'):>8} {span:>15} "
            f"{_fmt(r.peak_rss_mb, '.0f', ' MB'):>9} {_fmt(r.lines_per_s, ',.0f'):>8} "
            f"{_fmt(r.vs_semgrep, '.2f', 'x'):>9} {_fmt(r.vs_floor, '.2f', 'x'):>8} "
            f"{_fmt(r.findings, 'd'):>8} {planted:>9}"
        )
    return "\n".join(rows)


def _load(values: object) -> str:
    return "/".join(f"{v:.1f}" for v in values) if isinstance(values, list) else "?"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="20000,100000,400000", help="corpus sizes in lines")
    parser.add_argument(
        "--dense-sizes",
        default="400000",
        help="sizes of the DB-dense corpus (the API layer alone); empty for none",
    )
    parser.add_argument("--runs", type=int, default=5, help="timed runs per variant and size")
    parser.add_argument("--quick", action="store_true", help="smoke run: --sizes 20000 --runs 3")
    parser.add_argument("--seed", type=int, default=1, help="corpus seed")
    parser.add_argument(
        "--corpus-dir", type=Path, help="keep corpora (and reuse them) here, not in a temp dir"
    )
    parser.add_argument("--json", type=Path, dest="json_out", help="also write results as JSON")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per run")
    parser.add_argument(
        "--fixit-max-lines",
        type=int,
        default=25_000,
        help="skip Fixit on larger corpora (it is an order of magnitude slower)",
    )
    parser.add_argument(
        "--only", action="append", help="time only variants whose name contains this"
    )
    parser.add_argument(
        "--skip", action="append", help="leave out variants whose name contains this"
    )
    parser.add_argument("--orgscope", help="orgscope-lint executable")
    parser.add_argument("--semgrep", help="semgrep executable")
    parser.add_argument("--fixit", help="fixit executable")
    parser.add_argument(
        "--compare",
        action="append",
        metavar="LABEL=EXE",
        help="also time another build of orgscope-lint, as orgscope@LABEL (before/after)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.dense_sizes, args.runs = "20000", "", 3

    def sizes(text: str) -> list[int]:
        return [int(s.replace("_", "")) for s in text.split(",") if s.strip()]

    args.size_list, args.dense_list = sizes(str(args.sizes)), sizes(str(args.dense_sizes))
    if args.runs < 1 or not (args.size_list or args.dense_list):
        parser.error("need at least one size and one run")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    tools = Tools.find(args)
    info = {"machine": machine(), "versions": tools.versions()}
    log(f"machine: {info['machine']}")
    log(f"versions: {info['versions']}")
    log(f"orgscope-lint check options seen: {sorted(tools.options)}")

    temp = None
    if args.corpus_dir:
        base = args.corpus_dir.resolve()
        base.mkdir(parents=True, exist_ok=True)
    else:
        temp = tempfile.TemporaryDirectory(prefix="orgscope-bench-")
        base = Path(temp.name)
    results: list[Result] = []
    notes: list[str] = []
    try:
        for size, dense in [(n, False) for n in args.size_list] + [
            (n, True) for n in args.dense_list
        ]:
            size_results, size_notes = bench_size(size, tools, base, args, dense)
            results.extend(size_results)
            notes.extend(f"{'dense ' if dense else ''}{size}: {n}" for n in size_notes)
    finally:
        if temp is not None:
            temp.cleanup()

    m = info["machine"]
    assert isinstance(m, dict)
    print(
        f"machine: {m['cpu_model']}, {m['cpu_count']} CPUs, Python {m['python']}; "
        f"{', '.join(f'{k} {v}' for k, v in info['versions'].items())}"
    )
    load_end = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    info["load_average_end"] = load_end
    print(
        f"{args.runs} runs per variant, round-robin; median, min-max wall clock; "
        f"load average {_load(m.get('load_average'))} at start, {_load(load_end)} at end"
    )
    print(table(results))
    for note in notes:
        print(f"note: {note}")
    for r in results:
        if r.note:
            print(f"note: {r.corpus} {r.lines} lines, {r.tool}: {r.note}")
        if r.failed:
            print(f"FAILED: {r.corpus} {r.lines} lines, {r.tool}: {r.failed}")
    if args.json_out:
        payload = {
            **info,
            "runs": args.runs,
            "seed": args.seed,
            "sizes": args.size_list,
            "dense_sizes": args.dense_list,
            "notes": notes,
            "results": [asdict(r) for r in results],
        }
        args.json_out.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
