"""Command line: `check`, `rule`. Exit codes: 0 clean, 1 findings, 2 usage or config error."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from orgscope_lint import __version__
from orgscope_lint.config import Config, ConfigError, load_config
from orgscope_lint.engine import RunResult, run, select_rules
from orgscope_lint.reporters import FORMATS, Report, get_renderer
from orgscope_lint.rules import ALL_RULES, get_rule

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="orgscope-lint")
def cli() -> None:
    """Find multi-tenant isolation bugs in Python backends."""


def _codes(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(code.strip().upper() for value in values for code in value.split(",") if code)


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--output-format",
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
) -> None:
    """Check PATHS (default: the current directory) for tenant-isolation bugs."""
    targets = list(paths) or [Path(".")]
    config = _load(config_path, targets[0])
    rules = select_rules(
        _codes(select) or config.select, (*config.ignore, *_codes(ignore)), strict=strict
    )
    result = run(targets, config, rules=rules)
    if verbose:
        _print_model(result, config)
    report = Report(
        findings=tuple(result.findings), files_checked=result.files_checked, rules=rules
    )
    _emit(report, output_format, output_file, quiet)
    sys.exit(EXIT_CLEAN if exit_zero or not result.active else EXIT_FINDINGS)


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


def _print_model(result: RunResult, config: Config) -> None:
    project = result.project
    err = click.get_text_stream("stderr")
    where = config.source or "defaults (no configuration file found)"
    err.write(f"configuration: {where}\n")
    err.write(f"tenant key: {config.tenant_key}\n")
    if project.assume_all:
        err.write("no schema or tenant tables found: every table is treated as a tenant table\n")
    for name in sorted(project.tables):
        table = project.tables[name]
        err.write(f"  {name}: {table.key}  ({table.source})\n")
    for problem in project.schema.unreadable:
        err.write(f"  unreadable migration {problem[0]}: {problem[1]}\n")
    err.write(f"files checked: {result.files_checked}\n")


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
    Console(width=max(100, Console().width)).print(table)


def main() -> None:
    cli(prog_name="orgscope-lint")
