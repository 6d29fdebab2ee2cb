"""Turn one file's text into facts. No rule lives here."""

from __future__ import annotations

import ast

import libcst as cst

from orgscope_lint.analysis.interpreter import ModuleInterpreter
from orgscope_lint.analysis.positions import PositionIndex
from orgscope_lint.analysis.service_api import QUERY_METHODS
from orgscope_lint.config import Config
from orgscope_lint.facts import FileError, FileFacts


def analyze_module(path: str, text: str, tree: ast.Module, config: Config) -> FileFacts:
    """Facts for one module; `tree` is the module already parsed by `ast` (the safety gate)."""
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        return FileFacts(path=path, error=FileError(f"syntax error: {exc.message}"))
    lines = text.splitlines()
    call_names = set(QUERY_METHODS) | set(config.scoped_helpers) | set(config.db_classes)
    positions = PositionIndex(tree, lines, call_names, config.tenant_like_names)
    interpreter = ModuleInterpreter(module, config, positions)
    try:
        undefined = interpreter.run()
    except RecursionError:
        return FileFacts(path=path, error=FileError("too deeply nested to analyse"))
    return FileFacts(
        path=path,
        queries=tuple(interpreter.queries),
        helper_calls=tuple(interpreter.helper_calls),
        functions=tuple(interpreter.functions),
        undefined_names=tuple(undefined),
        constructions=tuple(interpreter.constructions),
        lines=len(lines),
    )
