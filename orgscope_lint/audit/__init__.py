"""`orgscope-lint audit`: the whole picture of a repository's tenant isolation.

`model.build_report` turns a `RunResult` into a plain-data `AuditReport` (the tenant model
in use, the table x operation coverage matrix, findings by rule and by file, what was
skipped); one module per format renders that report to text.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

from orgscope_lint.audit.model import AuditReport

_MODULES = {"text": "terminal", "markdown": "markdown", "html": "html", "json": "json_format"}

FORMATS: tuple[str, ...] = tuple(_MODULES)

Renderer = Callable[[AuditReport], str]


def get_renderer(name: str) -> Renderer:
    """The `render(report) -> str` of one format, imported only when asked for."""
    return import_module(f"orgscope_lint.audit.{_MODULES[name]}").render
