"""Per-user tables: tenant tables whose rows only their owner ever reads.

```python
sb.table("notifications").select("*").eq("user_id", me)             # every read
sb.table("notifications").insert({"user_id": me, "workspace_id": body.workspace_id})
```

The table carries the tenant key, but nothing reads a row by it: every read in the
project pins an owner column (`owner-keys`) or neither filters by the tenant column nor
selects it (`.select("id", count="exact").eq("page_id", page)` counts the same rows
whatever their tag), and no policy lets the API read the table by the tenant key. A
write that pins the owner to the caller creates or changes a row only the caller reads
back, so the tenant column on it is a tag, not the boundary: a request-supplied or
missing tenant key there reaches no other tenant's rows.

The proof needs every read, so each file's analysis leaves a summary (which tables it
reads, and which columns its reads that pin no owner filter by or select) that a
partial run joins like a full one. What it cannot see keeps the table a tenant table: a
view or a migration function that reads it, a policy naming the key, a table the
project never reads, a project whose migrations were not read. A trigger acting on the
tag (`NEW.workspace_id`) is not seen (`fixtures/cases/KNOWN_GAPS.md`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from orgscope_lint.analysis.builder_api import EMBEDS, OPTIONS
from orgscope_lint.facts import FileFacts, KeyState, Query, ShapeKind

if TYPE_CHECKING:
    from orgscope_lint.project import Project
    from orgscope_lint.rls.model import RlsModel

_READS = ("read", "count")
# Stands for "any column": a read that selects `*`, embeds the table or filters by keys
# the analysis cannot see may read rows by their tag, or the tag itself.
ANY_COLUMN = "*"


def owner_reads(
    queries: Iterable[Query], owner_keys: Iterable[str]
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """One file's summary: each table it reads, with the columns its reads that pin no
    owner column filter by or select (`ANY_COLUMN` when that may be any)."""
    owners = tuple(owner_keys)

    def columns(query: Query) -> Iterable[str]:
        shape = query.shape
        embeds = shape.get(EMBEDS) is not None
        if not embeds and any(shape.state_for(owner) is KeyState.PRESENT for owner in owners):
            return ()
        if embeds or shape.open or shape.kind is ShapeKind.UNKNOWN or query.selected is None:
            return (ANY_COLUMN,)
        # A filter by one of several columns names each of them.
        return (*query.selected, *(c for n in shape.key_names for c in n.split(OPTIONS)))

    return read_columns(queries, columns)


def read_columns(
    queries: Iterable[Query], columns: Callable[[Query], Iterable[str]]
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Each table the reads of `queries` go to, with the columns `columns` names for
    them (a table read only by reads it names none for is listed with none)."""
    found: dict[str, set[str]] = {}
    for query in queries:
        if query.operation in _READS:
            found.setdefault(query.table, set()).update(columns(query))
    return tuple((table, tuple(sorted(names))) for table, names in sorted(found.items()))


def per_user_table(table: str, project: Project) -> bool:
    """Whether `table` is a per-user table of the project (decided once per run)."""
    if project.per_user_tables is None:
        project.per_user_tables = _per_user_tables(project)
    return table in project.per_user_tables


def _per_user_tables(project: Project) -> frozenset[str]:
    """The tenant tables read somewhere outside tests, never by or for their tenant
    column unless an owner column is pinned too, that no view, migration function or
    policy reads by other means."""
    return never_read_by_key(
        project,
        lambda facts: facts.owner_reads,
        lambda table: project.key_for(table) or _parent_column(table, project),
    )


def never_read_by_key(
    project: Project,
    summary: Callable[[FileFacts], Iterable[tuple[str, tuple[str, ...]]]],
    key_of: Callable[[str], str | None],
) -> frozenset[str]:
    """The tables that the reads of `summary`, joined over the project's non-test
    files, never name by their key (nor by a column they cannot name), and that no
    view, migration function or API policy reads by it."""
    from orgscope_lint.project import test_module

    columns: dict[str, set[str]] = {}
    for file_facts in project.file_facts:
        if test_module(file_facts.path, project.config.root):
            continue  # a test reads rows however it likes; no request runs it
        for table, read in summary(file_facts):
            columns.setdefault(table, set()).update(read)
    rls = project.schema.rls
    found = set()
    for table, read in columns.items():
        key = key_of(table)
        if key is None or key in read or ANY_COLUMN in read:
            continue
        if not _read_in_sql(table, key, rls):
            found.add(table)
    return frozenset(found)


def _read_in_sql(table: str, key: str, rls: RlsModel | None) -> bool:
    """A view or function of the migrations reads the table, or an API policy on it
    names the tenant key: rows may be read by the tag there. With no migrations read,
    who reads it in SQL is not known, so it may be."""
    if rls is None:
        return True
    if any(table in view.tables for view in rls.views.values()):
        return True
    reads = re.compile(rf"\b(?:from|join)\s+(?:public\.)?\"?{re.escape(table)}\b", re.IGNORECASE)
    if any(reads.search(function.body) for function in rls.functions.values()):
        return True
    info = rls.tables.get(table)
    keyed = re.compile(rf"\b{re.escape(key)}\b", re.IGNORECASE)
    return info is not None and any(
        policy.applies_to_api()
        and policy.command in ("ALL", "SELECT")
        and keyed.search(policy.using or "")
        for policy in info.policies
    )


def _parent_column(table: str, project: Project) -> str | None:
    """A child table's reference to the tenant table it is scoped through: its tag."""
    link = project.parents.get(table)
    return link.column if link is not None else None
