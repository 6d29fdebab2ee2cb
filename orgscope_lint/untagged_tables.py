"""Untagged tables: tenant tables that no read in the project goes by their tenant key.

```python
sb.table("notifications").select("*").eq("user_id", me)                  # by its owner
sb.table("notifications").select("id", count="exact").eq("reference_id", crew_id)
sb.table("notifications").insert({"user_id": crew_user["id"], "title": title})
```

The table carries a tenant column, but every read finds its rows by something else: an
owner, a parent row, a reference. An insert that leaves the tenant column empty then
hides the row from no read and shows it to no other tenant: the key is a tag nothing
uses yet. It is still worth writing (the day a read goes by it, the row disappears from
it), so such an insert is defense in depth (ORG013), not a leak (ORG003). An upsert may
overwrite another tenant's row and is never excused.

Every read of the project is needed for the proof, so each file's analysis leaves a
summary (the columns each of its reads filters by) that a partial run joins like a full
one. What it cannot see keeps the table tagged: a read whose filter is not known, a view
or a migration function that reads the table, a policy naming the key, migrations that
were not read, a table the project never reads (another service may). A read it does
not recognise as one at all (SQL written as a string) it cannot count either, which is
why such an insert is still reported, as a warning.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from orgscope_lint.analysis.builder_api import EMBEDS, OPTIONS
from orgscope_lint.facts import Query, ShapeKind
from orgscope_lint.per_user_tables import ANY_COLUMN, never_read_by_key, read_columns

if TYPE_CHECKING:
    from orgscope_lint.project import Project


def filter_columns(queries: Iterable[Query]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """One file's summary: each table it reads, with the columns its reads filter by
    (`ANY_COLUMN` when a filter is not known)."""

    def columns(query: Query) -> Iterable[str]:
        shape = query.shape
        if shape.get(EMBEDS) is not None or shape.open or shape.kind is ShapeKind.UNKNOWN:
            return (ANY_COLUMN,)
        # `created_at~gte`: a range or a negation still filters by that column.
        return (c for name in shape.key_names for c in name.split("~", 1)[0].split(OPTIONS))

    return read_columns(queries, columns)


def untagged_table(table: str, project: Project) -> bool:
    """Whether no read of `table` goes by its tenant key (decided once per run)."""
    if project.untagged_tables is None:
        project.untagged_tables = _untagged_tables(project)
    return table in project.untagged_tables


def _untagged_tables(project: Project) -> frozenset[str]:
    return never_read_by_key(project, lambda facts: facts.filter_reads, project.key_for)
