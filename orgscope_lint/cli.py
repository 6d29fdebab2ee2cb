"""Command line: `check`, `rule`. Exit codes: 0 clean, 1 findings, 2 usage or config error."""

from __future__ import annotations

import functools
import sys
import traceback
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from orgscope_lint import __version__
from orgscope_lint.config import Config, ConfigError, load_config
from orgscope_lint.engine import RunResult, run, select_rules
from orgscope_lint.findings import Finding
from orgscope_lint.paths import printable
from orgscope_lint.reporters import FORMATS, Report, get_renderer
from orgscope_lint.rules import ALL_RULES, get_rule
from orgscope_lint.suppressions import SYSTEM_CONTEXT

if TYPE_CHECKING:
    # Imported where used: a hook run needs neither, and start-up is most of its time.
    from orgscope_lint.baseline import Baseline
    from orgscope_lint.diff import Changes

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="orgscope-lint")
def cli() -> None:
    """Find multi-tenant isolation bugs in Python backends."""


def _reporting_crashes(command: Callable[..., None]) -> Callable[..., None]:
    """An exception of the tool's own is exit 2 (1 means findings: CI must tell them
    apart), with one line naming the file; the traceback only with --verbose."""

    @functools.wraps(command)
    def guarded(*args: Any, **options: Any) -> None:
        try:
            command(*args, **options)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:
            from orgscope_lint.crash import InternalError
            from orgscope_lint.paths import printable

            if options.get("verbose"):
                detail = exc.detail if isinstance(exc, InternalError) else traceback.format_exc()
                click.echo(printable(detail), err=True, nl=False)
            problem = str(exc) if isinstance(exc, InternalError) else f"internal error: {exc!r}"
            hint = "" if options.get("verbose") else "; re-run with --verbose for the traceback"
            click.echo(f"orgscope-lint: error: {printable(problem)}{hint}", err=True)
            sys.exit(EXIT_ERROR)

    return guarded


def _codes(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(code.strip().upper() for value in values for code in value.split(",") if code)


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--output-format",
    "--format",  # audit's spelling, so either works on either command
    "output_format",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="How findings are printed.",
)
@click.option("-o", "--output-file", type=click.Path(path_type=Path), help="Write to a file.")
@click.option("--select", multiple=True, help="Rule codes or prefixes to run (comma-separated).")
@click.option("--ignore", multiple=True, help="Rule codes or prefixes to skip (comma-separated).")
@click.option(
    "--config", "config_path", type=click.Path(path_type=Path), help="Configuration file."
)
@click.option("--strict", is_flag=True, help="Also report filters the analysis cannot see into.")
@click.option("-q", "--quiet", is_flag=True, help="Print findings only, no summary.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("-v", "--verbose", is_flag=True, help="Print the tenant model in use on stderr.")
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    metavar="N",
    help="Processes to analyse files with.  [default: all processors]",
)
@click.option("--no-cache", is_flag=True, help="Neither read nor write the cache.")
@click.option(
    "--cache-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Cache directory.  [default: $ORGSCOPE_LINT_CACHE_DIR, else `cache-dir` in the "
    "configuration, else .orgscope_cache in the project root]",
)
@click.option(
    "--diff-base",
    metavar="REF",
    help="Report only findings on lines changed since the merge base with REF "
    "(commits, uncommitted edits and untracked files).",
)
@click.option(
    "--baseline",
    "baseline_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Hide the findings recorded in this baseline file.",
)
@click.option(
    "--write-baseline",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Record the current findings in FILE and exit 0.",
)
@click.option("--statistics", is_flag=True, help="Print the number of findings per rule.")
@click.option(
    "--force-exclude",
    is_flag=True,
    help="Apply `exclude` to paths named on the command line too (for pre-commit).",
)
@click.option("--no-respect-gitignore", is_flag=True, help="Check files .gitignore lists too.")
@click.option(
    "--fix",
    is_flag=True,
    help="Apply the provably safe fixes: add the tenant key, or pass the org to a helper.",
)
@click.option("--dry-run", is_flag=True, help="With --fix: print the diff, write nothing.")
@_reporting_crashes
def check(
    paths: tuple[Path, ...],
    output_format: str,
    output_file: Path | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    config_path: Path | None,
    strict: bool,
    quiet: bool,
    exit_zero: bool,
    verbose: bool,
    jobs: int | None,
    no_cache: bool,
    cache_dir: Path | None,
    diff_base: str | None,
    baseline_file: Path | None,
    write_baseline: Path | None,
    statistics: bool,
    force_exclude: bool,
    no_respect_gitignore: bool,
    fix: bool,
    dry_run: bool,
) -> None:
    """Check PATHS (default: the current directory) for tenant-isolation bugs."""
    targets = list(paths) or [Path(".")]
    _require_existing(targets)
    config = _load(config_path, targets[0])
    if no_respect_gitignore:
        config = replace(config, respect_gitignore=False)
    if write_baseline is not None and diff_base is not None:
        raise click.UsageError("--write-baseline records every finding; drop --diff-base")
    if dry_run and not fix:
        raise click.UsageError("--dry-run shows what --fix would change: use --fix --dry-run")
    # Both are read before the analysis: a bad ref or baseline fails fast.
    changes = _changes(diff_base, targets[0]) if diff_base is not None else None
    baseline = _baseline(baseline_file) if baseline_file is not None else None
    _check_codes(config, select=_codes(select), ignore=_codes(ignore))
    rules = select_rules(
        _codes(select) or config.select, (*config.ignore, *_codes(ignore)), strict=strict
    )
    check_once = partial(
        run,
        targets,
        config,
        rules=rules,
        jobs=jobs,
        cache_dir=cache_dir,
        use_cache=not no_cache,
        force_exclude=force_exclude,
        need_facts=False,
        # Findings off the change are dropped anyway: the other files are only context.
        report_only=frozenset(changes.files) if changes is not None else None,
    )
    result = check_once()
    for migration, problem in result.project.schema.unreadable:
        shown = printable(migration)
        message = f"migration {shown} not fully replayed: {problem}"
        click.echo(f"orgscope-lint: warning: {message}", err=True)
    if result.project.assume_all and not quiet:
        _say_no_schema(result)
    elif result.project.inferred_tables and not quiet:
        _say_inferred_tables(result)
    if verbose:
        _print_model(result, config)
    if write_baseline is not None:
        _record_baseline(write_baseline, result.findings)
    findings, baselined = _new_findings(result.findings, changes, baseline)
    fixed = 0
    if fix:
        fixed = _apply_fixes(findings, dry_run, exit_zero)
        if fixed:  # what is left after the edits is what gets reported
            result = check_once()
            findings, baselined = _new_findings(result.findings, changes, baseline)
    if output_format in ("json", "sarif"):  # so that code-review tools can offer each fix
        from orgscope_lint.fix_edits import with_edits

        findings = with_edits(findings, Path.cwd(), result.cache, jobs, result.libcst_reads())
    # Reports are text: a file name that is not UTF-8 is shown with its bytes escaped.
    report = Report(
        findings=tuple(replace(f, path=printable(f.path)) for f in findings),
        files_checked=result.files_checked,
        rules=rules,
        fixed=fixed,
        baselined=baselined,
    )
    if statistics:
        _print_statistics(report, output_format, output_file)
    else:
        _emit(report, output_format, output_file, quiet)
    sys.exit(EXIT_CLEAN if exit_zero or not report.active else EXIT_FINDINGS)


def _apply_fixes(findings: list[Finding], dry_run: bool, exit_zero: bool) -> int:
    """Fix what is safe; with --dry-run print the diff, say how much of it is fixable
    (on stderr: the diff alone stays applicable) and exit 1 while findings remain."""
    from orgscope_lint.fix import fix_files

    outcome = fix_files(findings, Path.cwd(), dry_run=dry_run)
    if dry_run:
        click.echo("".join(outcome.diffs), nl=False)
        active = sum(1 for finding in findings if not finding.suppressed)
        noun = "finding" if active == 1 else "findings"
        click.echo(f"{outcome.edits} of {active} {noun} fixable with --fix.", err=True)
        sys.exit(EXIT_FINDINGS if active and not exit_zero else EXIT_CLEAN)
    return outcome.edits


def _changes(diff_base: str, first: Path) -> Changes:
    from orgscope_lint.diff import DiffError, changes_since

    try:
        # The repository is the one holding what is checked, wherever the tool runs from.
        return changes_since(diff_base, first if first.exists() else Path.cwd())
    except DiffError as exc:
        click.echo(f"orgscope-lint: error: {exc}", err=True)
        sys.exit(EXIT_ERROR)


def _baseline(path: Path) -> Baseline:
    from orgscope_lint.baseline import BaselineError, load_baseline

    try:
        return load_baseline(path)
    except BaselineError as exc:
        click.echo(f"orgscope-lint: error: {exc}", err=True)
        sys.exit(EXIT_ERROR)


def _record_baseline(path: Path, findings: list[Finding]) -> None:
    from orgscope_lint.baseline import BaselineError, write_baseline

    try:
        count = write_baseline(path, findings, Path.cwd())
    except BaselineError as exc:
        click.echo(f"orgscope-lint: error: {exc}", err=True)
        sys.exit(EXIT_ERROR)
    click.echo(f"orgscope-lint: recorded {count} findings in {path}", err=True)
    sys.exit(EXIT_CLEAN)


def _new_findings(
    findings: list[Finding], changes: Changes | None, baseline: Baseline | None
) -> tuple[list[Finding], int]:
    """The findings to report, and how many of them the baseline hid."""
    cwd = Path.cwd()
    in_scope = changes.keep(findings, cwd) if changes is not None else findings
    if baseline is None:
        return in_scope, 0
    # Records go to copies outside the change first: a new copy of a known fault
    # in the change stays visible.
    outside = (lambda f: not changes.touches(f, cwd)) if changes is not None else None
    kept = baseline.hide(findings, cwd, hide_first=outside)
    kept = changes.keep(kept, cwd) if changes is not None else kept
    # Only what the diff would have shown counts as hidden by the baseline.
    return kept, len(in_scope) - len(kept)


def _print_statistics(report: Report, output_format: str, output_file: Path | None) -> None:
    """Findings per rule, most frequent first, as ruff prints them."""
    from collections import Counter

    from orgscope_lint.reporters.text import summary

    if output_file is not None:
        output_file.write_text(get_renderer(output_format)(report), encoding="utf-8")
    counts = Counter((f.code, f.name) for f in report.active)
    width = max([4, *(len(str(n)) for n in counts.values())])
    for (code, name), count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        click.echo(f"{count:>{width}}  {code:<6}  {name}")
    click.echo(summary(report))


def _check_codes(config: Config, *, select: tuple[str, ...], ignore: tuple[str, ...]) -> None:
    """A code or prefix that names no rule is a typo that would switch a check off
    silently (`--select ORG999` reports nothing): exit 2, with the closest code."""
    import difflib

    where = str(config.source) if config.source else "configuration"
    named = [("--select", code) for code in select] + [("--ignore", code) for code in ignore]
    named += [(f"{where}: `select`", code) for code in config.select]
    named += [(f"{where}: `ignore`", code) for code in config.ignore]
    for pattern, codes in config.per_file_ignores.items():
        named += [(f"{where}: `per-file-ignores` for {pattern!r}", code) for code in codes]
    known = [rule.code for rule in ALL_RULES]
    for source, code in named:
        if any(rule.startswith(code.strip().upper()) for rule in known) and code.strip():
            continue
        close = difflib.get_close_matches(code.strip().upper(), known, n=1)
        hint = f" (did you mean `{close[0]}`?)" if close else ""
        click.echo(f"orgscope-lint: error: {source}: unknown rule code `{code}`{hint}", err=True)
        sys.exit(EXIT_ERROR)


def _require_existing(paths: list[Path]) -> None:
    """Paths none of which exists are a typo, not a project: stop before anything runs.
    Beside paths that exist, a missing one is an ORG000 finding, as in a walk (a list of
    changed files may name a deleted one); a broken or looping link exists."""
    import os

    if any(os.path.lexists(path) for path in paths):
        return
    shown = ", ".join(printable(os.fspath(path)) for path in paths)
    click.echo(f"orgscope-lint: error: {shown}: no such file or directory", err=True)
    sys.exit(EXIT_ERROR)


def _load(config_path: Path | None, first: Path) -> Config:
    try:
        return load_config(config_path, start=first)
    except ConfigError as exc:
        click.echo(f"orgscope-lint: error: {exc}", err=True)
        sys.exit(EXIT_ERROR)


def _emit(report: Report, output_format: str, output_file: Path | None, quiet: bool) -> None:
    if output_file is not None:
        output_file.write_text(get_renderer(output_format)(report), encoding="utf-8")
        output_format = "text"  # the terminal still gets the readable form
    if output_format == "text" and quiet:
        from orgscope_lint.reporters.text import header

        click.echo("".join(header(f) + "\n" for f in report.active), nl=False)
    elif output_format == "text" and sys.stdout.isatty():
        from rich.console import Console

        from orgscope_lint.reporters.text import render_rich

        render_rich(report, Console())
    else:
        click.echo(get_renderer(output_format)(report), nl=False)


def _say_no_schema(result: RunResult) -> None:
    """Once per run: without migrations the tenant model is a guess, and how to fix that."""
    project = result.project
    click.echo(
        "orgscope-lint: no SQL migrations found (looked for "
        f"{', '.join(project.config.schema)}): every table is treated as a tenant table",
        err=True,
    )
    if project.inferred_key is not None:
        click.echo(
            f"orgscope-lint: {project.inferred_key.explain(project.config.tenant_key)}", err=True
        )
    click.echo("orgscope-lint: run `orgscope-lint init` to write the tenant model down", err=True)


def _say_inferred_tables(result: RunResult) -> None:
    """Once per run: tables the migrations do not give the tenant key are checked on the
    code's word."""
    project = result.project
    names = project.inferred_tables
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    key = project.config.tenant_key
    click.echo(
        f"orgscope-lint: {len(names)} table(s) the migrations do not give `{key}` are checked "
        f"as tenant tables because the code filters them by it: {shown} "
        "(`--verbose` says where; list them in `tenant-tables` or `global-tables` to decide)",
        err=True,
    )


def _print_model(result: RunResult, config: Config) -> None:
    project = result.project
    where = config.source or "defaults (no configuration file found)"
    click.echo(f"configuration: {where}", err=True)
    key = project.inferred_key.key if project.inferred_key else config.tenant_key
    click.echo(f"tenant key: {key}", err=True)
    if project.assume_all:
        click.echo(
            "no schema or tenant tables found: every table is treated as a tenant table", err=True
        )
    from orgscope_lint.rls.summary import rls_summary

    for name in sorted(project.tables):
        table = project.tables[name]
        click.echo(f"  {name}: {table.key}  ({table.source})", err=True)
        if rls := rls_summary(name, project):
            click.echo(f"    row-level security: {rls}", err=True)
    for name, source in sorted(project.tenant_rows.items()):
        click.echo(f"  {name}: id, the tenant's own row  ({source})", err=True)
    for name, link in sorted(project.parents.items()):
        click.echo(f"  {name}: through {link.describe()}  ({link.source})", err=True)
    for problem in project.schema.unreadable:
        click.echo(f"  unreadable migration {problem[0]}: {problem[1]}", err=True)
    for finding in result.findings:
        reason = finding.suppression_reason or ""
        if finding.suppressed and reason.startswith(SYSTEM_CONTEXT):
            where = f"{finding.path}:{finding.line}"
            click.echo(f"  suppressed {finding.code} at {where}: {reason}", err=True)
    click.echo(f"files checked: {result.files_checked}", err=True)


@cli.command()
@click.argument("code", required=False)
def rule(code: str | None) -> None:
    """Explain rule CODE, or list every rule."""
    if code is None:
        _rule_table()
        return
    found = get_rule(code)
    if found is None:
        click.echo(f"orgscope-lint: error: unknown rule `{code}`", err=True)
        sys.exit(EXIT_ERROR)
    click.echo(found.help_markdown())


def _rule_table() -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table("code", "name", "severity", "what it finds", box=None)
    for rule_cls in ALL_RULES:
        opt = " (with --strict)" if rule_cls.opt_in else ""
        table.add_row(rule_cls.code, rule_cls.name, rule_cls.severity.value, rule_cls.summary + opt)
    # Piped output has no terminal width: wide enough that no summary wraps.
    Console(width=None if sys.stdout.isatty() else 140).print(table)


@cli.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option(
    "--config", "config_path", type=click.Path(path_type=Path), help="Configuration file."
)
@click.option(
    "--cache-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Cache directory.  [default: .orgscope_cache beside the configuration file]",
)
def clean(path: Path | None, config_path: Path | None, cache_dir: Path | None) -> None:
    """Remove the cache of the project holding PATH (default: the current directory)."""
    from orgscope_lint.cache import (
        NotACacheDirectory,
        cache_location,
        default_cache_dir,
        remove_cache,
    )

    config = _load(config_path, path or Path("."))
    directory = (cache_location(config, cache_dir) or (default_cache_dir(config),))[0]
    try:
        removed = remove_cache(directory)
    except (NotACacheDirectory, OSError) as exc:
        click.echo(f"orgscope-lint: error: {exc}", err=True)
        sys.exit(EXIT_ERROR)
    click.echo(f"removed {directory}" if removed else f"no cache at {directory}")


@cli.command()
@click.argument("path", default=".", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "--output-format",  # check's spelling, so either works on either command
    "output_format",
    type=click.Choice(("text", "markdown", "html", "json")),
    default="text",
    show_default=True,
    help="Report format.",
)
@click.option("-o", "--output-file", type=click.Path(path_type=Path), help="Write to a file.")
@click.option(
    "--config", "config_path", type=click.Path(path_type=Path), help="Configuration file."
)
@_reporting_crashes
def audit(
    path: Path, output_format: str, output_file: Path | None, config_path: Path | None
) -> None:
    """Report PATH's tenant model, coverage matrix, findings and skipped files (exit 0)."""
    from orgscope_lint.audit.command import audit as run_audit
    from orgscope_lint.audit.command import emit

    _require_existing([path])
    report = run_audit(path, _load(config_path, path))
    try:
        emit(report, output_format, output_file)
    except OSError as exc:
        click.echo(f"orgscope-lint: error: cannot write {output_file}: {exc}", err=True)
        sys.exit(EXIT_ERROR)


@cli.command("config")
@click.argument("path", default=".", type=click.Path(path_type=Path))
@click.option(
    "--config", "config_path", type=click.Path(path_type=Path), help="Configuration file."
)
def show_config(path: Path, config_path: Path | None) -> None:
    """Print the configuration in effect for PATH, with the source of each value."""
    from orgscope_lint.config_show import show_settings

    click.echo(show_settings(_load(config_path, path)), nl=False)


@cli.command()
@click.argument("path", default=".", type=click.Path(path_type=Path))
@click.option("--print", "print_only", is_flag=True, help="Print the section; write nothing.")
def init(path: Path, print_only: bool) -> None:
    """Add a starter [tool.orgscope-lint] to PATH/pyproject.toml, learned from the project."""
    from orgscope_lint.init_config import init as run_init

    sys.exit(run_init(path, print_only))


def main() -> None:
    from orgscope_lint.engine import tune_collector

    tune_collector()
    try:
        cli(prog_name="orgscope-lint")
    except SystemExit as done:
        _exit(done)


def _exit(done: SystemExit) -> None:
    """Exit as `done` would, without first freeing the run's objects one by one: after a
    partial run on a large project, the summaries of every file (about a million
    objects) took some 30 ms to free, for nothing. As at a normal exit, the exit
    handlers run and the output is flushed first (exit code 120 when it cannot be, as
    Python's own). With another thread still running, a normal exit (which waits for
    it)."""
    import atexit
    import os
    import threading

    run_handlers = getattr(atexit, "_run_exitfuncs", None)
    if run_handlers is None or threading.active_count() > 1:
        raise done
    code = done.code
    if code is None or isinstance(code, int):
        status = code or 0
    else:  # `sys.exit("message")`: printed, exit code 1
        print(code, file=sys.stderr)
        status = 1
    run_handlers()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            status = status or 120
    os._exit(status)
