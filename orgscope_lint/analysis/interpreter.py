"""The single traversal: an abstract interpreter over one module's statements.

It walks each function once, in source order, keeping for every local variable an
abstract `Value` (a dict's keys and on which paths they are set, a DB service, a string
constant, ...). Branches run on copies of the environment and merge where the paths
meet; a path that returns or raises does not reach the merge. Calls that an adapter
recognises become facts; names ORG006 watches are recorded with their scope.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

import libcst as cst

from orgscope_lint.analysis import values as V
from orgscope_lint.analysis.positions import PositionIndex, call_key_parts
from orgscope_lint.analysis.scopes import Scope
from orgscope_lint.analysis.service_api import QUERY_METHODS, CallArgs, query_from_call
from orgscope_lint.analysis.syntax import (
    annotation_names,
    dotted_name,
    first_arg_key,
    string_literal,
)
from orgscope_lint.analysis.values import Value
from orgscope_lint.config import Config
from orgscope_lint.facts import (
    FunctionFact,
    HelperCall,
    Query,
    ServiceConstruction,
    UndefinedName,
)

_DICT_MUTATORS = frozenset({"update", "setdefault", "pop", "clear", "copy", "get"})
_ORG_PARAM_WORDS = ("org_id", "organization_id", "tenant_id")


@dataclass
class Env:
    """The abstract state of one path through a function."""

    vars: dict[str, Value] = field(default_factory=dict)
    dead: bool = False  # the path returned or raised

    def copy(self) -> Env:
        return Env(dict(self.vars), self.dead)


def join_envs(branches: Sequence[tuple[Env, str | None]]) -> Env:
    live = [(env, cond) for env, cond in branches if not env.dead]
    if not live:
        return Env(dict(branches[0][0].vars), dead=True)
    result, cond = live[0]
    merged = dict(result.vars)
    for env, other_cond in live[1:]:
        for name in merged.keys() | env.vars.keys():
            a, b = merged.get(name), env.vars.get(name)
            if a is None or b is None:
                merged[name] = a if a is not None else b  # type: ignore[assignment]
            else:
                merged[name] = V.join(a, b, cond, other_cond)
        cond = None
    return Env(merged)


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


class ModuleInterpreter:
    def __init__(self, module: cst.Module, config: Config, positions: PositionIndex) -> None:
        self.module = module
        self.config = config
        self.positions = positions
        self.db_classes = frozenset(config.db_classes)
        self.helpers = frozenset(config.scoped_helpers)
        self.watched = config.tenant_like_names
        self.queries: list[Query] = []
        self.helper_calls: list[HelperCall] = []
        self.functions: list[FunctionFact] = []
        self.constructions: list[ServiceConstruction] = []
        self._uses: list[tuple[Scope, str, int, str | None]] = []
        self._ranks: dict[int, int] = {}
        self._counters: dict[object, int] = defaultdict(int)
        self._module_scope = Scope("module")
        self.scope = self._module_scope
        self._function: FunctionState | None = None
        self._class: ClassInfo | None = None
        self._constants: dict[str, Value] = {}
        self._classes: dict[str, ClassInfo] = {}

    # ---------------------------------------------------------------- entry point

    def run(self) -> list[UndefinedName]:
        self._constants = _module_constants(self.module)
        self.exec_block(self.module.body, Env())
        return self._undefined_names()

    def _undefined_names(self) -> list[UndefinedName]:
        found = []
        for scope, name, rank, function in self._uses:
            if not scope.resolves(name):
                span = self.positions.name(name, rank)
                snippet = self.positions.line_text(span.line)
                found.append(UndefinedName(name, span, function, snippet))
        return found

    def _rank(self, key: object, node: cst.CSTNode) -> int:
        """The node's rank among nodes with the same key, in the order they are met."""
        rank = self._ranks.get(id(node))
        if rank is None:
            rank = self._ranks[id(node)] = self._counters[key]
            self._counters[key] += 1
        return rank

    @property
    def qualname(self) -> str | None:
        return self._function.qualname if self._function else None

    # ---------------------------------------------------------------- statements

    def exec_block(self, body: Sequence[cst.CSTNode], env: Env) -> None:
        for stmt in body:
            self.exec_stmt(stmt, env)

    def exec_stmt(self, stmt: cst.CSTNode, env: Env) -> None:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                self.exec_small(small, env)
            return
        handler = self._compound.get(type(stmt))
        if handler is not None:
            handler(self, stmt, env)
        else:
            self.visit_any(stmt, env)

    def _exec_suite(self, suite: cst.BaseSuite, env: Env) -> None:
        if isinstance(suite, cst.SimpleStatementSuite):
            for small in suite.body:
                self.exec_small(small, env)
        else:
            self.exec_block(suite.body, env)

    def exec_small(self, node: cst.BaseSmallStatement, env: Env) -> None:
        if isinstance(node, cst.Assign):
            self._exec_assign(node, env)
        elif isinstance(node, cst.AnnAssign):
            self.ev(node.annotation.annotation, env)
            if node.value is not None:
                self._target_loads(node.target, env)
                self.bind(node.target, self.ev(node.value, env), env)
            elif isinstance(node.target, cst.Name):
                self.scope.bind(node.target.value)
        elif isinstance(node, cst.AugAssign):
            self._exec_augassign(node, env)
        elif isinstance(node, cst.Expr):
            self.ev(node.value, env)
        elif isinstance(node, cst.Return):
            if node.value is not None:
                self.ev(node.value, env)
            env.dead = True
        elif isinstance(node, cst.Raise):
            if node.exc is not None:
                self.ev(node.exc, env)
            if node.cause is not None:
                self.ev(node.cause.item, env)
            env.dead = True
        elif isinstance(node, cst.Del):
            self._exec_del(node.target, env)
        elif isinstance(node, cst.Global):
            self.scope.globals.update(n.name.value for n in node.names)
        elif isinstance(node, cst.Nonlocal):
            self.scope.bindings.update(n.name.value for n in node.names)
        elif isinstance(node, (cst.Import, cst.ImportFrom)):
            self._exec_import(node)
        elif not isinstance(node, (cst.Pass, cst.Break, cst.Continue)):
            self.visit_any(node, env)

    def _exec_assign(self, node: cst.Assign, env: Env) -> None:
        for target in node.targets:
            self._target_loads(target.target, env)
        value = self.ev(node.value, env)
        for target in node.targets:
            self.bind(target.target, value, env)

    def _exec_augassign(self, node: cst.AugAssign, env: Env) -> None:
        self._target_loads(node.target, env)
        value = self.ev(node.value, env)
        target = node.target
        if isinstance(target, cst.Name):
            old = env.vars.get(target.value, V.TOP)
            if isinstance(node.operator, cst.BitOrAssign) and old.kind == V.DICT:
                env.vars[target.value] = V.merge_dicts(old, value)
            else:
                env.vars[target.value] = V.unknown_from((old, value))
            self.scope.bind(target.value)

    def _exec_del(self, target: cst.BaseExpression, env: Env) -> None:
        if isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._exec_del(element.value, env)
        elif isinstance(target, cst.Name):
            self.scope.bind(target.value)
            env.vars.pop(target.value, None)
        elif isinstance(target, cst.Subscript):
            self._target_loads(target, env)
            name, key = self._dict_slot(target, env)
            if name is not None:
                d = env.vars[name]
                env.vars[name] = (
                    V.without_entry(d, key) if key is not None else replace(d, open=True)
                )
        else:
            self.visit_any(target, env)

    def _exec_import(self, node: cst.Import | cst.ImportFrom) -> None:
        if isinstance(node.names, cst.ImportStar):
            self.scope.star_import = True
            return
        for alias in node.names:
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self.scope.bind(alias.asname.name.value)
            else:
                self.scope.bind(dotted_name(alias.name).split(".")[0])

    def _exec_if(self, node: cst.If, env: Env) -> None:
        self.ev(node.test, env)
        condition = self.code(node.test)
        then_env = env.copy()
        self._exec_suite(node.body, then_env)
        else_env = env.copy()
        if isinstance(node.orelse, cst.If):
            self._exec_if(node.orelse, else_env)
        elif isinstance(node.orelse, cst.Else):
            self._exec_suite(node.orelse.body, else_env)
        joined = join_envs([(then_env, condition), (else_env, f"not ({condition})")])
        env.vars, env.dead = joined.vars, joined.dead

    def _exec_loop(self, node: cst.For | cst.While, env: Env) -> None:
        body_env = env.copy()
        if isinstance(node, cst.For):
            self._target_loads(node.target, env)
            items = self.ev(node.iter, env)
            self.bind(node.target, items.element or V.unknown_from((items,)), body_env)
            label = f"for {self.code(node.target)} in {self.code(node.iter)}"
        else:
            self.ev(node.test, env)
            label = f"while {self.code(node.test)}"
        self._exec_suite(node.body, body_env)
        # The body may run no time at all, or leave by `break` from anywhere in it.
        body_env.dead = False
        joined = join_envs([(body_env, label), (env, f"not ({label})")])
        env.vars, env.dead = joined.vars, joined.dead
        if node.orelse is not None:
            self._exec_suite(node.orelse.body, env)

    def _exec_try(self, node: cst.Try | cst.TryStar, env: Env) -> None:
        start = env.copy()
        body_env = env.copy()
        self._exec_suite(node.body, body_env)
        # An exception may leave the body anywhere: handlers start from either end.
        raised = join_envs([(start, None), (body_env, None)])
        raised.dead = False
        if node.orelse is not None:
            self._exec_suite(node.orelse.body, body_env)
        branches: list[tuple[Env, str | None]] = [(body_env, None)]
        for handler in node.handlers:
            handler_env = raised.copy()
            if handler.type is not None:
                self.ev(handler.type, handler_env)
            if handler.name is not None:
                self.bind(handler.name.name, V.TOP, handler_env)
            self._exec_suite(handler.body, handler_env)
            branches.append((handler_env, f"except {self.code(handler.type) or ''}".strip()))
        result = join_envs(branches)
        if node.finalbody is not None:
            self._exec_suite(node.finalbody.body, result)
        env.vars, env.dead = result.vars, result.dead

    def _exec_with(self, node: cst.With, env: Env) -> None:
        for item in node.items:
            value = self.ev(item.item, env)
            if item.asname is not None:
                self._target_loads(item.asname.name, env)
                self.bind(item.asname.name, value, env)
        self._exec_suite(node.body, env)

    def _exec_match(self, node: cst.Match, env: Env) -> None:
        self.ev(node.subject, env)
        branches: list[tuple[Env, str | None]] = []
        exhaustive = False
        for case in node.cases:
            case_env = env.copy()
            self._bind_pattern(case.pattern, case_env)
            if case.guard is not None:
                self.ev(case.guard, case_env)
            self._exec_suite(case.body, case_env)
            branches.append((case_env, f"case {self.code(case.pattern)}"))
            if _irrefutable(case.pattern) and case.guard is None:
                exhaustive = True
        if not exhaustive:
            branches.append((env.copy(), "no case matched"))
        joined = join_envs(branches)
        env.vars, env.dead = joined.vars, joined.dead

    def _bind_pattern(self, pattern: cst.CSTNode, env: Env) -> None:
        if isinstance(pattern, cst.MatchAs):
            if pattern.pattern is not None:
                self._bind_pattern(pattern.pattern, env)
            if pattern.name is not None:
                self.bind(pattern.name, V.TOP, env)
        elif isinstance(pattern, cst.MatchStar):
            if pattern.name is not None:
                self.bind(pattern.name, V.TOP, env)
        elif isinstance(pattern, cst.MatchMapping):
            for element in pattern.elements:
                self.ev(element.key, env)
                self._bind_pattern(element.pattern, env)
            if pattern.rest is not None:
                self.bind(pattern.rest, V.TOP, env)
        elif isinstance(pattern, cst.MatchValue):
            self.ev(pattern.value, env)
        elif isinstance(pattern, cst.MatchClass):
            self.ev(pattern.cls, env)
            for child in (*pattern.patterns, *pattern.kwds):
                self._bind_pattern(child.pattern, env)
        else:
            for child in pattern.children:
                if isinstance(child, cst.BaseExpression):
                    self.ev(child, env)
                else:
                    self._bind_pattern(child, env)

    # ---------------------------------------------------------------- functions and classes

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
        params = _param_names(node.params)
        org_params = tuple(p for p in params if self._is_org_param(p))
        body_env = self._enter_params(node, params, method_of, env)
        self.functions.append(
            FunctionFact(
                qualname=qualname,
                name=node.name.value,
                class_name=method_of.name if method_of else None,
                db_class=bool(method_of and method_of.is_db),
                params=params,
                org_params=org_params,
                span=span,
                end_line=span.line + self.code(node).count("\n"),
            )
        )
        saved = (self.scope, self._function, self._class)
        self.scope = Scope("function", parent=self.scope, bindings=set(params))
        self._function = FunctionState(qualname, params, org_params)
        self._class = None
        try:
            self._exec_suite(node.body, body_env)
        finally:
            self.scope, self._function, self._class = saved

    def _enter_params(
        self, node: cst.FunctionDef, params: tuple[str, ...], method_of: ClassInfo | None, env: Env
    ) -> Env:
        body_env = Env({k: v for k, v in env.vars.items() if k not in params})
        annotated = _param_annotations(node.params)
        is_static = any(
            dotted_name(d.decorator) in ("staticmethod", "classmethod") for d in node.decorators
        )
        for index, name in enumerate(params):
            if index == 0 and method_of is not None and not is_static:
                kind = V.SERVICE if method_of.is_db else V.OBJECT
                body_env.vars[name] = Value(kind=kind, text=method_of.name)
            elif annotation_names(annotated.get(name)) & self.db_classes:
                cls = sorted(annotation_names(annotated[name]) & self.db_classes)[0]
                body_env.vars[name] = Value(kind=V.SERVICE, text=cls)
            else:
                body_env.vars[name] = Value(params=frozenset({name}))
        return body_env

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
        info = ClassInfo(
            name=name,
            is_db=name in self.db_classes or bool(base_names & self.db_classes),
            attributes=self._class_attributes(node),
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
        """`self.x = DatabaseService(...)` or `x: DatabaseService` anywhere in the class."""
        found: dict[str, Value] = {}
        for stmt in _walk_statements(node.body):
            if isinstance(stmt, cst.AnnAssign):
                cls = annotation_names(stmt.annotation.annotation) & self.db_classes
                attr = _self_attribute(stmt.target) or (
                    stmt.target.value if isinstance(stmt.target, cst.Name) else None
                )
                if cls and attr:
                    found[attr] = Value(kind=V.SERVICE, text=sorted(cls)[0])
            elif isinstance(stmt, cst.Assign) and isinstance(stmt.value, cst.Call):
                cls_name = dotted_name(stmt.value.func).rsplit(".", 1)[-1]
                if cls_name in self.db_classes:
                    for target in stmt.targets:
                        attr = _self_attribute(target.target)
                        if attr:
                            found[attr] = Value(kind=V.SERVICE, text=cls_name)
        return found

    # ---------------------------------------------------------------- binding

    def bind(self, target: cst.BaseExpression, value: Value, env: Env) -> None:
        if isinstance(target, cst.Name):
            self.scope.bind(target.value)
            env.vars[target.value] = value
        elif isinstance(target, (cst.Tuple, cst.List)):
            element = value.element or V.unknown_from((value,))
            for item in target.elements:
                inner = item.value
                self.bind(inner, element, env)
        elif isinstance(target, cst.StarredElement):
            self.bind(target.value, V.TOP, env)
        elif isinstance(target, cst.Subscript):
            name, key = self._dict_slot(target, env)
            if name is not None:
                d = env.vars[name]
                env.vars[name] = (
                    V.with_entry(d, key, V.entry_for(value))
                    if key is not None
                    else replace(d, open=True)
                )

    def _dict_slot(self, target: cst.Subscript, env: Env) -> tuple[str | None, str | None]:
        """For `d[k]` on a tracked dict: its variable and the key (None when unknown)."""
        if not isinstance(target.value, cst.Name):
            return None, None
        name = target.value.value
        if env.vars.get(name, V.TOP).kind != V.DICT or len(target.slice) != 1:
            return None, None
        index = target.slice[0].slice
        if not isinstance(index, cst.Index):
            return None, None
        return name, self._key_of(index.value, env)

    def _target_loads(self, target: cst.BaseExpression, env: Env) -> None:
        """Evaluate the parts of an assignment target that are read, in source order."""
        if isinstance(target, cst.Subscript):
            self.ev(target.value, env)
            for element in target.slice:
                self.visit_any(element, env)
        elif isinstance(target, cst.Attribute):
            self.ev(target.value, env)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for item in target.elements:
                self._target_loads(item.value, env)
        elif isinstance(target, cst.StarredElement):
            self._target_loads(target.value, env)

    def _key_of(self, node: cst.BaseExpression, env: Env) -> str | None:
        literal = string_literal(node)
        if literal is not None:
            return literal
        value = env.vars.get(node.value) if isinstance(node, cst.Name) else None
        if value is None and isinstance(node, cst.Name):
            value = self._constants.get(node.value)
        return value.text if value is not None and value.kind == V.STR else None

    # ---------------------------------------------------------------- expressions

    def ev(self, node: cst.BaseExpression, env: Env) -> Value:
        handler = self._expressions.get(type(node))
        if handler is not None:
            return handler(self, node, env)
        self.visit_any(node, env)
        return V.TOP

    def visit_any(self, node: cst.CSTNode, env: Env) -> None:
        for child in node.children:
            if isinstance(child, cst.BaseExpression):
                self.ev(child, env)
            else:
                self.visit_any(child, env)

    def _ev_name(self, node: cst.Name, env: Env) -> Value:
        name = node.value
        if name in self.watched:
            rank = self._rank(("name", name), node)
            self._uses.append((self.scope, name, rank, self.qualname))
        if name == "None":
            return V.NONE_VALUE
        value = env.vars.get(name)
        if value is not None:
            return value
        return self._constants.get(name, V.TOP)

    def _ev_string(self, node: cst.SimpleString | cst.ConcatenatedString, env: Env) -> Value:
        literal = string_literal(node)
        if literal is None:
            return V.TOP
        return Value(kind=V.STR, text=literal) if literal else V.NONE_VALUE

    def _ev_dict(self, node: cst.Dict, env: Env) -> Value:
        d = V.EMPTY_DICT
        for element in node.elements:
            if isinstance(element, cst.StarredDictElement):
                d = V.merge_dicts(d, self.ev(element.value, env))
                continue
            self.ev(element.key, env)
            key = self._key_of(element.key, env)
            value = self.ev(element.value, env)
            d = V.with_entry(d, key, V.entry_for(value)) if key else replace(d, open=True)
        return d

    def _ev_sequence(self, node: cst.List | cst.Tuple | cst.Set, env: Env) -> Value:
        element: Value | None = None
        for item in node.elements:
            value = self.ev(item.value, env)
            if isinstance(item, cst.StarredElement):
                value = value.element or V.TOP
            element = value if element is None else V.meet(element, value)
        return Value(kind=V.SEQ, element=element)

    def _ev_comprehension(
        self, node: cst.ListComp | cst.SetComp | cst.GeneratorExp | cst.DictComp, env: Env
    ) -> Value:
        saved = self.scope
        self.scope = Scope("comprehension", parent=saved)
        inner = env.copy()
        try:
            for_in: cst.CompFor | None = node.for_in
            while for_in is not None:  # bind first: the element reads the loop variables
                self.bind(for_in.target, V.TOP, inner)
                for_in = for_in.inner_for_in
            if isinstance(node, cst.DictComp):
                self.ev(node.key, inner)
                self.ev(node.value, inner)
                result = Value(kind=V.DICT, open=True)
            else:
                result = Value(kind=V.SEQ, element=self.ev(node.elt, inner))
            for_in = node.for_in
            while for_in is not None:
                self.ev(for_in.iter, inner)
                for condition in for_in.ifs:
                    self.ev(condition.test, inner)
                for_in = for_in.inner_for_in
        finally:
            self.scope = saved
        return result

    def _ev_lambda(self, node: cst.Lambda, env: Env) -> Value:
        self._param_loads(node.params, env)
        params = _param_names(node.params)
        saved = self.scope
        self.scope = Scope("function", parent=saved, bindings=set(params))
        inner = Env({k: v for k, v in env.vars.items() if k not in params})
        try:
            self.ev(node.body, inner)
        finally:
            self.scope = saved
        return V.TOP

    def _ev_attribute(self, node: cst.Attribute, env: Env) -> Value:
        base = self.ev(node.value, env)
        if base.kind == V.OBJECT and self._class_attr(base.text, node.attr.value):
            return self._class_attr(base.text, node.attr.value)  # type: ignore[return-value]
        return V.unknown_from((base,))

    def _class_attr(self, class_name: str | None, attr: str) -> Value | None:
        info = self._classes.get(class_name or "")
        return info.attributes.get(attr) if info else None

    def _ev_subscript(self, node: cst.Subscript, env: Env) -> Value:
        base = self.ev(node.value, env)
        for element in node.slice:
            self.visit_any(element, env)
        return V.unknown_from((base,))

    def _ev_binary(self, node: cst.BinaryOperation, env: Env) -> Value:
        left, right = self.ev(node.left, env), self.ev(node.right, env)
        if isinstance(node.operator, cst.BitOr) and left.kind == V.DICT:
            return V.merge_dicts(left, right)
        return V.unknown_from((left, right))

    def _ev_boolean(self, node: cst.BooleanOperation, env: Env) -> Value:
        return V.join(self.ev(node.left, env), self.ev(node.right, env))

    def _ev_ifexp(self, node: cst.IfExp, env: Env) -> Value:
        body = self.ev(node.body, env)
        self.ev(node.test, env)
        return V.join(body, self.ev(node.orelse, env))

    def _ev_await(self, node: cst.Await, env: Env) -> Value:
        return self.ev(node.expression, env)

    def _ev_named(self, node: cst.NamedExpr, env: Env) -> Value:
        value = self.ev(node.value, env)
        scope = self.scope
        while scope.kind == "comprehension" and scope.parent is not None:
            scope = scope.parent
        if isinstance(node.target, cst.Name):
            scope.bind(node.target.value)
            env.vars[node.target.value] = value
        return value

    # ---------------------------------------------------------------- calls

    def _ev_call(self, node: cst.Call, env: Env) -> Value:
        func = node.func
        name = func.attr.value if isinstance(func, cst.Attribute) else dotted_name(func)
        receiver_node = func.value if isinstance(func, cst.Attribute) else None
        rank = None
        if name in QUERY_METHODS or name in self.helpers or name in self.db_classes:
            receiver_text = dotted_name(receiver_node) if receiver_node is not None else ""
            key = call_key_parts(name, receiver_text, first_arg_key(node))
            rank = (key, self._rank(key, node))
        receiver = self.ev(receiver_node, env) if receiver_node is not None else None
        if receiver_node is None and not isinstance(func, cst.Name):
            self.ev(func, env)
        args = self._ev_args(node, env)
        if receiver_node is not None and receiver is not None:
            return self._method_call(node, name, receiver_node, receiver, args, env, rank)
        if name in self.db_classes and rank is not None:
            return self._construction(node, name, args, env, rank)
        if name == "dict" and "dict" not in env.vars:
            return _dict_call(args)
        return V.TOP

    def _ev_args(self, node: cst.Call, env: Env) -> CallArgs:
        positional: list[Value] = []
        keywords: dict[str, Value] = {}
        starred = False
        for arg in node.args:
            value = self.ev(arg.value, env)
            if arg.star:
                starred = True
            elif arg.keyword is not None:
                keywords[arg.keyword.value] = value
            else:
                positional.append(value)
        return CallArgs(positional, keywords, starred)

    def _method_call(
        self,
        node: cst.Call,
        name: str,
        receiver_node: cst.BaseExpression,
        receiver: Value,
        args: CallArgs,
        env: Env,
        rank: tuple | None,
    ) -> Value:
        if receiver.kind == V.DICT and name in _DICT_MUTATORS:
            return self._dict_method(receiver_node, receiver, name, args, env)
        if rank is None or not self._is_db_receiver(receiver_node, receiver):
            return V.unknown_from((receiver,)) if receiver.kind != V.SERVICE else V.TOP
        span = self.positions.call(*rank)
        snippet = self.positions.line_text(span.line)
        receiver_text = dotted_name(receiver_node)
        if name in QUERY_METHODS:
            query = query_from_call(
                name,
                args,
                receiver=receiver_text,
                receiver_value=receiver,
                span=span,
                function=self.qualname,
                snippet=snippet,
            )
            if query is not None:
                self.queries.append(query)
        if name in self.helpers:
            self.helper_calls.append(
                HelperCall(
                    name=name,
                    receiver=receiver_text,
                    receiver_class=receiver.text if receiver.kind == V.SERVICE else None,
                    positional=len(args.positional),
                    keywords=tuple(k for k, v in args.keywords.items() if v.kind != V.NONE),
                    empty_keywords=tuple(k for k, v in args.keywords.items() if v.kind == V.NONE),
                    has_star_args=args.starred,
                    span=span,
                    function=self.qualname,
                    snippet=snippet,
                )
            )
        return V.TOP

    def _is_db_receiver(self, node: cst.BaseExpression, value: Value) -> bool:
        if value.kind == V.SERVICE:
            return True
        if value.kind != V.UNKNOWN:
            return False
        # The type is not visible: trust the configured receiver names.
        dotted = dotted_name(node)
        return bool(dotted) and dotted.rsplit(".", 1)[-1] in self.config.db_receivers

    def _dict_method(
        self, node: cst.BaseExpression, d: Value, name: str, args: CallArgs, env: Env
    ) -> Value:
        if name == "copy":
            return d
        if name == "get":
            return V.TOP
        updated = d
        if name == "update":
            for value in args.positional:
                updated = V.merge_dicts(updated, value)
            updated = V.merge_dicts(updated, _keywords_dict(args))
            if args.starred:
                updated = replace(updated, open=True)
        elif name == "setdefault" and args.positional:
            key = args.positional[0].text if args.positional[0].kind == V.STR else None
            if key is None:
                updated = replace(d, open=True)
            elif key not in d.entries:
                value = args.positional[1] if len(args.positional) > 1 else V.NONE_VALUE
                updated = V.with_entry(d, key, V.entry_for(value))
        elif name == "pop" and args.positional:
            key = args.positional[0].text if args.positional[0].kind == V.STR else None
            updated = V.without_entry(d, key) if key else replace(d, open=True)
        elif name == "clear":
            updated = V.EMPTY_DICT
        if isinstance(node, cst.Name) and node.value in env.vars:
            env.vars[node.value] = updated
        return V.TOP

    def _construction(
        self, node: cst.Call, cls: str, args: CallArgs, env: Env, rank: tuple
    ) -> Value:
        span = self.positions.call(*rank)
        has_org = any(self._is_org_param(k) and v.kind != V.NONE for k, v in args.keywords.items())
        org_at_hand = any(self._is_org_param(name) for name in env.vars)
        self.constructions.append(
            ServiceConstruction(
                class_name=cls,
                keywords=tuple(args.keywords),
                positional=len(args.positional),
                org_at_hand=org_at_hand,
                bound_to=None,
                span=span,
                function=self.qualname,
                snippet=self.positions.line_text(span.line),
            )
        )
        return Value(kind=V.SERVICE, text=cls, has_org=has_org)

    # ---------------------------------------------------------------- helpers

    def code(self, node: cst.CSTNode | None) -> str:
        if node is None:
            return ""
        return self.module.code_for_node(node).strip()

    _compound: dict = {}
    _expressions: dict = {}


def _register() -> None:
    M = ModuleInterpreter

    def exec_function(self: M, node: cst.FunctionDef, env: Env) -> None:
        self._exec_function(node, env)

    def exec_class(self: M, node: cst.ClassDef, env: Env) -> None:
        self._exec_class(node, env)

    M._compound = {
        cst.If: M._exec_if,
        cst.For: M._exec_loop,
        cst.While: M._exec_loop,
        cst.Try: M._exec_try,
        cst.TryStar: M._exec_try,
        cst.With: M._exec_with,
        cst.Match: M._exec_match,
        cst.FunctionDef: exec_function,
        cst.ClassDef: exec_class,
    }
    M._expressions = {
        cst.Name: M._ev_name,
        cst.SimpleString: M._ev_string,
        cst.ConcatenatedString: M._ev_string,
        cst.Dict: M._ev_dict,
        cst.List: M._ev_sequence,
        cst.Tuple: M._ev_sequence,
        cst.Set: M._ev_sequence,
        cst.ListComp: M._ev_comprehension,
        cst.SetComp: M._ev_comprehension,
        cst.GeneratorExp: M._ev_comprehension,
        cst.DictComp: M._ev_comprehension,
        cst.Lambda: M._ev_lambda,
        cst.Attribute: M._ev_attribute,
        cst.Subscript: M._ev_subscript,
        cst.BinaryOperation: M._ev_binary,
        cst.BooleanOperation: M._ev_boolean,
        cst.IfExp: M._ev_ifexp,
        cst.Await: M._ev_await,
        cst.NamedExpr: M._ev_named,
        cst.Call: M._ev_call,
    }


_register()


# -------------------------------------------------------------------- module-level helpers


def _module_constants(module: cst.Module) -> dict[str, Value]:
    """Top-level `NAME = "literal"`: table names and keys spelled through a constant."""
    constants: dict[str, Value] = {}
    for stmt in module.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            targets: list[cst.BaseExpression] = []
            value = None
            if isinstance(small, cst.Assign):
                targets = [t.target for t in small.targets]
                value = small.value
            elif isinstance(small, cst.AnnAssign) and small.value is not None:
                targets, value = [small.target], small.value
            literal = string_literal(value) if value is not None else None
            for target in targets:
                if isinstance(target, cst.Name):
                    if literal:
                        constants[target.value] = Value(kind=V.STR, text=literal)
                    else:
                        constants.pop(target.value, None)
    return constants


def _param_names(params: cst.Parameters) -> tuple[str, ...]:
    names = [p.name.value for p in (*params.posonly_params, *params.params)]
    if isinstance(params.star_arg, cst.Param):
        names.append(params.star_arg.name.value)
    names.extend(p.name.value for p in params.kwonly_params)
    if params.star_kwarg is not None:
        names.append(params.star_kwarg.name.value)
    return tuple(names)


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


def _irrefutable(pattern: cst.MatchPattern) -> bool:
    return isinstance(pattern, cst.MatchAs) and pattern.pattern is None


def _keywords_dict(args: CallArgs) -> Value:
    d = V.EMPTY_DICT
    for key, value in args.keywords.items():
        d = V.with_entry(d, key, V.entry_for(value))
    return d


def _dict_call(args: CallArgs) -> Value:
    base = V.EMPTY_DICT
    for value in args.positional:
        base = V.merge_dicts(base, value)
    base = V.merge_dicts(base, _keywords_dict(args))
    return replace(base, open=True) if args.starred else base
