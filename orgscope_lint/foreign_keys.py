"""Foreign keys read from table DDL: which column of a table references which table.

A child table that carries no tenant key is still reached through its parent: a row of
`company_contacts` belongs to whichever tenant owns its `company_id`. The tenant model
learns these edges from the migrations, so it needs no configuration for them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlglot import exp

_IDENT = r'(?:"(?:[^"]|"")+"|[^\s."(),;]+)'
_QNAME = rf"{_IDENT}(?:\s*\.\s*{_IDENT})*"
_FLAGS = re.IGNORECASE | re.DOTALL | re.VERBOSE
# `company_id uuid NOT NULL REFERENCES companies(id)`: a column with an inline reference.
_INLINE_TEXT = re.compile(
    rf"\s*(?P<column>{_IDENT})\s.*?\bREFERENCES\s+(?P<parent>{_QNAME})", _FLAGS
)
# `[CONSTRAINT name] FOREIGN KEY (company_id) REFERENCES companies(id)`: one column only.
_TABLE_LEVEL_TEXT = re.compile(
    rf"""\s*(?:CONSTRAINT\s+{_IDENT}\s+)?FOREIGN\s+KEY\s*\(\s*(?P<column>{_IDENT})\s*\)
         \s*REFERENCES\s+(?P<parent>{_QNAME})""",
    _FLAGS,
)
_ADD_TEXT = re.compile(r"\s*ADD\s+(?:COLUMN\s+)?(?:IF\s+NOT\s+EXISTS\s+)?(?P<rest>.*)\Z", _FLAGS)
_IDENT_RE = re.compile(_IDENT)


def from_elements(elements: Iterable[exp.Expression]) -> Iterator[tuple[str, str]]:
    """(column, referenced table) for every single-column foreign key among the column
    definitions and constraints of a CREATE TABLE, or the actions of an ALTER TABLE."""
    from sqlglot import exp

    for element in elements:
        if isinstance(element, exp.ColumnDef):
            for constraint in element.args.get("constraints") or ():
                parent = _parent(constraint.args.get("kind"))
                if parent:
                    yield element.name.lower(), parent
            continue
        for foreign in element.find_all(exp.ForeignKey):
            columns = foreign.expressions
            parent = _parent(foreign.args.get("reference"))
            if len(columns) == 1 and parent:
                yield columns[0].name.lower(), parent


def _parent(reference: exp.Expression | None) -> str | None:
    from sqlglot import exp

    if not isinstance(reference, exp.Reference):
        return None
    target = reference.this
    table = target.this if isinstance(target, exp.Schema) else target
    return table.name.lower() if isinstance(table, exp.Table) and table.name else None


def from_text(element: str) -> tuple[str, str] | None:
    """The same, from the text of one column definition, table constraint or ADD action
    of a statement sqlglot could not read."""
    added = _ADD_TEXT.match(element)
    if added is not None:
        element = added.group("rest")
    match = _TABLE_LEVEL_TEXT.match(element) or _INLINE_TEXT.match(element)
    if match is None or match.group("column").upper() in ("CONSTRAINT", "PRIMARY", "UNIQUE"):
        return None
    return _name(match.group("column")), _name(_IDENT_RE.findall(match.group("parent"))[-1])


def _name(identifier: str) -> str:
    if len(identifier) >= 2 and identifier[0] == identifier[-1] == '"':
        identifier = identifier[1:-1].replace('""', '"')
    return identifier.lower()
