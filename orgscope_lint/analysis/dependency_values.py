"""Tenant ids a route receives from its dependencies.

```python
async def get_org_context(request: Request, user=Depends(get_current_user)) -> str:
    requested = request.headers.get("x-org-id")
    ...
    return requested              # for a caller with no membership row

@router.get("/operators")
def list_operators(org_id: Annotated[str, Depends(get_org_context)]): ...
```

FastAPI calls the dependency with the same request and hands the route what it
returns. When some `return` of it hands back request input that no check verified
(`FunctionFact.returns_request`), the route's parameter is as caller-chosen as that
input: its queries, and the helpers it passes it to, take the tenant from the request
(ORG009), wherever the dependency is defined. A dependency that returns the value only
after comparing it with the principal's own tenants returns the principal's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from orgscope_lint.analysis.dependency_checks import dependency_functions

if TYPE_CHECKING:
    from orgscope_lint.facts import FunctionFact
    from orgscope_lint.project import Project


# `request:header via get_org_context`: the input, and the dependency it came through.
VIA = " via "


def dependency_of(fn: FunctionFact | None, param: str) -> str | None:
    """The dependency FastAPI fills `fn`'s parameter `param` from, if any."""
    if fn is None:
        return None
    return next((name for slot, name in fn.param_dependencies if slot == param), None)


def request_origin(fn: FunctionFact | None, param: str, project: Project) -> str | None:
    """The request input the dependency filling `param` may return, with its name
    (`request:header via get_org_context`), or None."""
    name = dependency_of(fn, param)
    if fn is None or name is None:
        return None
    made = name in fn.depends_on_made
    for _, dependency in dependency_functions(name, project, made):
        given = dependency.returns_request
        return f"{given.partition(VIA)[0]}{VIA}{name}" if given else None
    return None


def identity_params(fn: FunctionFact | None, project: Project) -> frozenset[str]:
    """The parameters of `fn` FastAPI fills from a dependency that returns the caller's
    own id and nothing else (`user_id: str = Depends(get_current_user_id)`, every
    `return` of which hands back a verified token's subject: `returns_identity`)."""
    if fn is None or not fn.param_dependencies:
        return frozenset()
    return frozenset(
        param
        for param, name in fn.param_dependencies
        for _, dependency in dependency_functions(name, project, name in fn.depends_on_made)
        if dependency.returns_identity == ()
    )
