"""`def` and `class` statements: what each function's summary records (its parameters
and where their values come from, whether it is a route, what it depends on, the
parameters it leaves verified, the dict it returns) and the attributes a class gives
its instances."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import libcst as cst

from orgscope_lint.analysis import call_facts, guards, identity, origins, row_checks
from orgscope_lint.analysis import values as V
from orgscope_lint.analysis.attributes import object_attributes, string_attributes
from orgscope_lint.analysis.constructions import FIELD
from orgscope_lint.analysis.constructor_fields import Fields
from orgscope_lint.analysis.paths import Env
from orgscope_lint.analysis.scopes import Scope
from orgscope_lint.analysis.syntax import (
    annotated_classes,
    annotation_names,
    dotted_name,
    returned_class,
    returned_function,
)
from orgscope_lint.analysis.values import Value
from orgscope_lint.facts import ArgFact, FunctionFact, Query, Shape
from orgscope_lint.findings import Span

# Parameter names that hold a tenant id whatever the configured key is called.
_ORG_PARAM_WORDS = ("org_id", "organization_id", "tenant_id")

if TYPE_CHECKING:
    from orgscope_lint.analysis.positions import PositionIndex
    from orgscope_lint.analysis.system_context import SystemContexts
    from orgscope_lint.config import Config


@dataclass
class ClassInfo:
    name: str
    is_db: bool
    attributes: dict[str, Value]


@dataclass
class FunctionState:
    qualname: str
    params: tuple[str, ...]
    org_params: tuple[str, ...]
    returns: list[Value] = field(default_factory=list)
    # Per normal exit, the parameters a lookup had verified there: param -> "verified:q3".
    exits: list[dict[str, str]] = field(default_factory=list)
    # Request input some `return` hands back untested (`dependency_values`).
    request_returns: list[str] = field(default_factory=list)
    # Per `return`: "" for the authenticated identity, a parameter returned as given,
    # None for anything else (`identity.returned_identity`).
    identity_returns: list[str | None] = field(default_factory=list)
    # Per normal exit, the calls each parameter had been handed there and returned from
    # (`Value.checked` refs): a check made after a read but before anything leaves.
    exit_checks: list[dict[str, frozenset[str]]] = field(default_factory=list)
    yields: bool = False  # a generator: what it yields leaves before it exits
    # Its parameters FastAPI fills from a dependency (`org_id = Depends(get_org)`).
    filled: frozenset[str] = frozenset()
    # Its parameters that are the principal's as given (`current_user`): no check made
    # them so.
    held: frozenset[str] = frozenset()


class Definitions:
    """The interpreter's half that runs `def` and `class` statements (a mixin: it
    shares the interpreter's state, declared here)."""

    config: Config
    positions: PositionIndex
    system: SystemContexts
    functions: list[FunctionFact]
    _defined: dict[str, list[int]]
    queries: list[Query]
    scope: Scope
    _function: FunctionState | None
    _class: ClassInfo | None
    _classes: dict[str, ClassInfo]
    _constants: dict[str, Value]
    _closure_rows: dict[str, Value]
    watched: frozenset[str]
    router_prefixes: dict[str, frozenset[str]]
    constructor_fields: Fields

    if TYPE_CHECKING:  # provided by the interpreter

        def ev(self, node: cst.BaseExpression, env: Env) -> Value: ...

        def _exec_suite(self, suite: cst.BaseSuite, env: Env) -> None: ...

        def _rank(self, key: object, node: cst.CSTNode) -> int: ...

        @property
        def db_class_names(self) -> frozenset[str]: ...

    def _exec_function(self, node: cst.FunctionDef, env: Env) -> None:
        for decorator in node.decorators:
            self.ev(decorator.decorator, env)
        self._param_loads(node.params, env)
        if node.returns is not None:
            self.ev(node.returns.annotation, env)
        self.scope.bind(node.name.value)
        method_of = self._class if self.scope.kind == "class" else None
        qualname = node.name.value
        if method_of is not None:
            qualname = f"{method_of.name}.{qualname}"
        elif self._function is not None:
            qualname = f"{self._function.qualname}.{qualname}"
        span = self.positions.definition(
            node.name.value, self._rank(("def", node.name.value), node)
        )
        params = param_names(node.params)
        # Walked once: the system dependency is the first of them that is configured.
        depends_on = list(origins.dependency_names(node.decorators, _all_params(node.params)))
        org_params = tuple(p for p in params if self._is_org_param(p))
        body_env = self._enter_params(node, params, method_of, env)
        detected = self.system.at(span.line)
        self._defined.setdefault(qualname, []).append(len(self.functions))
        self.functions.append(
            FunctionFact(
                qualname=qualname,
                name=node.name.value,
                class_name=method_of.name if method_of else None,
                db_class=bool(method_of and method_of.is_db),
                params=params,
                org_params=org_params,
                span=span,
                end_line=self.positions.definition_end(span),
                system_dependency=origins.first_wanted(depends_on, self.config.system_dependencies),
                route=origins.route_path_params(node.decorators, self.router_prefixes) is not None,
                anonymous=not depends_on and self._anonymous(node),
                depends_on=tuple(sorted({name for name, _ in depends_on})),
                depends_on_made=tuple(sorted({name for name, called in depends_on if called})),
                system_context=detected.reason,
                platform_guard=detected.platform_guard,
                tasks=tuple(sorted(detected.tasks)),
                answers_signature=detected.signature_answer,
                answers_tenant_signature=detected.tenant_signature_answer,
                rejects_unless=detected.rejects_unless,
                registered=call_facts.registered(node.decorators),
                bound_task=call_facts.bound_task(node.decorators),
                returns_class=returned_class(node.returns.annotation) if node.returns else None,
                returns_function=returned_function(node, qualname),
                param_dependencies=_param_dependencies(node.params),
                annotated_params=_annotated_params(node.params),
            )
        )
        saved = (self.scope, self._function, self._class)
        self.scope = Scope("function", parent=self.scope, bindings=set(params))
        filled = frozenset(param for param, _ in self.functions[-1].param_dependencies)
        held = frozenset(
            p for p in params if body_env.vars.get(p, V.TOP).origin in ("principal", "unverified")
        )
        state = self._function = FunctionState(
            qualname, params, org_params, filled=filled, held=held
        )
        self._class = None
        index = len(self.functions) - 1
        try:
            self._exec_suite(node.body, body_env)
        finally:
            self.scope, self._function, self._class = saved
        if not body_env.dead:
            state.exits.append(verified_params(params, body_env, state.held))
            state.exit_checks.append(handed_params(params, body_env))
        returned = _returned_dict(state.returns)
        rows_of = None if not body_env.dead else self._returned_read(state.returns)
        created = body_env.dead and self._returned_insert(state.returns)
        if rows_of is not None and saved[1] is not None:
            self._closure_rows[qualname] = next(v for v in state.returns if v.kind != V.NONE)
        self.functions[index] = replace(
            self.functions[index],
            returns=returned,
            verifies=_verified_on_exit(state.exits),
            checks_rows=row_checks.checked_on_every_exit(state.exits),
            returns_ids=self._returned_ids(state.returns, params) if body_env.dead else None,
            returns_query=rows_of,
            returns_request=state.request_returns[0] if state.request_returns else None,
            returns_identity=identity.returns_identity(state.identity_returns),
            checked_on_exit=() if state.yields else _checked_on_every_exit(state.exit_checks),
            returns_created=created,
        )

    def defined_once(self, qualname: str) -> FunctionFact | None:
        """The function of this module named `qualname`, defined above this point, when
        exactly one is."""
        found = self._defined.get(qualname, ())
        return self.functions[found[0]] if len(found) == 1 else None

    def _anonymous(self, node: cst.FunctionDef) -> bool:
        if self._function is not None:  # nested: as anonymous as the route around it
            outer = self._function.qualname
            return any(self.functions[i].anonymous for i in self._defined.get(outer, ()))
        route = origins.route_path_params(node.decorators, self.router_prefixes)
        return origins.anonymous_route(route, _all_params(node.params), self.config.principal_names)

    def _returned_ids(
        self, returns: Sequence[Value], params: Sequence[str]
    ) -> tuple[str, str, str] | None:
        """(table, key, param) when every `return` hands back the `id`s of one read's
        rows, that read pinning a tenant-like `key` to parameter `param`."""
        items = [value.element or V.TOP for value in returns]
        query = self._returned_query(items)
        if query is None or query.operation != "read" or {i.column for i in items} != {"id"}:
            return None
        for fact in query.shape.keys:
            pinned = fact.params[0] if fact.always and len(fact.params) == 1 else None
            if pinned in params and not fact.origin and self._is_org_param(fact.key):
                return query.table, fact.key, pinned
        return None

    def _returned_read(self, returns: Sequence[Value]) -> Span | None:
        """The read whose rows every `return` hands back, if one does; `return None`
        where it found nothing hands back nothing of anyone's rows. A function returning
        a (result, error) pair on every `return` hands back the results."""
        if returns and all(value.items is not None and len(value.items) == 2 for value in returns):
            returns = [value.items[0] for value in returns if value.items is not None]
        query = self._returned_query([value for value in returns if value.kind != V.NONE])
        return query.span if query and query.operation in ("read", "count") else None

    def _returned_insert(self, returns: Sequence[Value]) -> bool:
        """Every `return` hands back what its own insert wrote (`return
        result.data[0]["id"]` after `.insert(...)`): a row the call has just created."""
        query = self._returned_query(returns)
        return query is not None and query.operation == "insert"

    def _returned_query(self, returns: Sequence[Value]) -> Query | None:
        refs = {value.row for value in returns}
        ref = refs.pop() if len(refs) == 1 else None
        if not ref or ref[0] != "q" or int(ref[1:]) >= len(self.queries):
            return None
        return self.queries[int(ref[1:])]

    def _enter_params(
        self, node: cst.FunctionDef, params: tuple[str, ...], method_of: ClassInfo | None, env: Env
    ) -> Env:
        body_env = Env(
            {k: v for k, v in env.vars.items() if k not in params and not row_checks.is_mark(k)}
        )
        route = origins.route_path_params(node.decorators, self.router_prefixes)
        declared = {p.name.value: p for p in _all_params(node.params)}
        annotated = _param_annotations(node.params)
        is_static = any(
            dotted_name(d.decorator) in ("staticmethod", "classmethod") for d in node.decorators
        )
        for index, name in enumerate(params):
            if index == 0 and method_of is not None and not is_static:
                kind = V.SERVICE if method_of.is_db else V.OBJECT
                body_env.vars[name] = Value(kind=kind, text=method_of.name)
            elif annotated_classes(annotated.get(name)) & self.db_class_names:
                cls = sorted(annotated_classes(annotated[name]) & self.db_class_names)[0]
                body_env.vars[name] = Value(kind=V.SERVICE, text=cls)
            else:
                body_env.vars[name] = self._param_value(declared.get(name), name, route)
        return body_env

    def _param_value(self, param: cst.Param | None, name: str, route: set[str] | None) -> Value:
        origin = (
            origins.param_origin(param, route, self.config.principal_names)
            if param is not None and name not in self.config.db_receivers
            else None
        )
        annotation = param.annotation.annotation if param and param.annotation else None
        if "Request" in annotation_names(annotation):
            return Value(text="Request", params=frozenset({name}), origin=origin)
        classes = sorted(c for c in annotated_classes(annotation) if c[:1].isupper())
        if classes and classes != ["None"] and origin is None:
            # `repo: CallRepository = Depends(...)`: calls of its methods may be helpers.
            cls = next(c for c in classes if c != "None")
            return Value(kind=V.OBJECT, text=cls, params=frozenset({name}))
        return Value(params=frozenset({name}), origin=origin)

    def _param_loads(self, params: cst.Parameters, env: Env) -> None:
        ordered: list[cst.Param] = [*params.posonly_params, *params.params]
        if isinstance(params.star_arg, cst.Param):
            ordered.append(params.star_arg)
        ordered.extend(params.kwonly_params)
        if params.star_kwarg is not None:
            ordered.append(params.star_kwarg)
        for param in ordered:
            if param.annotation is not None:
                self.ev(param.annotation.annotation, env)
            if param.default is not None:
                self.ev(param.default, env)

    def _is_org_param(self, name: str) -> bool:
        return name in self.watched or name.endswith(_ORG_PARAM_WORDS)

    def _exec_class(self, node: cst.ClassDef, env: Env) -> None:
        for decorator in node.decorators:
            self.ev(decorator.decorator, env)
        base_names: set[str] = set()
        for arg in node.bases:
            self.ev(arg.value, env)
            base_names.add(dotted_name(arg.value).rsplit(".", 1)[-1])
        for arg in node.keywords:
            self.ev(arg.value, env)
        self.scope.bind(node.name.value)
        name = node.name.value
        inherited: dict[str, Value] = {}
        for base in sorted(base_names & self._classes.keys()):
            # A constructor field is the base's own: this class has its own constructor.
            inherited.update(
                (attr, value)
                for attr, value in self._classes[base].attributes.items()
                if not (value.origin or "").startswith(FIELD)
            )
        info = ClassInfo(
            name=name,
            is_db=name in self.db_classes or bool(base_names & self.db_class_names),
            attributes={**inherited, **self._class_attributes(node)},
        )
        self._classes[name] = info
        saved = (self.scope, self._class)
        self.scope = Scope("class", parent=self.scope)
        self._class = info
        try:
            self._exec_suite(node.body, env.copy())
        finally:
            self.scope, self._class = saved

    def _class_attributes(self, node: cst.ClassDef) -> dict[str, Value]:
        """`self.x = DatabaseService(...)`, `self.x = param: DatabaseService`, or
        `x: DatabaseService`, anywhere in the class."""
        found: dict[str, Value] = {}
        classes = self.db_class_names
        for stmt in _walk_statements(node.body):
            if isinstance(stmt, cst.AnnAssign):
                cls = annotated_classes(stmt.annotation.annotation) & classes
                attr = _self_attribute(stmt.target) or (
                    stmt.target.value if isinstance(stmt.target, cst.Name) else None
                )
                if cls and attr:
                    found[attr] = Value(kind=V.SERVICE, text=sorted(cls)[0])
            elif isinstance(stmt, cst.FunctionDef):
                found.update(self._attributes_from_params(stmt, classes))
            elif isinstance(stmt, cst.Assign) and isinstance(stmt.value, cst.Call):
                cls_name = dotted_name(stmt.value.func).rsplit(".", 1)[-1]
                if cls_name in classes:
                    for target in stmt.targets:
                        attr = _self_attribute(target.target)
                        if attr:
                            found[attr] = Value(kind=V.SERVICE, text=cls_name)
        # `table = "projects"` / `self.table = PROJECTS`: a service attribute wins.
        strings = string_attributes(node, _walk_statements(node.body), self._constants)
        objects = {
            attr: Value(kind=V.OBJECT, text=cls)
            for attr, cls in object_attributes(node, _walk_statements(node.body), classes).items()
        }
        # `self.user = user` in `__init__`: what every construction passed (caller proof),
        # of the class its parameter is annotated with, if any.
        fields = {
            attr: replace(objects.get(attr, V.TOP), origin=f"{FIELD}{param}")
            for attr, param in self.constructor_fields.get(node.name.value, {}).items()
        }
        return {**objects, **fields, **strings, **found}

    def _attributes_from_params(
        self, method: cst.FunctionDef, classes: frozenset[str]
    ) -> dict[str, Value]:
        """`def __init__(self, store: DatabaseService): self.store = store`."""
        typed = {
            name: sorted(annotated_classes(annotation) & classes)[0]
            for name, annotation in _param_annotations(method.params).items()
            if annotated_classes(annotation) & classes
        }
        found: dict[str, Value] = {}
        if not typed:
            return found
        for stmt in _walk_statements(method.body):
            if isinstance(stmt, cst.Assign) and isinstance(stmt.value, cst.Name):
                cls = typed.get(stmt.value.value)
                for target in stmt.targets:
                    attr = _self_attribute(target.target)
                    if cls and attr:
                        found[attr] = Value(kind=V.SERVICE, text=cls)
        return found

    # ---------------------------------------------------------------- binding


def param_names(params: cst.Parameters) -> tuple[str, ...]:
    names = [p.name.value for p in (*params.posonly_params, *params.params)]
    if isinstance(params.star_arg, cst.Param):
        names.append(params.star_arg.name.value)
    names.extend(p.name.value for p in params.kwonly_params)
    if params.star_kwarg is not None:
        names.append(params.star_kwarg.name.value)
    return tuple(names)


def _param_dependencies(params: cst.Parameters) -> tuple[tuple[str, str], ...]:
    found = ((p.name.value, origins.param_dependency(p)) for p in _all_params(params))
    return tuple((name, dependency) for name, dependency in found if dependency)


def _annotated_params(params: cst.Parameters) -> tuple[tuple[str, str], ...]:
    found = ((p.name.value, origins.plain_annotation(p)) for p in _all_params(params))
    return tuple((name, annotation) for name, annotation in found if annotation)


def _all_params(params: cst.Parameters) -> list[cst.Param]:
    found = [*params.posonly_params, *params.params, *params.kwonly_params]
    for extra in (params.star_arg, params.star_kwarg):
        if isinstance(extra, cst.Param):
            found.append(extra)
    return found


def _param_annotations(params: cst.Parameters) -> dict[str, cst.BaseExpression]:
    everything = [*params.posonly_params, *params.params, *params.kwonly_params]
    return {p.name.value: p.annotation.annotation for p in everything if p.annotation is not None}


def _self_attribute(node: cst.BaseExpression) -> str | None:
    if (
        isinstance(node, cst.Attribute)
        and isinstance(node.value, cst.Name)
        and node.value.value == "self"
    ):
        return node.attr.value
    return None


def _walk_statements(body: cst.BaseSuite) -> Iterable[cst.CSTNode]:
    """Every small or compound statement below a suite, without entering expressions."""
    stack: list[cst.CSTNode] = [body]
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
            yield from node.body
        elif isinstance(node, (cst.IndentedBlock, cst.Else, cst.Finally)):
            stack.extend(node.body if isinstance(node, cst.IndentedBlock) else [node.body])
        elif isinstance(node, cst.BaseCompoundStatement):
            yield node
            stack.extend(
                child
                for child in node.children
                if isinstance(
                    child,
                    (
                        cst.BaseSuite,
                        cst.Else,
                        cst.Finally,
                        cst.ExceptHandler,
                        cst.If,
                        cst.MatchCase,
                    ),
                )
            )
        elif isinstance(node, (cst.ExceptHandler, cst.MatchCase)):
            stack.append(node.body)


def _returned_dict(returns: list[Value]) -> Shape | None:
    """The summary of a function that returns a dict on every path, else None."""
    if not returns or any(r.kind != V.DICT for r in returns):
        return None
    joined = returns[0]
    for value in returns[1:]:
        joined = V.join(joined, value)
    return V.to_shape(joined)


def verified_params(params: Sequence[str], env: Env, held: Collection[str] = ()) -> dict[str, str]:
    """The parameters checked on this path, each with the lookup that did, or
    "principal" for one found the principal's (`if org_id != current_user["org_id"]:
    raise`, a membership test; not one of `held`, the principal's as given); "" for one
    this path found empty (`if building_id is None: return`): no row can match it."""
    found: dict[str, str] = {}
    for name in params:
        value = env.vars.get(name)
        # Still the parameter's own value (not rebound to something else), now checked.
        if not value or name not in value.params:
            continue
        if (value.origin or "").startswith("verified:"):
            found[name] = value.origin or ""
        elif value.origin == "principal" and name not in held:
            found[name] = "principal"
    for test, truth in env.tests:
        for name in guards.empty_names(test, truth):
            if name in params and _unbound(name, env):
                found.setdefault(name, "")
    found.update(row_checks.marks_on_path(env.vars, params))
    return found


def handed_params(params: Sequence[str], env: Env) -> dict[str, frozenset[str]]:
    """The calls each parameter, still its own value, was handed on this path."""
    found: dict[str, frozenset[str]] = {}
    for name in params:
        value = env.vars.get(name)
        if value is not None and name in value.params and value.checked:
            found[name] = value.checked
    return found


def _checked_on_every_exit(
    exits: Sequence[dict[str, frozenset[str]]],
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The calls each parameter was handed on every normal exit."""
    if not exits:
        return ()
    common = dict(exits[0])
    for other in exits[1:]:
        common = {k: v & other[k] for k, v in common.items() if k in other and v & other[k]}
    return tuple((name, tuple(sorted(refs))) for name, refs in sorted(common.items()))


def _unbound(name: str, env: Env) -> bool:
    value = env.vars.get(name)
    return value is None or name in value.params


def _verified_on_exit(exits: Sequence[dict[str, str]]) -> tuple[ArgFact, ...]:
    """The parameters verified on every normal exit (by a lookup on one at least, and
    found empty on the others), with each lookup relied on."""
    if not exits:
        return ()
    common = {key for key in set(exits[0]).intersection(*exits[1:]) if not row_checks.is_mark(key)}
    refs = sorted({(name, exit[name]) for exit in exits for name in common if exit[name]})
    return tuple(ArgFact(name, origin) for name, origin in refs)
