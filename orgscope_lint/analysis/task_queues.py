"""Work handed to a task queue: an enqueue is a call of the task, later.

A route that checks an id and then hands it to a worker passes it on as surely as a
direct call does; the worker's queries are as scoped as what its enqueues pass:

```python
@dramatiq.actor
def export_report(report_id): ...            # reads `reports` by `report_id`

@router.post("/reports/{report_id}/export")
def export(report_id: str, user=Depends(me)):
    check_report(report_id, user["org_id"])   # raises unless the org's
    export_report.send(report_id)             # = export_report(report_id), later
```

Recognised: the task object's own methods (`task.send(...)`, `.delay(...)`, `.kiq(...)`,
`.apply_async(args=(...), kwargs={...})`, `.send_with_options(args=..., kwargs=...)`)
and queues given the function first (`background_tasks.add_task(f, ...)`,
`queue.enqueue(f, ...)`). Such a task is not a scheduled job either: the project's own
code decides what it runs on (see `system_context`). Arguments a scheduler passes
(a beat schedule naming the task by a string) are not seen. A task registered with
`bind=True` gets the task itself first: what an enqueue passes starts at its second
parameter (`FunctionFact.bound`).
"""

from __future__ import annotations

from dataclasses import dataclass

# Methods of the task object that enqueue a call of it with the same arguments...
TASK_METHODS = frozenset({"send", "delay", "kiq"})
# ...or with them packed as `args=(...)`, `kwargs={...}`.
PACKED_METHODS = frozenset({"apply_async", "send_with_options"})
# Queue methods given the function first, then its arguments.
QUEUE_METHODS = frozenset({"add_task", "enqueue"})


@dataclass(frozen=True)
class Enqueue:
    """What an enqueue calls: the task's name, and where its arguments are."""

    task: str
    packed: bool = False  # arguments in `args=`/`kwargs=` keywords
    skip: int = 0  # leading positional arguments that are not the task's (the function)


def enqueue_of(method: str, receiver: str, first_positional: str | None) -> Enqueue | None:
    """`receiver.method(...)` as an enqueue: `receiver` is the dotted receiver text and
    `first_positional` the dotted name of the first positional argument, if any."""
    if method in QUEUE_METHODS and first_positional:
        return Enqueue(first_positional.rsplit(".", 1)[-1], skip=1)
    if "." in receiver or not receiver.isidentifier():
        return None  # a module's or an object's attribute: not a task named in the project
    if method in TASK_METHODS:
        return Enqueue(receiver)
    if method in PACKED_METHODS:
        return Enqueue(receiver, packed=True)
    return None
