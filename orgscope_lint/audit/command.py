"""What `orgscope-lint audit` does once its options are read: scan, build, print or export."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from orgscope_lint.audit import get_renderer
from orgscope_lint.audit.model import AuditReport, build_report
from orgscope_lint.audit.progress import ProgressBar
from orgscope_lint.config import Config
from orgscope_lint.engine import run


def audit(path: Path, config: Config) -> AuditReport:
    """Run every default rule over `path` (a bar on stderr for large trees), then build."""
    with ProgressBar() as bar:
        result = run([path], config, progress=bar)
    return build_report(result)


def emit(report: AuditReport, output_format: str, output_file: Path | None) -> None:
    """Write the report to `output_file`, or print it: rich on a terminal, else plain."""
    if output_file is not None:
        output_file.write_text(get_renderer(output_format)(report), encoding="utf-8")
        click.echo(f"audit written to {output_file} ({_summary(report)})", err=True)
    elif output_format == "text" and sys.stdout.isatty():
        from rich.console import Console

        from orgscope_lint.audit.terminal import print_report

        print_report(report, Console())
    else:
        click.echo(get_renderer(output_format)(report), nl=False)


def _summary(report: AuditReport) -> str:
    unscoped = sum(cell.unscoped for cell in report.coverage)
    return (
        f"{report.totals.findings} findings, {unscoped} unscoped queries "
        f"of {report.totals.queries} on tenant tables"
    )
