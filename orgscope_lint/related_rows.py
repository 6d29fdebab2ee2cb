"""Rows reached from another row through the foreign key that links their tables.

```python
me = db.table("residents").select("apartment_id").eq("id", resident["resident_id"])...
apt = db.table("apartments").select("building_id").eq("id", me.data["apartment_id"])...
db.table("buildings").select("address").eq("id", apt.data["building_id"])...     # own
db.table("polls").select("*").eq("building_id", apt.data["building_id"])...       # own
```

A principal with no tenant id of its own (a resident, a customer of the tenant) reaches
its data from its own identity row: the apartment that row names, that apartment's
building, that building's polls. Each hop follows a foreign key the migrations declare
from the earlier row's table to the table the later query pins, so the later rows are
the ones the caller's own row points at, as narrow as the caller. Only reads count, and
only from an identity row (pinned by the principal's own id, or a credential the
request presented), whose links the tenant sets; a row the caller merely owns
(`user_id` = the caller: a mention, a suggestion) may point wherever the caller wrote,
so what it names is still judged on its own.

The value must be read as that very field (`row["apartment_id"]`, `row.get(...)`,
`row.apartment_id`): a value read from another field of the same row (a polymorphic
`mention_id`) names a row the caller's own row does not point at.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from orgscope_lint.facts import FileFacts, Query

if TYPE_CHECKING:
    from orgscope_lint.project import Project

PRIMARY_KEY = "id"


def from_own_row(
    query: Query, facts: FileFacts, project: Project, owned: Callable[[Query], bool]
) -> bool:
    """The query pins its table's `id`, or a foreign key to a parent table, to the field
    of an earlier row that is the caller's own (`owned`), when that field is a foreign
    key to that same table."""
    for fact in query.shape.keys:
        ref = fact.row or ""
        if not fact.always or fact.empty or not fact.column or not ref.startswith("q"):
            continue
        index = int(ref[1:])
        root = facts.queries[index]
        if not any(q is query for q in facts.queries[index + 1 :]):
            continue  # itself, or a loop's later query: never judged by what comes after
        if root.operation not in ("read", "count"):
            continue
        target = (
            query.table if fact.key == PRIMARY_KEY else project.referenced(query.table, fact.key)
        )
        if target and project.referenced(root.table, fact.column) == target and owned(root):
            return True
    return False
