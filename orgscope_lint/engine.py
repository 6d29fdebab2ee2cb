"""The pipeline, top to bottom: files -> facts -> project -> findings -> suppressions.

Read this module first: every other module is one step of it.
"""

from __future__ import annotations

import contextlib
import gc
import os
import threading
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from orgscope_lint import dependency_aliases
from orgscope_lint.analysis import analyze_module, relevance_pattern
from orgscope_lint.analysis.identity import mentions_token_check
from orgscope_lint.analysis.system_context import mentions_signature
from orgscope_lint.config import Config
from orgscope_lint.context import Lookup, Stamp, file_digest, look_up, rest_summaries, stamps
from orgscope_lint.crash import InternalError
from orgscope_lint.discovery import Discovered, discover_configured
from orgscope_lint.facts import FileError, FileFacts, ModuleLinks
from orgscope_lint.findings import Finding, Span
from orgscope_lint.paths import resolved
from orgscope_lint.project import Project, build_project, summary_facts
from orgscope_lint.rule import Rule
from orgscope_lint.rules import ALL_RULES
from orgscope_lint.schema import Migrations, Schema, read_migrations, replay
from orgscope_lint.sources import SourceText, Unreadable, parse_python_walked
from orgscope_lint.suppressions import apply_suppressions, parse_directives

if TYPE_CHECKING:
    from orgscope_lint.aside import Aside
    from orgscope_lint.cache import FactsCache
    from orgscope_lint.fix_edits import LibcstRead


# Allocations between two young collections (CPython's default: 700), and young
# collections between two middle ones, middle between two full ones (default: 10, 10).
# Analysing a file allocates millions of short-lived nodes and values, which reference
# counting frees; at the defaults every few hundred of them start a collection, and
# the older generations (every fact of the run so far) are walked over and over.
COLLECTION_THRESHOLDS = (20_000, 50, 100)


def tune_collector() -> None:
    """Fewer garbage collections in a process that analyses files (about 9 % of a cold
    run on the DB-dense corpus, for 1 % more memory): everything imported so far lives
    as long as the process and leaves the collector's walks (`gc.freeze`), and the
    collections come at `COLLECTION_THRESHOLDS`."""
    gc.freeze()
    gc.set_threshold(*COLLECTION_THRESHOLDS)


@dataclass
class RunResult:
    findings: list[Finding]  # sorted; suppressed ones included and flagged
    files_checked: int
    project: Project
    facts: list[FileFacts] = field(default_factory=list)
    # The cache the run used, for what the caller derives from its findings (fix edits).
    cache: FactsCache | None = None
    # The digest of the bytes each file's facts come from, by display path.
    digests: dict[str, str] = field(default_factory=dict)

    def libcst_reads(self) -> dict[str, LibcstRead]:
        """The files LibCST read all of but some top-level statements: the digest of the
        bytes it read, those statements' lines (`FileFacts.unparsed`) and the lines of
        every top-level statement (`FileFacts.statements`)."""
        return {
            facts.path: (self.digests[facts.path], facts.unparsed, facts.statements)
            for facts in self.facts
            if facts.unparsed is not None
            and facts.statements is not None
            and facts.path in self.digests
        }

    @property
    def active(self) -> list[Finding]:
        return [f for f in self.findings if not f.suppressed]


def select_rules(
    select: Sequence[str] = (), ignore: Sequence[str] = (), strict: bool = False
) -> tuple[type[Rule], ...]:
    """Rules whose code starts with a selected prefix and with no ignored prefix."""

    def matches(code: str, prefixes: Sequence[str]) -> bool:
        return any(code.startswith(p.upper()) for p in prefixes)

    chosen = []
    for rule in ALL_RULES:
        if select and not matches(rule.code, select):
            continue
        if not select and rule.opt_in and not strict:
            continue
        if matches(rule.code, ignore):
            continue
        chosen.append(rule)
    return tuple(chosen)


def run(
    paths: Sequence[Path],
    config: Config,
    *,
    rules: Sequence[type[Rule]] | None = None,
    cwd: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    jobs: int | None = None,
    cache_dir: Path | None = None,
    use_cache: bool = True,
    force_exclude: bool = False,
    need_facts: bool = True,
    report_only: Collection[str] | None = None,
) -> RunResult:
    """Check `paths`. Without `need_facts` (the `check` command: only findings count) a
    run over a project whose files, schema and settings are all as the last complete
    run saw them reuses that run's findings on its own files.
    With `report_only` (real absolute paths: a pull request's changed files) only those
    files are checked; the others count as the project around them."""
    from orgscope_lint.aside import Aside, can_start_aside

    # A partial run's files are analysed in a child process beside the rest of the run,
    # where that can be (see `aside`).
    partial = report_only is not None or not (_whole_project(paths, config) and len(paths) == 1)
    beside = partial and progress is None and can_start_aside(jobs)
    with contextlib.ExitStack() as stack:

        def start_aside() -> Aside:
            return stack.enter_context(Aside(config))

        # A pull request's changed files are seldom what a complete run has just seen:
        # its child starts at once, and imports the analysis while the run walks the
        # project. A hook's files often are (`_from_complete_run`), and a child started
        # for nothing slows a run that has little else to do: it starts once they are
        # known to need analysing.
        early = start_aside() if beside and report_only is not None else None
        return _run(
            paths,
            config,
            rules=rules,
            cwd=cwd,
            progress=progress,
            jobs=jobs,
            cache_dir=cache_dir,
            use_cache=use_cache,
            force_exclude=force_exclude,
            need_facts=need_facts,
            report_only=report_only,
            aside=early,
            start_aside=start_aside if beside else None,
        )


def _run(
    paths: Sequence[Path],
    config: Config,
    *,
    rules: Sequence[type[Rule]] | None,
    cwd: Path | None,
    progress: Callable[[int, int], None] | None,
    jobs: int | None,
    cache_dir: Path | None,
    use_cache: bool,
    force_exclude: bool,
    need_facts: bool,
    report_only: Collection[str] | None,
    aside: Aside | None,
    start_aside: Callable[[], Aside] | None,
) -> RunResult:
    cwd = cwd or Path.cwd()
    rules = tuple(rules if rules is not None else select_rules(config.select, config.ignore))
    found = discover_configured(config, paths, force_exclude=force_exclude)
    from orgscope_lint.cache import FactsCache, cache_location

    where = cache_location(config, cache_dir) if use_cache else None
    cache = FactsCache.open(where[0], config, chosen=where[1]) if where is not None else None
    # Replayed beside the walk and the analysis, which need none of it: on a cold run
    # the migrations' SQL is parsed while the workers parse the Python.
    schema = SchemaReplay(config, cache)
    whole = _whole_project(paths, config) and len(paths) == 1
    # Every file of the project, as `check .` from its root walks it.
    walk = found if whole else discover_configured(config, root=resolved(config.root))
    everything = [(path, display_path(path, cwd)) for path in walk.files]
    files = RunFiles(
        checked=[(path, display_path(path, cwd)) for path in _reported(found, report_only)],
        problems=found.problems,
        everything=everything,
        walk_problems=walk.problems,
        stamps=stamps(everything) if cache is not None else {},
    )
    if cache is not None and not need_facts:
        known = _from_complete_run(files, paths, report_only, schema, rules, cwd, cache)
        if known is not None:
            return RunResult(known, len(found.files), schema.project(), [], cache)
    checked = files.checked
    # Imported here: the worker processes import `parallel`, which imports this module;
    # and a run answered by the shortcut above needs no multiprocessing.
    from orgscope_lint.parallel import MIN_FILES_FOR_POOL, collect_facts

    digests: dict[str, str] = {}
    rest = _RestOfProject(files, config, cwd, jobs=jobs, cache=cache)
    if start_aside is not None and rest.files and 0 < len(checked) < MIN_FILES_FOR_POOL:
        # Every file is stamped by now: the child reads its files while this process
        # reads the summaries of the rest of the project. Forked with no other thread
        # running: the schema first.
        schema.project()
        aside = aside or start_aside()
        aside.collect(checked, cache)
        rest.look_up()
        facts = aside.result(digests)
    else:
        if aside is not None:
            aside.close()  # a pool for many files, or nothing to do beside them
        facts = collect_facts(
            checked,
            config,
            digests=digests,
            jobs=jobs,
            cache=cache,
            progress=progress,  # (files done, files in all), for a progress bar
        )
    facts.extend(
        FileFacts(path=display_path(path, cwd), error=FileError(problem))
        for path, problem in found.problems
    )
    project = schema.project()
    # A migration that cannot be replayed can hide every tenant table: an ORG000 on it,
    # never a silently smaller model.
    facts.extend(
        FileFacts(
            path=display_path(config.root / relative, cwd),
            error=FileError(f"migration not fully replayed: {problem}"),
        )
        for relative, problem in project.schema.unreadable
    )
    migrations = _reported_migrations(project, paths, report_only)
    known_judgements = _remember_judgements(project, cache)
    joined = rest.joined(facts, digests)
    # A route's dependencies named through another file's alias: known once joined.
    with_aliases = dependency_aliases.resolve(joined, config)
    by_identity = {id(old): new for old, new in zip(joined, with_aliases, strict=True)}
    facts = [by_identity.get(id(file_facts), file_facts) for file_facts in facts]
    project.add_facts(with_aliases)
    findings: list[Finding] = []
    for file_facts in facts:
        try:
            findings.extend(check_file(file_facts, project, rules))
        except Exception as exc:  # a bug of a rule: named after the file, exit code 2
            raise InternalError.during(file_facts.path, exc) from None
    findings.extend(schema_findings(project, rules, migrations, cwd))
    findings.sort(key=Finding.sort_key)
    _store_judgements(project, cache, known_judgements)
    if cache is not None and not need_facts and whole and report_only is None:
        # A complete run: keyed by the bytes it read, so that a partial run over the
        # same project can take its findings.
        complete = _state_of(everything, walk.problems, project, rules, cwd, digests)
        if complete is not None:
            cache.store_findings(complete, findings)
    return RunResult(findings, len(found.files), project, facts, cache, digests)


@dataclass(frozen=True)
class RunFiles:
    """The files of one run, each with its display path."""

    checked: list[tuple[Path, str]]  # the files it reports on
    problems: tuple[tuple[Path, str], ...]  # the paths it could not read
    everything: list[tuple[Path, str]]  # every file of the project, as `check .` walks it
    walk_problems: tuple[tuple[Path, str], ...]  # the paths that walk could not read
    # The stamps of `everything`, taken once before any of them is read (none without a
    # cache): the complete run's key and the summary index both compare them.
    stamps: dict[str, Stamp]


def _whole_project(paths: Sequence[Path], config: Config) -> bool:
    root = resolved(config.root)
    return any(resolved(path) == root for path in paths)  # a few paths: resolving is cheap


def _from_complete_run(
    files: RunFiles,
    paths: Sequence[Path],
    report_only: Collection[str] | None,
    schema: SchemaReplay,
    rules: Sequence[type[Rule]],
    cwd: Path,
    cache: FactsCache,
) -> list[Finding] | None:
    """This run's findings, when every file of the project is as a complete run saw it:
    that run's findings on this run's files, without a summary read or a rule run.
    None when there is no such run (the caller then analyses)."""
    # A path named on the command line can be a problem only for this run (a `.sql`
    # file is not Python): the complete run never reported on it.
    if not set(files.problems) <= set(files.walk_problems):
        return None
    # A file named on the command line that the project's walk leaves out (excluded,
    # ignored, outside the root) was never part of the complete run.
    if not {shown for _, shown in files.checked} <= {shown for _, shown in files.everything}:
        return None
    state = _state_key(files, schema, rules, cwd, cache)
    known = cache.load_findings(state) if state is not None else None
    if known is None:
        return None
    project = schema.project()
    migrations = _reported_migrations(project, paths, report_only)
    return _own_findings(known, migrations, files.checked, files.problems, project, cwd)


# A partial run hashes at most this many files (or one in 50) whose stamps changed since
# the last run to find that run's findings valid; past that it analyses as usual.
MAX_HASHED = 50


def _state_key(
    files: RunFiles,
    schema: SchemaReplay,
    rules: Sequence[type[Rule]],
    cwd: Path,
    cache: FactsCache,
) -> str | None:
    """The key of the project as it is now (see `_state_of`), each file's digest taken
    from the last run's table when its stamp is unchanged, else from its bytes; None
    when there is no table or too many files changed (the run then analyses)."""
    table = cache.load_digests(_context_key(cwd))
    if table is None:
        return None
    digests: dict[str, str] = {}
    unsure = []
    for path, shown in files.everything:
        entry = table.get(shown)
        stamp = files.stamps.get(shown)
        if entry is not None and stamp is not None and entry[0] == stamp:
            digests[shown] = entry[1]
        else:
            unsure.append((path, shown))
    if len(unsure) > max(MAX_HASHED, len(files.everything) // 50):
        return None
    for path, shown in unsure:
        digest = file_digest(path)
        if digest is None:
            return None
        digests[shown] = digest
    project = schema.project()
    return _state_of(files.everything, files.walk_problems, project, rules, cwd, digests)


def _state_of(
    files: Sequence[tuple[Path, str]],
    problems: Sequence[tuple[Path, str]],
    project: Project,
    rules: Sequence[type[Rule]],
    cwd: Path,
    digests: dict[str, str],
) -> str | None:
    """Everything findings depend on besides the configuration and the tool's build (in
    the cache's namespace already): every file of the project by its bytes' digest, the
    paths that could not be walked, the schema, the rules, where paths are shown from.
    None when a file's bytes are unknown (unreadable)."""
    import hashlib

    digest = hashlib.sha256()
    for _, shown in files:
        known = digests.get(shown)
        if known is None:
            return None
        digest.update(f"{shown}\0{known}\n".encode("utf-8", "surrogateescape"))
    tail = [
        project.schema.fingerprint,
        ",".join(rule.code for rule in rules),
        os.fspath(cwd),
        *(f"{path}\0{problem}" for path, problem in problems),
    ]
    digest.update("\n".join(tail).encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def _own_findings(
    known: Sequence[Finding],
    migrations: Collection[str],
    checked: Sequence[tuple[Path, str]],
    problems: Sequence[tuple[Path, str]],
    project: Project,
    cwd: Path,
) -> list[Finding]:
    """Of a complete run's findings, those this run reports: on its files (or the paths
    it could not read), on the migrations that could not be replayed (every run reports
    those), and the schema's on its `migrations` (`schema_findings`)."""
    root = project.config.root
    shown = {display for _, display in checked}
    shown.update(display_path(path, cwd) for path, _ in problems)
    shown.update(display_path(root / relative, cwd) for relative, _ in project.schema.unreadable)
    shown.update(display_path(Path(full), cwd) for full in migrations)
    return [finding for finding in known if finding.path in shown]


def _reported_migrations(
    project: Project, paths: Sequence[Path], report_only: Collection[str] | None
) -> set[str]:
    """The migrations whose findings (ORG2xx) a run reports, by absolute path: those
    among its `paths`, and with `report_only` only the ones it names (a pull request's
    changed migrations: the others' findings would be dropped, and judging every
    policy costs a `--diff-base` run more than the rest of its rules)."""
    root = project.config.root
    wanted = [os.path.abspath(path) for path in paths]
    found = set()
    for relative in project.schema.files:
        full = os.path.abspath(root / relative)
        if not any(_covers(path, full) for path in wanted):
            continue
        if report_only is None or os.path.realpath(full) in report_only:
            found.add(full)
    return found


class SchemaReplay:
    """The project's schema: from the cache, or replayed from the migrations in a thread
    of its own, started at once. Parsing SQL needs nothing the analysis of the Python
    files makes, and on a cold run of a large project it took a second before the first
    file was analysed; beside the workers it takes none of their time. Asking for the
    project waits for the replay, and raises what it raised."""

    def __init__(self, config: Config, cache: FactsCache | None) -> None:
        self.config, self._built = config, None
        migrations = read_migrations(config.root, config.schema)
        known = cache.load_schema(migrations.fingerprint) if cache is not None else None
        self._schema: Schema | BaseException | None = known
        self._thread: threading.Thread | None = None
        if known is None:
            self._thread = threading.Thread(
                target=self._replay, args=(migrations, cache), name="schema", daemon=True
            )
            self._thread.start()

    def _replay(self, migrations: Migrations, cache: FactsCache | None) -> None:
        try:
            schema = replay(migrations)
            if cache is not None:
                cache.store_schema(schema)
        except BaseException as problem:  # raised again where the project is asked for
            self._schema = problem
        else:
            self._schema = schema

    def project(self) -> Project:
        if self._built is None:
            if self._thread is not None:
                self._thread.join()
                self._thread = None
            if isinstance(self._schema, BaseException):
                raise self._schema
            assert self._schema is not None
            self._built = build_project(self.config, self._schema)
        return self._built


def _remember_judgements(project: Project, cache: FactsCache | None) -> int:
    """Seed the row-level-security judgements with those earlier runs made on these
    migrations; how many there were."""
    from orgscope_lint.rls import policies

    known = cache.load_judgements(project.schema.fingerprint) if cache is not None else None
    if known:
        policies.remember(known)
    return len(known or ())


def _store_judgements(project: Project, cache: FactsCache | None, known: int) -> None:
    """Leave the judgements of this run to the next one, if it made new ones."""
    from orgscope_lint.rls import policies

    made = policies.judgements()
    if cache is not None and len(made) > known:
        cache.store_judgements(project.schema.fingerprint, made)


def _reported(found: Discovered, report_only: Collection[str] | None) -> list[Path]:
    if report_only is None:
        return list(found.files)
    # By the resolved paths the walk found: resolving (or even testing for a link) every
    # path of a large project again costs more than the rest of a warm diff run.
    return [path for path, real in zip(found.files, found.real, strict=True) if real in report_only]


class _RestOfProject:
    """The summaries of the project files a run was not given (a pre-commit hook's few
    files, one package, the files a pull request left alone), joined with the checked
    files' facts: their scoping helpers and dict builders still count. Nothing is
    reported on them. Every run also leaves the summaries of the files it analysed
    behind, so that the next partial run reads them from one index instead of every
    file's cache entry (see `context`). In the project's file order, as a full run joins
    them: where two files define the same helper, the first one's summary is the one
    kept."""

    def __init__(
        self,
        files: RunFiles,
        config: Config,
        cwd: Path,
        *,
        jobs: int | None,
        cache: FactsCache | None,
    ) -> None:
        self.run_files, self.config, self.jobs, self.cache = files, config, jobs, cache
        seen = {os.path.abspath(path) for path, _ in files.checked}
        self.files = [
            (path, shown) for path, shown in files.everything if os.path.abspath(path) not in seen
        ]
        self.store = (cache, _context_key(cwd)) if cache is not None else None
        # Every file's stamp, taken once before any file was read (a checked file the
        # walk of the project leaves out is stamped now, before it is read).
        self.taken = (
            {**files.stamps, **stamps(files.checked, files.stamps)} if cache is not None else {}
        )
        self.found: Lookup | None = None

    def look_up(self) -> None:
        """What needs none of the checked files' facts: the index read, the rest of the
        project matched against it, the files missing from it analysed."""
        from orgscope_lint.parallel import collect_facts

        config, jobs, cache = self.config, self.jobs, self.cache

        def collect(files: Sequence[tuple[Path, str]], digests: dict[str, str]) -> list[FileFacts]:
            return collect_facts(files, config, jobs=jobs, cache=cache, digests=digests)

        self.found = look_up(self.files, self.taken, self.store, collect, self._summarise)

    def joined(
        self, checked_facts: Sequence[FileFacts], digests: dict[str, str]
    ) -> list[FileFacts]:
        """The checked files' facts and the rest's summaries, in the project's order."""
        if self.found is None:
            self.look_up()
        assert self.found is not None
        everything, checked = self.run_files.everything, self.run_files.checked
        known = (self.taken, digests)
        summaries = rest_summaries(
            self.found, self.files, checked_facts, known, self.store, self._summarise
        )
        rank = {os.path.abspath(path): index for index, (path, _) in enumerate(everything)}
        last = len(rank)  # files that could not be read come after the others, as they did
        order = {
            shown: rank.get(os.path.abspath(path), last) for path, shown in [*checked, *self.files]
        }
        return sorted([*checked_facts, *summaries], key=lambda facts: order.get(facts.path, last))

    def _summarise(self, facts: FileFacts) -> FileFacts:
        return summary_facts(facts, self.config.scoped_helpers)


def _context_key(cwd: Path) -> str:
    """Display paths depend on the working directory: one index per directory."""
    import hashlib

    return hashlib.sha256(os.fsencode(os.path.abspath(cwd))).hexdigest()


def check_file(facts: FileFacts, project: Project, rules: Iterable[type[Rule]]) -> list[Finding]:
    ignored = per_file_ignores(facts.path, project.config)
    ran = [rule for rule in rules if rule.code not in ignored]
    raw = [finding for rule in ran for finding in rule().check(facts, project)]
    # Which rules ran decides which suppressions ORG100 may call unused.
    return apply_suppressions(
        raw,
        facts,
        ran=frozenset(rule.code for rule in ran),
        require_reason=project.config.require_suppression_reason,
        platform_guards=project.platform_guards,
        enqueued=project.enqueued,
        inherited=_inherited_contexts(raw, facts, project),
    )


def _inherited_contexts(raw: list[Finding], facts: FileFacts, project: Project) -> dict[str, str]:
    """Why functions holding a finding run only in system code through their callers:
    asked only where a finding is, since the call graph is the whole project's."""
    from orgscope_lint.analysis import system_reach

    lines = {finding.line for finding in raw}
    found: dict[str, str] = {}
    for fn in facts.functions:
        if any(fn.span.line <= line <= fn.end_line for line in lines):
            why = system_reach.reason(fn, facts.path, project)
            if why is not None:
                found[fn.qualname] = why
    return found


def schema_findings(
    project: Project, rules: Iterable[type[Rule]], migrations: Collection[str], cwd: Path
) -> list[Finding]:
    """The migrations' findings (ORG2xx), on the `migrations` a run reports on (absolute
    paths: `_reported_migrations`)."""
    from dataclasses import replace

    from orgscope_lint.sql_suppressions import suppress_sql

    if not migrations:
        return []  # a hook run on Python files: judging the policies would be wasted
    root = project.config.root
    found: list[Finding] = []
    for rule in rules:
        for finding in rule().check_schema(project):
            full = os.path.abspath(root / finding.path)
            if full not in migrations:
                continue
            shown = display_path(Path(full), cwd)
            if rule.code not in per_file_ignores(shown, project.config):
                found.append(suppress_sql(replace(finding, path=shown)))
    return found


def _covers(path: str, full: str) -> bool:
    """`full` is the checked `path` or lies below it."""
    return full == path or full.startswith(os.path.join(path, ""))


def analyze_source(source: SourceText | Unreadable, config: Config, shown: str) -> FileFacts:
    """Facts from a file as `read_source` returned it: a caller that has read the file
    already (to hash it for the cache) never reads it twice."""
    if isinstance(source, Unreadable):
        return FileFacts(path=shown, error=_file_error(source))
    text = source.text
    directives = parse_directives(text)
    # CPython's parser runs on every file (a syntax error anywhere is ORG000); LibCST,
    # several times slower, only on files that can hold something to analyse.
    parsed = parse_python_walked(text)
    if isinstance(parsed, Unreadable):
        return FileFacts(path=shown, error=_file_error(parsed), directives=directives)
    tree, nodes = parsed  # every node, walked once for all that read them
    from orgscope_lint.analysis.module_links import module_links

    links = module_links(tree, text, nodes)
    if (
        not relevance_pattern(config).search(text)
        and not mentions_signature(text)
        and not mentions_token_check(text)
    ):
        from orgscope_lint.analysis.constructor_fields import constructor_fields
        from orgscope_lint.analysis.plain_calls import plain_calls, source_lines

        # Never given to LibCST, yet it may pass its parameters on to a helper.
        plain = plain_calls(tree.body, source_lines(text), constructor_fields(tree))
        return FileFacts(
            path=shown,
            directives=directives,
            skipped="no database call",
            functions=tuple(plain.functions),
            calls=tuple(plain.calls),
            unseen_calls=tuple(sorted(plain.unseen)),
            links=links,
        )
    facts = analyze_module(shown, text, tree, config, nodes)
    return _with_links(facts, directives, links)


def _with_links(facts: FileFacts, directives: tuple, links: ModuleLinks) -> FileFacts:
    from dataclasses import replace

    return replace(facts, directives=directives or facts.directives, links=links)


def _file_error(problem: Unreadable) -> FileError:
    return FileError(
        problem.message, Span(problem.line, problem.column, problem.line, problem.column)
    )


def per_file_ignores(path: str, config: Config) -> frozenset[str]:
    from fnmatch import fnmatch

    codes: set[str] = set()
    for pattern, ignored in config.per_file_ignores.items():
        if fnmatch(path, pattern) or fnmatch(path, f"*/{pattern}"):
            codes.update(c.upper() for c in ignored)
    return frozenset(codes)


def display_path(path: Path, cwd: Path) -> str:
    """Relative to the working directory when below it, posix-style, as ruff prints.

    Plain string work on absolute paths: resolving every path through the file system
    (symbolic links) cost more than the rest of a warm pre-commit run."""
    absolute = os.path.abspath(path)
    base = _absolute_dir(os.fspath(cwd))
    if absolute.startswith(base):
        return Path(absolute[len(base) :]).as_posix()
    return Path(absolute).as_posix() if path.is_absolute() else path.as_posix()


@lru_cache(maxsize=4)
def _absolute_dir(cwd: str) -> str:
    return os.path.join(os.path.abspath(cwd), "")
