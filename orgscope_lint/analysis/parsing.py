"""LibCST's parse of code CPython has already accepted, without re-validating each node.

Every LibCST node checks its own fields when it is built (`CSTNode.__post_init__` calls
`_validate`): a guard for trees built by hand, which LibCST's own comment there marks
as a cost it would rather not pay when parsing. The analysis only reads trees that its
native parser built from code `ast.parse` accepted first, so the check can add nothing
but time (about a tenth of the parse). `fix` builds nodes and keeps the check.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import libcst as cst
from libcst._nodes.base import CSTNode


def parse_parsed_module(text: str) -> cst.Module:
    """`cst.parse_module(text)` for text `ast.parse` accepted; raises as it does."""
    with _nodes_unchecked():
        return cst.parse_module(text)


@contextlib.contextmanager
def _nodes_unchecked() -> Iterator[None]:
    # Only CSTNode defines the hook; restored even when the parse raises.
    check = CSTNode.__dict__.get("__post_init__")
    if check is None:  # another LibCST layout: parse as it is
        yield
        return
    CSTNode.__post_init__ = _unchecked  # type: ignore[method-assign]
    try:
        yield
    finally:
        CSTNode.__post_init__ = check  # type: ignore[method-assign]


def _unchecked(self: CSTNode) -> None:
    return None
