"""Rows a project function returned: provenance one call away.

```python
def load_link(token):
    rows = sb.table("job_links").select("*").eq("token", token).execute().data
    if not rows:
        raise LookupError("unknown link")
    return rows[0]

def start_job(token):
    link = load_link(token)
    sb.table("job_links").update({"started_at": now()}).eq("id", link["id"]).execute()
```

The update is pinned to the id of the row `load_link` returned, and that row was found
by the token the caller presented: the presenter's own row, as surely as if the read
had been made in `start_job` (where `tenancy.follows` already counts it). The same holds
for a row the function read with the tenant key (its read judged scoped). The function
must be the one the call surely reaches, and it must return that read's rows on every
path (`FunctionFact.returns_query`). As for a row read in the same function, any value
read from it counts (`link["appointment_id"]` names the appointment the tenant linked).
A row read without the key proves nothing, and the query is judged on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from orgscope_lint.analysis import identity
from orgscope_lint.facts import CallFact, FileFacts, FunctionFact, Query

if TYPE_CHECKING:
    from orgscope_lint.project import Project


@dataclass(frozen=True)
class Returned:
    """The scoped read whose row a query's value comes from, and the call it came back by."""

    read: Query
    call: CallFact
    function: FunctionFact


def from_returned_row(query: Query, facts: FileFacts, project: Project) -> bool:
    return returned_read(query, facts, project) is not None


def returned_read(query: Query, facts: FileFacts, project: Project) -> Returned | None:
    """The scoped read of another function whose row, returned here, a value pinning the
    query on every path was read from."""
    for fact in query.shape.keys:
        if fact.always and fact.call is not None and not fact.row:
            found = _scoped_read_returned(fact.call, facts, project)
            if found is not None:
                return found
    return None


def _scoped_read_returned(index: int, facts: FileFacts, project: Project) -> Returned | None:
    from orgscope_lint.analysis.caller_proof import targets
    from orgscope_lint.tenancy import Verdict, verdict

    if index >= len(facts.calls):
        return None
    call = facts.calls[index]
    callees, sure = targets(call, project, facts.path)
    if len(callees) != 1 or not sure or callees[0].returns_query is None:
        return None
    callee = callees[0]
    path = project.path_of(callee)
    read = next(
        (q for q in project.queries_of(callee) or () if q.span == callee.returns_query), None
    )
    read_facts = project.facts_of(path) if path is not None else None
    judging = project.returned_judging
    if read is None or read_facts is None or id(read) in judging:
        return None  # unknown, or a read whose own verdict is being decided (recursion)
    if identity.found_by_secret(read):
        return Returned(read, call, callee)
    judging.add(id(read))
    try:
        scoped = verdict(read, read_facts, project) is Verdict.SCOPED
    finally:
        judging.discard(id(read))
    return Returned(read, call, callee) if scoped else None
