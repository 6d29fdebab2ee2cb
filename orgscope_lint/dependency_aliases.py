"""FastAPI dependencies named through a type alias, resolved across the project.

```python
# app/api/deps.py
CurrentMember = Annotated[dict, Depends(require_member)]

# app/api/projects.py
@router.get("/orgs/{org_id}/projects")
def projects(org_id: str, member: CurrentMember): ...
```

FastAPI fills `member` from `require_member` exactly as if the parameter were written
`member: Annotated[dict, Depends(require_member)]`, and the alias usually lives in
another module than the routes that use it. Each file records the aliases it defines at
module level (`ModuleLinks.dependency_aliases`) and, for each function, the parameters
annotated by a plain name (`FunctionFact.annotated_params`). Once every file is joined,
a name that the file itself or else exactly one file of the project defines as an alias
gives the function that dependency: what it depends on, which parameter it fills,
whether it is a configured system dependency, that the route is not anonymous.

A file's own analysis could not know the alias, and took such a parameter of a route
for a request body (a plain capitalised annotation is how a pydantic model is
received): the facts it drew from the parameter alone lose that origin, and a call on
it gets the alias's class, as they would have had with `Depends` written out. A name two
files define is left alone: imports are not followed.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from orgscope_lint.analysis.ast_names import last_name
from orgscope_lint.config import Config
from orgscope_lint.facts import ArgFact, CallFact, FileFacts, FunctionFact, KeyFact, Query

# (alias, the dependency's innermost name, whether `Depends(f())` calls a factory,
# the annotated type's class when it is one plain name)
Alias = tuple[str, str, bool, str | None]
_BODY = "request:body"


@dataclass(frozen=True)
class _Dependency:
    name: str
    called: bool
    cls: str | None


def aliases_in(tree: ast.Module) -> tuple[Alias, ...]:
    """The module-level `Name = Annotated[T, Depends(f)]` (or `Security`, or
    `Name: TypeAlias = ...`) of one module."""
    found: list[Alias] = []
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target, value = stmt.targets[0], stmt.value
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            target, value = stmt.target, stmt.value
        else:
            continue
        if isinstance(target, ast.Name) and isinstance(value, ast.Subscript):
            dependency = _annotated_dependency(value)
            if dependency is not None:
                found.append((target.id, *dependency))
    return tuple(found)


def _annotated_dependency(value: ast.Subscript) -> tuple[str, bool, str | None] | None:
    if last_name(value.value) != "Annotated" or not isinstance(value.slice, ast.Tuple):
        return None
    annotated, *extras = value.slice.elts
    cls = annotated.id if isinstance(annotated, ast.Name) and annotated.id[:1].isupper() else None
    for extra in extras:
        if not isinstance(extra, ast.Call) or last_name(extra.func) not in _DEPENDS:
            continue
        target = extra.args[0] if extra.args else None
        called = isinstance(target, ast.Call)
        name = last_name(target.func if isinstance(target, ast.Call) else target)
        return (name, called, cls) if name else None
    return None


_DEPENDS = ("Depends", "Security")


def resolve(facts: Iterable[FileFacts], config: Config) -> list[FileFacts]:
    """Every file, its functions given the dependencies their aliased parameters name."""
    facts = list(facts)
    if not any(_aliases_of(file_facts) for file_facts in facts):
        return facts
    project = _unique(alias for file_facts in facts for alias in _aliases_of(file_facts))
    return [_resolved_file(file_facts, project, config) for file_facts in facts]


def _aliases_of(facts: FileFacts) -> tuple[Alias, ...]:
    return facts.links.dependency_aliases if facts.links is not None else ()


def _unique(aliases: Iterable[Alias]) -> dict[str, _Dependency]:
    seen: dict[str, set[_Dependency]] = {}
    for name, dependency, called, cls in aliases:
        seen.setdefault(name, set()).add(_Dependency(dependency, called, cls))
    return {name: next(iter(found)) for name, found in seen.items() if len(found) == 1}


def _resolved_file(
    facts: FileFacts, project: Mapping[str, _Dependency], config: Config
) -> FileFacts:
    if not any(fn.annotated_params for fn in facts.functions):
        return facts
    # The module's own alias is the one its names mean, whatever other files define.
    aliases = {**project, **_unique(_aliases_of(facts))}
    filled = {fn.qualname: dict(_aliased(fn, aliases)) for fn in facts.functions}
    filled = {qualname: params for qualname, params in filled.items() if params}
    if not filled:
        return facts
    return replace(
        facts,
        functions=tuple(
            _resolved(fn, filled[fn.qualname], config) if fn.qualname in filled else fn
            for fn in facts.functions
        ),
        queries=tuple(_query(query, filled.get(query.function or "")) for query in facts.queries),
        calls=tuple(_call(call, filled.get(call.function or "")) for call in facts.calls),
    )


def _aliased(fn: FunctionFact, aliases: Mapping[str, _Dependency]) -> Iterable[tuple]:
    for param, annotation in fn.annotated_params:
        if annotation in aliases:
            yield param, aliases[annotation]


def _resolved(fn: FunctionFact, filled: Mapping[str, _Dependency], config: Config) -> FunctionFact:
    named = list(filled.values())
    system = fn.system_dependency or next(
        (d.name for d in named if d.name in config.system_dependencies), None
    )
    return replace(
        fn,
        depends_on=tuple(sorted({*fn.depends_on, *(d.name for d in named)})),
        depends_on_made=tuple(sorted({*fn.depends_on_made, *(d.name for d in named if d.called)})),
        param_dependencies=(*fn.param_dependencies, *((p, d.name) for p, d in filled.items())),
        system_dependency=system,
        anonymous=False,
    )


def _query(query: Query, filled: Mapping[str, _Dependency] | None) -> Query:
    if not filled:
        return query
    keys = tuple(_key(fact, filled) for fact in query.shape.keys)
    if all(new is old for new, old in zip(keys, query.shape.keys, strict=True)):
        return query
    return replace(query, shape=replace(query.shape, keys=keys))


def _key(fact: KeyFact, filled: Mapping[str, _Dependency]) -> KeyFact:
    return replace(fact, origin=None) if _from_alias(fact.origin, fact.params, filled) else fact


def _call(call: CallFact, filled: Mapping[str, _Dependency] | None) -> CallFact:
    if not filled:
        return call
    args = tuple(_arg(arg, filled) for arg in call.args)
    cls = filled[call.receiver].cls if call.receiver in filled else None
    if cls is None and all(new is old for new, old in zip(args, call.args, strict=True)):
        return call
    return replace(call, args=args, receiver_class=call.receiver_class or cls)


def _arg(arg: ArgFact, filled: Mapping[str, _Dependency]) -> ArgFact:
    return replace(arg, origin=None) if _from_alias(arg.origin, arg.params, filled) else arg


def _from_alias(
    origin: str | None, params: tuple[str, ...], filled: Mapping[str, _Dependency]
) -> bool:
    """A value the analysis took for the request body only because it came from an
    aliased parameter."""
    return origin == _BODY and bool(params) and all(p in filled for p in params)
