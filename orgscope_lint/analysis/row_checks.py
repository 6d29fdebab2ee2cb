"""Assert helpers: a function that checks, for its caller, the row the caller fetched.

```python
def _assert_company_poll(poll: dict, company_id: int) -> None:
    if poll["company_id"] != company_id:
        raise HTTPException(status_code=403)

poll = db.table("polls").select("*").eq("id", poll_id).single().execute().data
_assert_company_poll(poll, company["company_id"])   # raises unless the poll is the caller's
return poll
```

Inside the helper, a test that compares a parameter's field with another parameter,
raising (or returning early) otherwise, leaves a mark on the path (`mark`); the marks
that every normal exit carries become the helper's `FunctionFact.checks_rows`. The same
holds when the field is found among the ids of a parent table the helper read by its
tenant key (`if poll["building_id"] not in [b["id"] for b in buildings]: raise`, the
buildings pinned by `company_id`): the row's parent is that tenant's.

At the call site the verdict asks (`checked_by_call`): was this query's row handed to
such a helper, with the principal's own id as the parameter it is compared with, before
the calling function could return? Then the row was compared with the caller right after
the fetch, exactly as if the test had been written inline (ORG013, defense in depth).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from orgscope_lint.analysis import values as V
from orgscope_lint.analysis.values import EXPRESSION, Value
from orgscope_lint.facts import CallFact, FileFacts, FunctionFact, Query, RowCheck

if TYPE_CHECKING:
    from orgscope_lint.project import Project

# Environment keys of the marks: no code text (what other EXPRESSION keys hold) starts so.
_MARK = EXPRESSION + "⊢"
_SEP = "\0"


def parameter(name: str | None, env_vars: Mapping[str, Value], params: Sequence[str]) -> str | None:
    """`name`, when it is a parameter still holding what the function received."""
    if name is None or name not in params:
        return None
    value = env_vars.get(name)
    if value is None or value.row or value.call is not None or value.params != {name}:
        return None
    return name if value.origin in (None, "principal") else None


def mark(
    env_vars: dict[str, Value],
    param: str,
    column: str,
    against: str,
    through: tuple[str, str] | None = None,
) -> None:
    """Record on this path that `param[column]` was checked against `against`. A path
    that joins without it drops it (EXPRESSION keys are kept only when on both)."""
    text = _SEP.join(through) if through is not None else ""
    env_vars[_MARK + param + _SEP + column] = Value(
        kind=V.STR, text=text, params=frozenset({against})
    )


def marks_on_path(env_vars: Mapping[str, Value], params: Sequence[str]) -> dict[str, str]:
    """This path's marks on `params`, as exit entries: "⊢param\\0column" ->
    "against\\0through\\0key"."""
    found: dict[str, str] = {}
    for key, value in env_vars.items():
        if not key.startswith(_MARK) or len(value.params) != 1:
            continue
        (against,) = value.params
        if against in params and key[len(_MARK) :].split(_SEP, 1)[0] in params:
            found[key.removeprefix(EXPRESSION)] = against + _SEP + (value.text or "")
    return found


def is_mark(key: str) -> bool:
    """An exit entry or an environment key that is a mark."""
    return key.startswith((_MARK, _MARK.removeprefix(EXPRESSION)))


def checked_on_every_exit(exits: Sequence[Mapping[str, str]]) -> tuple[RowCheck, ...]:
    """The marks every normal exit carries, the same on each."""
    if not exits:
        return ()
    found = []
    for key, said in exits[0].items():
        if not is_mark(key) or any(other.get(key) != said for other in exits[1:]):
            continue
        param, column = key[1:].split(_SEP, 1)
        against, _, through = said.partition(_SEP)
        table, _, table_key = through.partition(_SEP)
        found.append(RowCheck(param, column, against, table or None, table_key or None))
    return tuple(sorted(found, key=lambda check: (check.param, check.column)))


def checked_by_call(query: Query, facts: FileFacts, project: Project) -> CallFact | None:
    """The call, later in the query's own function, that handed this query's row to an
    assert helper together with the principal's own id, the helper comparing the row's
    scoping column with it (or finding its parent among that tenant's rows)."""
    from orgscope_lint.analysis.caller_proof import targets

    column = project.scoping_column(query.table)
    if column is None or query.operation not in ("read", "count"):
        return None
    for call in _later_calls(query, facts.calls):
        reached, sure = targets(call, project, facts.path)
        if not sure or len(reached) != 1:
            continue
        fn = reached[0]
        for check in fn.checks_rows:
            if _holds(check, call, fn, query, project):
                return call
    return None


def _later_calls(query: Query, calls: Iterable[CallFact]) -> Iterable[CallFact]:
    """Calls of the query's function after it, with no `return` before them, handed
    the query's row."""
    after = (query.span.line, query.span.column)
    for call in calls:
        if call.function != query.function or call.after_exit:
            continue
        if (call.span.line, call.span.column) > after and any(
            arg.origin == "row" and arg.lookup is not None and arg.lookup.span == query.span
            for arg in call.args
        ):
            yield call


def _holds(
    check: RowCheck, call: CallFact, fn: FunctionFact, query: Query, project: Project
) -> bool:
    """The call hands `fn` this query's row as the checked parameter and the principal
    as the one it is compared with; the column is the table's scoping column, or leads
    to the parent table the helper read by the tenant key."""
    from orgscope_lint.analysis.caller_proof import argument

    row = argument(call, fn, check.param)
    against = argument(call, fn, check.against)
    if row is None or against is None or against.origin != "principal":
        return False
    if row.origin != "row" or row.lookup is None or row.lookup.span != query.span:
        return False
    if check.through is None or check.through_key is None:
        return check.column == project.scoping_column(query.table)
    return _leads_to(query.table, check.column, check.through, check.through_key, project)


def found_among_parents(query: Query, project: Project) -> bool:
    """The row's parent was found among the ids of the principal tenant's parent rows
    (`Query.checked_through`), a function of the module returning them."""
    if query.checked_through is None or query.operation not in ("read", "count"):
        return False
    column, table, key = query.checked_through
    return _leads_to(query.table, column, table, key, project)


def _leads_to(table: str, column: str, parent: str, key: str, project: Project) -> bool:
    """`table.column` references `parent`, whose tenant key is `key`."""
    return project.referenced(table, column) == parent and project.key_for(parent) == key
