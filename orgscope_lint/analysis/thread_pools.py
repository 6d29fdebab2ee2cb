"""Work a thread pool runs now: `await run_in_threadpool(f, a, b)` is `f(a, b)`.

An async route that uses a synchronous database client hands each piece of work to a
thread, the function first and its arguments after it, and waits for the result:

```python
def _me(user: CurrentUser) -> dict:
    return client.table("users").select("*").eq("id", user.id).single().execute().data

@router.get("/me")
async def me(user: CurrentUser):
    return await run_in_threadpool(_me, user)      # = _me(user), in a thread
```

For the analysis that is a call of `_me` with those arguments at that line: what `_me`
reads is as scoped as what the route passes, and what it returns comes back to the
route. Handed over as a bare value instead, the function's call sites would be unknown
and nothing it does could be proven by its callers.

Recognised: `run_in_threadpool(f, ...)` (Starlette and FastAPI), `asyncio.to_thread(f,
...)`, `anyio.to_thread.run_sync(f, ...)` and an event loop's `run_in_executor(executor,
f, ...)`. A function wrapped first (`functools.partial(f, a)`), or handed to a project
function that calls what it is given, stays a bare value.
"""

from __future__ import annotations

# Where the function stands among the positional arguments, by the dispatcher's own name,
# with the receivers it is called on ("" bare, as imported; None: any receiver, for a
# method of an event loop however it was obtained).
_DISPATCHERS: dict[str, tuple[int, frozenset[str] | None]] = {
    "run_in_threadpool": (
        0,
        frozenset({"", "concurrency", "starlette.concurrency", "fastapi.concurrency"}),
    ),
    "to_thread": (0, frozenset({"", "asyncio"})),
    "run_sync": (0, frozenset({"to_thread", "anyio.to_thread"})),
    "run_in_executor": (1, None),
}


def function_position(name: str, receiver: str) -> int | None:
    """The position of the function among the positional arguments of
    `receiver.name(...)` (`receiver` "" for a bare call), when that call runs it in a
    thread and waits for it."""
    found = _DISPATCHERS.get(name)
    if found is None:
        return None
    position, receivers = found
    return position if receivers is None or receiver in receivers else None
