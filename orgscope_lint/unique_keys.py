"""Unique keys read from table DDL: which sets of columns name one row of a table.

```sql
CREATE TABLE properties (id uuid PRIMARY KEY, tenant_id text, property_id text,
                         UNIQUE (tenant_id, property_id));
```

`property_id` names one row only together with `tenant_id`: two operators may both have
a `DOM-018`. A check that found the caller's `DOM-018` proves nothing about an update
filtered by `property_id` alone, which reaches every operator's `DOM-018`. The tenant
model reads these keys from the migrations (primary keys, `UNIQUE` column and table
constraints, `ALTER TABLE ... ADD CONSTRAINT`, `CREATE UNIQUE INDEX`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlglot import exp


def from_elements(elements: Iterable[exp.Expression]) -> Iterator[tuple[str, ...]]:
    """The unique column sets among the column definitions and constraints of a CREATE
    TABLE, or the actions of an ALTER TABLE."""
    from sqlglot import exp

    for element in elements:
        if isinstance(element, exp.ColumnDef):
            kinds = (c.args.get("kind") for c in element.args.get("constraints") or ())
            if any(isinstance(k, _column_keys()) for k in kinds):
                yield (element.name.lower(),)
            continue
        for key in element.find_all(exp.PrimaryKey, exp.UniqueColumnConstraint):
            columns = _columns(key)
            if columns:
                yield columns


def from_index(create: exp.Create) -> tuple[str, tuple[str, ...]] | None:
    """(table, columns) of `CREATE UNIQUE INDEX ... ON table (columns)`, plain columns
    only (an index on an expression says nothing about a filter on a column)."""
    from sqlglot import exp

    index = create.this
    if not create.args.get("unique") or not isinstance(index, exp.Index):
        return None
    table, params = index.args.get("table"), index.args.get("params")
    if not isinstance(table, exp.Table) or params is None:
        return None
    columns = []
    for ordered in params.args.get("columns") or ():
        column = ordered.this if isinstance(ordered, exp.Ordered) else ordered
        if not isinstance(column, exp.Column):
            return None
        columns.append(column.name.lower())
    return (table.name.lower(), tuple(columns)) if columns else None


def _column_keys() -> tuple[type[exp.Expression], ...]:
    from sqlglot import exp

    return (exp.PrimaryKeyColumnConstraint, exp.UniqueColumnConstraint)


def _columns(key: exp.Expression) -> tuple[str, ...]:
    from sqlglot import exp

    holder = key.this if isinstance(key, exp.UniqueColumnConstraint) else key
    names = getattr(holder, "expressions", None) or ()
    return tuple(n.name.lower() for n in names if isinstance(n, (exp.Identifier, exp.Column)))
