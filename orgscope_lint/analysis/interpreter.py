"""The single traversal: an abstract interpreter over one module's statements.

It walks each function once, in source order, keeping for every local variable an
abstract `Value` (a dict's keys and on which paths they are set, a DB service, a string
constant, ...). Branches run on copies of the environment and merge where the paths
meet; a path that returns or raises does not reach the merge. Calls that an adapter
recognises become facts; names ORG006 watches are recorded with their scope.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from functools import partial

import libcst as cst

from orgscope_lint.analysis import (
    alternatives,
    builder_api,
    call_facts,
    chains,
    constructions,
    execution_context,
    fresh_values,
    identity,
    membership,
    origins,
    retention,
    task_queues,
    thread_pools,
)
from orgscope_lint.analysis import values as V
from orgscope_lint.analysis.constructor_fields import Fields
from orgscope_lint.analysis.definitions import (
    ClassInfo,
    Definitions,
    FunctionState,
    handed_params,
    param_names,
    verified_params,
)
from orgscope_lint.analysis.parent_scoping import empty_fallback, pin_names, rows_of, rows_or_empty
from orgscope_lint.analysis.path_checks import MAPPING_METHODS, PathChecks, unverified
from orgscope_lint.analysis.paths import EXPRESSION, Env, join_envs
from orgscope_lint.analysis.positions import PositionIndex, call_key_parts
from orgscope_lint.analysis.scopes import Scope
from orgscope_lint.analysis.service_api import (
    FILTER_KEYWORDS,
    QUERY_METHODS,
    RECORD_KEYWORDS,
    CallArgs,
    query_from_call,
)
from orgscope_lint.analysis.syntax import (
    dotted_name,
    first_arg_key,
    string_literal,
)
from orgscope_lint.analysis.system_context import SystemContexts
from orgscope_lint.analysis.values import Value, replace
from orgscope_lint.config import Config
from orgscope_lint.facts import (
    CallFact,
    FunctionFact,
    HelperCall,
    Query,
    ServiceConstruction,
    UndefinedName,
)

# `typing.cast(T, value)` returns `value` itself.
_CASTS = frozenset({"cast", "typing.cast", "t.cast"})
_GATHER = frozenset({"asyncio.gather", "gather"})
ROW_ID = "id"  # the primary key an insert's record names the new row by
_SEQ_MUTATORS = frozenset(
    {"append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse"}
)
_DICT_MUTATORS = frozenset({"update", "setdefault", "pop", "clear", "copy", "get"})


class ModuleInterpreter(Definitions, PathChecks):
    def __init__(
        self,
        module: cst.Module,
        config: Config,
        positions: PositionIndex,
        system: SystemContexts | None = None,
        raisers: frozenset[str] = frozenset(),
        router_prefixes: dict[str, frozenset[str]] | None = None,
        constructor_fields: Fields | None = None,
    ) -> None:
        self.module = module
        # The path parameters of each module-level router's own prefix.
        self.router_prefixes = router_prefixes or {}
        self.constructor_fields = constructor_fields or {}
        self.system = system or SystemContexts()
        self.config = config
        self.positions = positions
        self.db_classes = frozenset(config.db_classes)
        self.watched = config.tenant_like_names
        self.queries: list[Query] = []
        self.helper_calls: list[HelperCall] = []
        self.functions: list[FunctionFact] = []
        self._defined: dict[str, list[int]] = {}  # qualname -> indexes in `functions`
        self.constructions: list[ServiceConstruction] = []
        self.calls: list[CallFact] = []
        self.escaped: set[str] = set()  # functions passed as values: see call_facts
        self._imported: set[str] = set()  # names bound by imports: modules among them
        # Other names of the id conversions (`from uuid import UUID as UUIDType`).
        self._conversions: set[str] = set()
        self._uses: list[tuple[Scope, str, int, str | None]] = []
        self._ranks: dict[int, int] = {}
        self._counters: dict[object, int] = defaultdict(int)
        self._module_scope = Scope("module")
        self.scope = self._module_scope
        self._function: FunctionState | None = None
        self._class: ClassInfo | None = None
        self._constants: dict[str, Value] = {}
        self._classes: dict[str, ClassInfo] = {}
        self._emitted: dict[tuple, str] = {}
        # Rows returned by DB calls, by call node: a guard may test the call itself.
        self._call_rows: dict[int, Value] = {}
        # What each comprehension evaluated to, for a test written around one
        # (`if x not in [m["org_id"] for m in rows.data]`): its items' row and column.
        self._comprehensions: dict[int, Value] = {}
        # Request expressions a helper call was handed (`check(me, body.workspace_id)`),
        # by the call's ref: a guard on its result verifies them as it does names.
        self._handed_expressions: dict[str, dict[str, Value]] = {}
        self._call_index: dict[int, int] = {}  # call node -> its index among the call facts
        self._call_nodes: dict[int, cst.Call] = {}  # and back
        # Nested functions that return a read's rows, by qualified name: what calling
        # them, or handing them to a wrapper that runs them (`retry(op)`), gives back.
        self._closure_rows: dict[str, Value] = {}
        # What a lambda of no parameters gives back, by node: a wrapper handed one
        # (`with_retry(lambda: db.table(...).execute())()`) gives back the same.
        self._lambda_results: dict[int, Value] = {}
        # Module-level functions of this module that never return
        # (`def not_found(): raise HTTPException(404)`): a call of one ends the path.
        self._raisers = raisers
        self._checked_expressions = False
        self._fresh_written = fresh_values.WrittenFresh()
        self._raise_follows: set[int] = set()  # `if` statements the rest of whose block raises

    # ---------------------------------------------------------------- entry point

    def run(self, module_bindings: Iterable[str] = ()) -> list[UndefinedName]:
        """Walk the module; `module_bindings` are names bound by code left out of it."""
        self._module_scope.bindings.update(module_bindings)
        self._constants = _module_constants(self.module, self.db_classes)
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
    def db_class_names(self) -> frozenset[str]:
        """Configured DB classes and the subclasses of them this module defines."""
        derived = {name for name, info in self._classes.items() if info.is_db}
        return self.db_classes | derived

    @property
    def qualname(self) -> str | None:
        return self._function.qualname if self._function else None

    # ---------------------------------------------------------------- statements

    def exec_block(self, body: Sequence[cst.CSTNode], env: Env) -> None:
        for index, stmt in enumerate(body):
            if isinstance(stmt, cst.If) and stmt.orelse is None and _raises(body[index + 1 :]):
                self._raise_follows.add(id(stmt))
            self.exec_stmt(stmt, env)
            if env.dead:
                break  # what follows a `return` or a `raise` in its block never runs

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
            if self._raises(node.value):
                env.dead = True  # `not_found("project")`: it never returns
        elif isinstance(node, cst.Return):
            value = self.ev(node.value, env) if node.value is not None else V.NONE_VALUE
            if value.kind == V.BUILDER:
                self._emit_builder(value)
            if self._function is not None:
                self._function.returns.append(value)
                state = self._function
                if not env.dead:  # a path only platform staff take is no caller's exit
                    state.exits.append(verified_params(state.params, env, state.held))
                    state.exit_checks.append(handed_params(state.params, env))
                if (value.origin or "").startswith("request") and not value.tested:
                    self._function.request_returns.append(value.origin or "")
                name = node.value.value if isinstance(node.value, cst.Name) else None
                state.identity_returns.append(identity.returned_identity(name, value, state.params))
            env.dead = True
        elif isinstance(node, cst.Assert):
            self.ev(node.test, env)
            if node.msg is not None:
                self.ev(node.msg, env)
            self._assume(node.test, True, env)
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
        named = any(isinstance(target.target, cst.Name) for target in node.targets)
        made = alternatives.made_by(node.value, env.tests, env.vars) if named else None
        source = membership.alias_source(node.value, self._conversions)
        for target in node.targets:
            if isinstance(target.target, cst.Name):
                if made is not None:  # `is_owner = row["user_id"] == me`: a flag
                    env.flags[target.target.value] = made
                # `tid = str(tenant_id)`: a membership test of `tid` is one of `tenant_id`.
                alias = membership.ALIAS + target.target.value
                if source and source != target.target.value:
                    env.vars[alias] = Value(text=source)
                else:
                    env.vars.pop(alias, None)

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
                env.vars[name] = _removed(d, key) if key is not None else replace(d, open=True)
        else:
            self.visit_any(target, env)

    def _exec_import(self, node: cst.Import | cst.ImportFrom) -> None:
        if isinstance(node.names, cst.ImportStar):
            self.scope.star_import = True
            return
        module = (
            dotted_name(node.module) if isinstance(node, cst.ImportFrom) and node.module else ""
        )
        for alias in node.names:
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                bound = alias.asname.name.value
                if membership.renamed_conversion(module, dotted_name(alias.name)):
                    self._conversions.add(bound)
            else:
                bound = dotted_name(alias.name).split(".")[0]
            self.scope.bind(bound)
            self._imported.add(bound)

    def _exec_if(self, node: cst.If, env: Env) -> None:
        self.ev(node.test, env)
        # Inside each branch the test's outcome is known (`if org: ...` has an org)...
        then_env = env.copy()
        then_env.tests = (*env.tests, (node.test, True))
        # `if member.data: return row` then `raise`: the test holds on every path that
        # goes on, as surely as after `if not member.data: raise`.
        settled = id(node) in self._raise_follows
        self._assume(node.test, True, then_env, settled=settled)
        self._exec_suite(node.body, then_env)
        else_env = env.copy()
        else_env.tests = (*env.tests, (node.test, False))
        self._assume(node.test, False, else_env, settled=False)
        if isinstance(node.orelse, cst.If):
            self._exec_if(node.orelse, else_env)
        elif isinstance(node.orelse, cst.Else):
            self._exec_suite(node.orelse.body, else_env)
        # ...and a branch that returns or raises settles it for the code after the `if`.
        if then_env.dead and not else_env.dead:
            self._assume(node.test, False, else_env)
        elif else_env.dead and not then_env.dead:
            self._assume(node.test, True, then_env)
        held, failed = self._label("{}", node.test), self._label("not ({})", node.test)
        joined = join_envs([(then_env, held), (else_env, failed)])
        env.adopt(joined)

    def _exec_loop(self, node: cst.For | cst.While, env: Env) -> None:
        body_env = env.copy()
        if isinstance(node, cst.For):
            self._target_loads(node.target, env)
            items = self.ev(node.iter, env)
            self.bind(node.target, _loop_element(items), body_env)
            label, parts = "for {} in {}", (node.target, node.iter)
        else:
            self.ev(node.test, env)
            label, parts = "while {}", (node.test,)
        self._exec_suite(node.body, body_env)
        # The body may run no time at all, or leave by `break` from anywhere in it.
        body_env.dead = False
        ran, skipped = self._label(label, *parts), self._label(f"not ({label})", *parts)
        joined = join_envs([(body_env, ran), (env, skipped)])
        env.adopt(joined)
        if node.orelse is not None:
            self._exec_suite(node.orelse.body, env)

    def _exec_try(self, node: cst.Try | cst.TryStar, env: Env) -> None:
        start = env.copy()
        body_env = env.copy()
        self._exec_suite(node.body, body_env)
        # An exception may leave the body anywhere: handlers start from either end.
        raised = join_envs([(start, None), (body_env, None)])
        raised.dead = False
        branches: list[tuple[Env, V.Label]] = []
        for handler in node.handlers:  # walked before `else`, as they stand in the source
            handler_env = raised.copy()
            if handler.type is not None:
                self.ev(handler.type, handler_env)
            if handler.name is not None:
                self.bind(handler.name.name, V.TOP, handler_env)
            self._exec_suite(handler.body, handler_env)
            branches.append((handler_env, self._label("except {}", handler.type)))
        if node.orelse is not None:
            self._exec_suite(node.orelse.body, body_env)
        result = join_envs([(body_env, None), *branches])
        if node.finalbody is not None:
            self._exec_suite(node.finalbody.body, result)
        env.adopt(result)

    def _exec_with(self, node: cst.With, env: Env) -> None:
        for item in node.items:
            value = self.ev(item.item, env)
            if item.asname is not None:
                self._target_loads(item.asname.name, env)
                self.bind(item.asname.name, value, env)
        self._exec_suite(node.body, env)

    def _exec_match(self, node: cst.Match, env: Env) -> None:
        self.ev(node.subject, env)
        branches: list[tuple[Env, V.Label]] = []
        exhaustive = False
        for case in node.cases:
            case_env = env.copy()
            self._bind_pattern(case.pattern, case_env)
            if case.guard is not None:
                self.ev(case.guard, case_env)
            self._exec_suite(case.body, case_env)
            branches.append((case_env, self._label("case {}", case.pattern)))
            if _irrefutable(case.pattern) and case.guard is None:
                exhaustive = True
        if not exhaustive:
            branches.append((env.copy(), "no case matched"))
        joined = join_envs(branches)
        env.adopt(joined)

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

    def bind(self, target: cst.BaseExpression, value: Value, env: Env) -> None:
        if isinstance(target, cst.Name):
            self.scope.bind(target.value)
            env.vars[target.value] = value
            env.flags.pop(target.value, None)
        elif isinstance(target, (cst.Tuple, cst.List)):
            element = value.element or V.unknown_from((value,))
            items = value.items
            starred = any(isinstance(item, cst.StarredElement) for item in target.elements)
            if items is None and _result_and_error(value, target, starred):
                # `agent, error = get_agent(agent_id)`: a check of `agent` is one of what
                # the call returned (`FunctionFact.returns_query` reads the pair).
                items = (replace(V.unknown_from((value,)), call=value.call), V.TOP)
            if items is None or starred or len(items) != len(target.elements):
                items = tuple(element for _ in target.elements)
            for item, inner in zip(target.elements, items, strict=True):
                self.bind(item.value, inner, env)
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
        value = _as_dict(env.vars.get(name, V.TOP))
        if value.kind != V.DICT or len(target.slice) != 1:
            return None, None
        index = target.slice[0].slice
        if not isinstance(index, cst.Index):
            return None, None
        env.vars[name] = value  # a converted call result is a tracked dict from now on
        return name, self._key_of(index.value, env)

    def _target_loads(self, target: cst.BaseExpression, env: Env) -> None:
        """Evaluate the parts of an assignment target that are read, in source order."""
        if isinstance(target, cst.Subscript):
            self.ev(target.value, env)
            for element in target.slice:
                self._ev_slice(element, env)
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

    def _ev_yield(self, node: cst.Yield, env: Env) -> Value:
        if self._function is not None:
            self._function.yields = True  # what it yields leaves before it returns
        self.visit_any(node, env)
        return V.TOP

    def _ev_slice(self, element: cst.SubscriptElement, env: Env) -> None:
        index = element.slice
        if isinstance(index, cst.Index):
            self.ev(index.value, env)
        else:
            for part in (index.lower, index.upper, index.step):
                if isinstance(part, cst.BaseExpression):
                    self.ev(part, env)

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
        if value is None:
            value = self._constants.get(name, V.TOP)
        if name in self.config.principal_names and value.origin is None:
            value = replace(value, origin="principal")
        return value

    def _ev_string(self, node: cst.SimpleString | cst.ConcatenatedString, env: Env) -> Value:
        literal = string_literal(node)
        if literal is None:
            return V.TOP
        return Value(kind=V.STR, text=literal) if literal else V.NONE_VALUE

    def _ev_dict(self, node: cst.Dict, env: Env) -> Value:
        # Built in one pass: a generated literal with thousands of keys stays linear.
        entries: dict[str, V.Entry] = {}
        d = V.EMPTY_DICT
        for element in node.elements:
            if isinstance(element, cst.StarredDictElement):
                d = V.merge_dicts(replace(d, entries=entries), self.ev(element.value, env))
                entries = dict(d.entries)
                continue
            self.ev(element.key, env)
            key = self._key_of(element.key, env)
            value = self.ev(element.value, env)
            if key:
                entries[key] = V.entry_for(value)
            else:
                d = replace(d, open=True)
        return replace(d, entries=entries)

    def _ev_sequence(self, node: cst.List | cst.Tuple | cst.Set, env: Env) -> Value:
        values = [
            (self.ev(item.value, env), isinstance(item, cst.StarredElement))
            for item in node.elements
        ]
        return _sequence(values, positional=not isinstance(node, cst.Set))

    def _ev_gather(self, node: cst.Call, env: Env) -> Value:
        """`await asyncio.gather(q1, q2)`, `gather(*tasks)`: the results in the order
        the awaitables were given."""
        values = [
            (self.ev(arg.value, env), arg.star == "*") for arg in node.args if arg.keyword is None
        ]
        for arg in node.args:
            if arg.keyword is not None:
                self.ev(arg.value, env)
        return _sequence(values, positional=True)

    def _ev_comprehension(
        self, node: cst.ListComp | cst.SetComp | cst.GeneratorExp | cst.DictComp, env: Env
    ) -> Value:
        saved = self.scope
        self.scope = Scope("comprehension", parent=saved)
        inner = env.copy()
        try:
            for_in: cst.CompFor | None = node.for_in
            # The outermost iterable runs first, once: a query written there
            # (`for m in sb.table(...).execute().data`) is evaluated now, so its rows
            # keep their provenance; a name or a part of one is only peeked.
            first = self._peek(node.for_in.iter, inner)
            evaluated = first is V.TOP and isinstance(node.for_in.iter, (cst.Attribute, cst.Call))
            while for_in is not None:  # bind first: the element reads the loop variables
                # Peeked, not evaluated (that comes below, in source order): the items of
                # a scoped query's rows keep their provenance.
                if for_in is node.for_in:
                    items = self.ev(for_in.iter, inner) if evaluated else first
                else:
                    items = self._peek(for_in.iter, inner)
                self.bind(for_in.target, items.element or V.derived(items), inner)
                for_in = for_in.inner_for_in
            if isinstance(node, cst.DictComp):
                key = self.ev(node.key, inner)
                held = self.ev(node.value, inner)
                # Iterating gives keys; any key looked up gives one of the values.
                result = Value(kind=V.DICT, open=True, element=key, held=held)
            else:
                result = Value(kind=V.SEQ, element=self.ev(node.elt, inner))
            for_in = node.for_in
            while for_in is not None:
                if not (evaluated and for_in is node.for_in):
                    self.ev(for_in.iter, inner)
                for condition in for_in.ifs:
                    self.ev(condition.test, inner)
                for_in = for_in.inner_for_in
        finally:
            self.scope = saved
        self._comprehensions[id(node)] = result
        return result

    def _ev_lambda(self, node: cst.Lambda, env: Env) -> Value:
        self._param_loads(node.params, env)
        params = param_names(node.params)
        saved = self.scope
        self.scope = Scope("function", parent=saved, bindings=set(params))
        inner = Env({k: v for k, v in env.vars.items() if k not in params})
        try:
            result = self.ev(node.body, inner)
        finally:
            self.scope = saved
        if not params:
            self._lambda_results[id(node)] = result
        return V.TOP

    def _ev_attribute(self, node: cst.Attribute, env: Env) -> Value:
        base = self.ev(node.value, env)
        attr = node.attr.value
        if base.kind == V.OBJECT and self._class_attr(base.text, attr):
            return self._class_attr(base.text, attr)  # type: ignore[return-value]
        if rows_of(base, attr):
            return base  # `result.data`: the rows themselves, a guard on them verifies
        if base.kind == V.BUILDER and attr in builder_api.RUNS:
            self._emit_builder(base)  # `to_thread(q.execute)`: it runs elsewhere
            return V.TOP
        if base.kind == V.BUILDER and attr == "not_":
            return builder_api.negated(base)
        if attr in origins.REQUEST_ATTRIBUTES and base.text == "Request":
            return Value(origin=origins.REQUEST_ATTRIBUTES[attr])
        set_by_server = origins.set_by_authentication(base.text, attr, self.config.principal_names)
        if set_by_server is not None:
            return set_by_server
        return self._checked(node, env) or V.field_of(base, attr)

    def _class_attr(self, class_name: str | None, attr: str) -> Value | None:
        info = self._classes.get(class_name or "")
        return info.attributes.get(attr) if info else None

    def _ev_subscript(self, node: cst.Subscript, env: Env) -> Value:
        base = self.ev(node.value, env)
        for element in node.slice:
            self._ev_slice(element, env)
        if base.kind == V.DICT and len(node.slice) == 1:
            index = node.slice[0].slice
            key = self._key_of(index.value, env) if isinstance(index, cst.Index) else None
            entry = base.entries.get(key) if key else None
            if entry is not None:
                return Value(
                    params=entry.params, origin=entry.origin, row=entry.row, column=entry.column
                )
            if base.held is not None:
                return base.held
        return self._checked(node, env) or V.field_of(base, _literal_key(node))

    def _checked(self, node: cst.BaseExpression, env: Env) -> Value | None:
        if not self._checked_expressions:
            return None
        return env.vars.get(EXPRESSION + self.code(node))

    def _ev_binary(self, node: cst.BinaryOperation, env: Env) -> Value:
        left, right = self.ev(node.left, env), self.ev(node.right, env)
        if isinstance(node.operator, cst.BitOr) and left.kind == V.DICT:
            return V.merge_dicts(left, right)
        if isinstance(node.operator, cst.Add):
            fresh = fresh_values.respelled((left, right))  # `"T" + token_hex(4)`
            if fresh is not None:
                return fresh
        return V.unknown_from((left, right))

    def _ev_boolean(self, node: cst.BooleanOperation, env: Env) -> Value:
        left, right = self.ev(node.left, env), self.ev(node.right, env)
        if isinstance(node.operator, cst.Or) and rows_or_empty(left, right):
            return left  # `result.data or []`: still the lookup's rows
        return V.join(left, right)

    def _ev_ifexp(self, node: cst.IfExp, env: Env) -> Value:
        body = self.ev(node.body, env)
        self.ev(node.test, env)
        orelse = self.ev(node.orelse, env)
        # `body.org_id if is_super_admin else auth.org_id`: a tenant caller gets the
        # other value only.
        if self._platform_path(node.test, True, env):
            return orelse
        if self._platform_path(node.test, False, env):
            return body
        for kept, other in ((body, orelse), (orelse, body)):
            if kept.row and empty_fallback(other):
                # `res.data[0] if res.data else {}`: the row, or nothing at all.
                return replace(kept, nullable=True)
        return V.join(body, orelse)

    def _ev_leaf(self, node: cst.BaseExpression, env: Env) -> Value:
        return V.TOP

    def _ev_comparison(self, node: cst.Comparison, env: Env) -> Value:
        self.ev(node.left, env)
        for target in node.comparisons:
            self.ev(target.comparator, env)
        return V.TOP

    def _ev_unary(self, node: cst.UnaryOperation, env: Env) -> Value:
        self.ev(node.expression, env)
        return V.TOP

    def _ev_fstring(self, node: cst.FormattedString, env: Env) -> Value:
        parts: list[Value] = []
        for part in node.parts:
            if isinstance(part, cst.FormattedStringExpression):
                parts.append(self.ev(part.expression, env))
                if part.format_spec:
                    for spec in part.format_spec:
                        if isinstance(spec, cst.FormattedStringExpression):
                            parts.append(self.ev(spec.expression, env))
        return fresh_values.respelled(parts) or V.TOP

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

    def _ev_call(self, node: cst.Call, env: Env, placed: cst.Call | None = None) -> Value:
        """`placed`: the call in the source that makes this one (a thread pool's), whose
        position it takes."""
        func = node.func
        called = dotted_name(func)
        if placed is None:
            handed = self._run_in_thread(node, env)
            if handed is not None:
                return self._ev_in_thread(node, handed, env)
        if called in _GATHER and "asyncio" not in env.vars:
            return self._ev_gather(node, env)
        if execution_context.creates_variable(called):
            return execution_context.CONTEXT_VALUE  # its `.get()` reads the context
        if called in _CASTS and called.split(".")[0] not in env.vars and len(node.args) == 2:
            return self.ev(node.args[1].value, env)  # `cast(Dict, row)` is the row itself
        if isinstance(func, cst.Attribute):
            return self._ev_method_call(node, func, env, placed)
        name = called
        site = self._site(placed) if placed is not None else None
        if site is None and name:
            key = call_key_parts(name, "", first_arg_key(node))
            site = (key, self._rank(key, node))
        called_value = self.ev(func, env) if not isinstance(func, cst.Name) else None
        args = self._ev_args(node, env)
        if isinstance(func, cst.Call) and self._lambda_handed(func) is not None:
            return called_value or V.TOP  # `with_retry(lambda: ...)()`: what the lambda gave
        recorded = None
        if site is not None and isinstance(func, cst.Name) and name not in env.vars:
            recorded = self._record_call(name, "", None, args, site)
            if recorded is not None and not constructions.constructs(name):
                self._call_index[id(node)] = recorded
                self._call_nodes[recorded] = node
                self._mark_handed(node, recorded, env)
                self._note_fields(recorded, node, env)
        if site is not None and name in self.db_class_names:
            return self._construction(name, args, env, site)
        if name == "dict" and "dict" not in env.vars:
            # `dict(result.data[0])`: a copy of the row, read from the same row.
            return _mapped_row(args) or _dict_call(args)
        if execution_context.reads_context(name) and name in self._imported:
            return execution_context.CONTEXT_VALUE  # `from structlog.contextvars import ...`
        if name == "getattr" and len(args.positional) == 3:
            return unverified(V.derived(args.positional[0]))
        if name not in env.vars:
            same = membership.same_items(name, args.positional, self._conversions)
            if same is not None:
                return same
        if fresh_values.call_origin(name, [V.TOP, *args.positional]):
            return Value(origin=fresh_values.FRESH)  # `random_code()`, `str(code)`
        if identity.verifies_token(name) and args.positional:
            return Value(origin="principal")  # the verified subject of a token
        own = self._identity_returned_by(name, args, env)
        if own is not None:
            return own
        given_principal = any(a.origin == "principal" for a in args.positional)
        row: Value | None = None
        if (
            site is not None
            and _may_be_helper(name)
            and (self._org_at_hand(env) or given_principal)
        ):
            # Maybe a module-level helper that scopes by an org parameter: the project
            # decides once every file's summaries are in.
            row = self._helper_call(node, name, "", V.TOP, args, site, env)
        mapped = _mapped_row(args)
        if mapped is not None:
            return mapped
        ran = self._closure_result(node)
        if ran is not None:
            return replace(ran, call=recorded)
        ran = self._lambda_handed(node)
        if ran is not None:  # the call inside the lambda, if any, is what gave it back
            return ran if ran.call is not None else replace(ran, call=recorded)
        short = name.rsplit(".", 1)[-1]
        if short[:1].isupper():
            # An instance: its methods may be helpers; built from a row's tenant field, a
            # record of that row (a check of `model.org_id` checks the row).
            return Value(kind=V.OBJECT, text=short, row=self._record_of(args.keywords))
        # The parameters its arguments come from: `org_scope(org_id)` carries `org_id`.
        params = V.unknown_from([*args.positional, *args.keywords.values()]).params
        if row is not None and short:
            # What the helper returned: its row if it is a scoped helper (provenance, and a
            # guard on it verifies the ids it was given), a spread dict if it builds one.
            return replace(row, from_call=short, params=params, call=recorded)
        return Value(from_call=short, params=params, call=recorded) if short else V.TOP

    def _record_of(self, keywords: dict[str, Value]) -> str | None:
        """The row whose tenant field a constructor is handed under that same name
        (`TrainedModel(id=data["id"], org_id=data["org_id"])`), when one row is."""
        rows = {
            value.row
            for keyword, value in keywords.items()
            if value.row and value.column == keyword and self._is_org_param(keyword)
        }
        return rows.pop() if len(rows) == 1 else None

    def _identity_returned_by(self, name: str, args: CallArgs, env: Env) -> Value | None:
        """The caller's own id, when `name` is a function of this module, defined above,
        that returns the authenticated identity or the parameters it is handed the
        principal's id for (`user_id = _user_id(request, current_user["id"])`)."""
        found = self.defined_once(name)
        if found is None or found.returns_identity is None or name in env.vars:
            return None
        filled = self._function.filled if self._function is not None else frozenset()
        return identity.identity_value(found, args, filled)

    def _tenant_var(self, env: Env) -> str | None:
        """The variable provably holding the principal's tenant id, if exactly one does."""
        found = [
            name
            for name, value in env.vars.items()
            if value.origin == "principal" and not value.nullable and self._is_org_param(name)
        ]
        return found[0] if len(found) == 1 else None

    def _org_at_hand(self, env: Env) -> bool:
        return any(
            self._is_org_param(name) and value.kind != V.NONE for name, value in env.vars.items()
        )

    def _ev_method_call(
        self, node: cst.Call, func: cst.Attribute, env: Env, placed: cst.Call | None = None
    ) -> Value:
        name = func.attr.value
        receiver_text = dotted_name(func.value)
        # Ranked before the arguments are walked: calls nested in them come later in source.
        site = self._site(placed or node)
        receiver = self.ev(func.value, env)
        enqueue = task_queues.enqueue_of(name, receiver_text, _first_positional(node))
        if enqueue is not None and enqueue.task in env.vars:
            enqueue = None  # a local value, not a project task
        args = self._ev_args(node, env, handed=enqueue.task if enqueue else None)
        if enqueue is not None:
            self._record_enqueue(enqueue, args, site)
        recorded = None
        if receiver.kind in (V.OBJECT, V.SERVICE) and receiver.text:
            recorded = self._record_call(name, receiver_text, receiver.text, args, site)
        elif receiver_text in self._imported:  # `thread_service.get_thread(...)`
            recorded = self._record_call(name, receiver_text, None, args, site)
        elif _made_by_factory(receiver, name):  # `svc = get_service(db)`
            # Its class is the factory's return annotation, or unknown (then the
            # callee's call sites are unseen): decided once the project is joined.
            recorded = self._record_call(name, receiver_text, None, args, site, receiver.from_call)
        elif receiver.kind == V.UNKNOWN:
            self.escaped.add(name)  # a receiver of unknown type: maybe a project class
        if recorded is not None:
            self._call_index[id(node)] = recorded
            self._call_nodes[recorded] = node
            self._mark_handed(node, recorded, env)
            self._note_fields(recorded, node, env)
        if name in self.db_class_names:  # `app.db.DatabaseService(...)`
            return self._construction(name, args, env, site)
        if name in _DICT_MUTATORS:
            receiver = _as_dict(receiver)
        if receiver.kind == V.DICT and name in _DICT_MUTATORS:
            return self._dict_method(func.value, receiver, name, args, env)
        if receiver.kind == V.BUILDER:
            return self._builder_call(node, receiver, name, args, env, func.value)
        if receiver.kind == V.SEQ and name in _SEQ_MUTATORS and isinstance(func.value, cst.Name):
            # `tasks.append(q)` adds a last position; any other change loses them.
            added = [*args.positional, *args.keywords.values()]
            element = receiver.element
            for value in added if name in ("append", "insert") else ():
                element = value if element is None else V.meet(element, value)
            items = receiver.items
            appended = name == "append" and items is not None and len(added) == 1
            items = (*items, *added) if appended and items is not None else None
            env.vars[func.value.value] = replace(receiver, element=element, items=items)
        if execution_context.reads_context(f"{receiver_text}.{name}"):
            return execution_context.CONTEXT_VALUE  # `structlog.contextvars.get_contextvars()`
        if name in builder_api.STARTS and _named_table(args):
            return builder_api.start(args.positional[0].text or "", site)
        named_by = self._table_param(args) if name in builder_api.STARTS else None
        if named_by is not None:  # `client.table(table)`: the table the callers name
            return builder_api.start(builder_api.TABLE_PARAM + named_by, site)
        if identity.verifies_token(f"{receiver_text}.{name}") and args.positional:
            return Value(origin="principal")  # `jwt.decode(token, key)`: the verified subject
        if identity.looks_up_account(f"{receiver_text}.{name}") and _given_principal(args):
            return Value(origin="principal")  # the caller's own account, by the caller's id
        if identity.authenticates(f"{receiver_text}.{name}"):
            return Value(origin="principal")  # the signed-in (or just created) account
        if self._is_db_receiver(func.value, receiver):
            return self._db_call(node, name, receiver_text, receiver, args, site, env)
        if receiver.kind == V.OBJECT and receiver.text:
            found = self._helper_call(node, name, receiver_text, receiver, args, site)
            return replace(found, call=recorded)
        ran = self._closure_result(node)
        result = ran if ran is not None else self._plain_method(name, receiver, args)
        return replace(result, call=recorded) if recorded is not None else result

    def _site(self, node: cst.Call) -> tuple:
        """Where a call of the source stands: its key in the position index, and its rank
        among the calls with that key."""
        func = node.func
        if isinstance(func, cst.Attribute):
            key = call_key_parts(func.attr.value, dotted_name(func.value), first_arg_key(node))
        else:
            key = call_key_parts(dotted_name(func), "", first_arg_key(node))
        return (key, self._rank(key, node))

    def _run_in_thread(self, node: cst.Call, env: Env) -> cst.Call | None:
        """`run_in_threadpool(f, a, b=c)` as the call it makes, `f(a, b=c)`
        (`thread_pools`); None for any other call."""
        func = node.func
        if isinstance(func, cst.Attribute):
            name, receiver = func.attr.value, dotted_name(func.value)
        else:
            name, receiver = dotted_name(func), ""
        position = thread_pools.function_position(name, receiver)
        if position is None or (not receiver and name in env.vars):
            return None  # not a dispatcher, or a local function that shadows its name
        before = node.args[: position + 1]
        if len(before) <= position or any(arg.keyword or arg.star for arg in before):
            return None
        target = before[position].value
        if not isinstance(target, (cst.Name, cst.Attribute)):
            return None  # `partial(f, a)`, a lambda: what it calls is not named here
        return cst.Call(func=target, args=node.args[position + 1 :])

    def _ev_in_thread(self, wrapper: cst.Call, call: cst.Call, env: Env) -> Value:
        """The call a thread pool makes, at the pool's own place in the source: a test of
        the pool's result (`if not await run_in_threadpool(check, ...)`) tests its."""
        value = self._ev_call(call, env, placed=wrapper)
        for table in (self._call_index, self._call_rows):
            if id(call) in table:
                table[id(wrapper)] = table[id(call)]  # type: ignore[index]
        return value

    def _mark_handed(self, node: cst.Call, index: int, env: Env, kind: str = "") -> None:
        """Names this call was handed are checked by it once it returns, if the function
        it reaches checks that parameter (decided once the project is joined:
        `dependency_checks.called_check`); `kind` "guard": once its result let the code
        go on (`if not await can_access(user["id"], project_id): raise`)."""
        span = self.calls[index].span
        position = 0
        for arg in node.args:
            if arg.star:
                return  # which parameter gets what is not known past a spread
            slot = arg.keyword.value if arg.keyword is not None else str(position)
            position += arg.keyword is None
            ref = f"{span.line}:{span.column}:{slot}" + (f":{kind}" if kind else "")
            if isinstance(arg.value, (cst.Attribute, cst.Subscript)):
                self._mark_handed_expression(arg.value, ref, env)
            if not isinstance(arg.value, cst.Name):
                continue
            value = env.vars.get(arg.value.value)
            if value is not None and (value.params or value.origin):
                env.vars[arg.value.value] = replace(value, checked=value.checked | {ref})

    def _mark_handed_expression(self, node: cst.BaseExpression, ref: str, env: Env) -> None:
        """`assert_building(db, org, body.building_id)`: a request expression handed to a
        check is checked from there on, as a name is."""
        value = self._checked(node, env) or self._peek(node, env)
        if (value.origin or "").startswith("request"):
            env.vars[EXPRESSION + self.code(node)] = replace(value, checked=value.checked | {ref})
            self._checked_expressions = True

    def _closure_result(self, node: cst.Call) -> Value | None:
        """`op()`, or `await run_safely(op, ...)` with `op` a function nested here that
        returns a read's rows: those rows (a wrapper handed the one function is taken to
        return what it returned, as retry and thread-pool helpers do)."""
        if self._function is None or not self._closure_rows:
            return None
        names = [node.func, *(arg.value for arg in node.args if not arg.keyword)]
        here = self._function.qualname
        found = {
            f"{here}.{name.value}" for name in names if isinstance(name, cst.Name)
        } & self._closure_rows.keys()
        return self._closure_rows[found.pop()] if len(found) == 1 else None

    def _table_param(self, args: CallArgs) -> str | None:
        """`client.table(table)`, `table` this function's parameter as given: the table
        its callers name."""
        if len(args.positional) != 1 or args.keywords or self._function is None:
            return None
        value = args.positional[0]
        param = next(iter(value.params)) if len(value.params) == 1 else None
        if param not in self._function.params or not V.as_given(value):
            return None
        return param

    def _lambda_handed(self, node: cst.Call) -> Value | None:
        """`retry(lambda: db.table(...).execute())`: what the one lambda of no parameters
        it is handed gave back (a wrapper runs it and returns its result, or returns a
        function that does: `with_retry(lambda: ...)()`)."""
        lambdas = [arg.value for arg in node.args if isinstance(arg.value, cst.Lambda)]
        if len(lambdas) != 1 or len(node.args) != 1:
            return None
        return self._lambda_results.get(id(lambdas[0]))

    def _record_call(
        self,
        name: str,
        receiver_text: str,
        receiver_class: str | None,
        args: CallArgs,
        site: tuple,
        factory: str | None = None,
        enqueued: bool = False,
    ) -> int | None:
        """A call that may reach a project function: where its arguments come from (its
        index among the call facts)."""
        plain = not receiver_text and not call_facts.may_be_project_call(name)
        if plain and not constructions.constructs(name):
            return None
        facts = call_facts.arg_facts(args, self._function.org_params if self._function else ())
        if plain and not constructions.to_follow(facts):
            self.escaped.add(name)  # constructed with what no proof can follow
            return None
        span = self.positions.call(*site)
        self.calls.append(
            CallFact(
                name=name,
                receiver=receiver_text,
                receiver_class=receiver_class,
                args=facts,
                starred=args.starred,
                span=span,
                function=self.qualname,
                snippet=self.positions.line_text(span.line),
                receiver_factory=factory,
                enqueued=enqueued,
                after_exit=bool(self._function and self._function.exits),
            )
        )
        return len(self.calls) - 1

    def _note_fields(self, recorded: int, node: cst.Call, env: Env) -> None:
        """The fields of parameters the call is handed, and the fields of what it is
        handed that a lookup verified (`call_facts.with_fields`)."""
        call = self.calls[recorded]
        params = self._function.params if self._function is not None else ()
        args = call_facts.with_fields(call.args, node, params, env.vars)
        if args != call.args:
            self.calls[recorded] = replace(call, args=args)

    def _record_enqueue(self, enqueue: task_queues.Enqueue, args: CallArgs, site: tuple) -> None:
        """`task.send(a, b)`: a call of `task(a, b)` the queue makes later."""
        passed = _enqueued_args(args, enqueue)
        self._record_call(enqueue.task, "", None, passed, site, enqueued=True)

    def _plain_method(self, name: str, receiver: Value, args: CallArgs) -> Value:
        if name == "values" and receiver.kind == V.DICT and receiver.held is not None:
            return Value(kind=V.SEQ, element=receiver.held)
        if name == "get":
            first = args.positional[0] if args.positional else None
            part = V.field_of(receiver, first.text if first and first.kind == V.STR else None)
            return unverified(part) if receiver.origin == "principal" else part
        if name in origins.REQUEST_BODY_METHODS and receiver.kind == V.UNKNOWN:
            return Value(origin="request:body") if receiver.text == "Request" else V.TOP
        if name in builder_api.RUNS:
            return V.TOP
        if name in membership.SPELLING_METHODS and not args.positional:
            return V.derived(receiver)  # `email.lower()`: the same value, respelled
        if retention.clock_call(name, receiver):
            return Value(origin=retention.CLOCK)  # `datetime.utcnow().isoformat()`
        digested = _digest(name, receiver, args)
        if digested is not None:
            return digested
        if receiver.row:
            return V.derived(receiver)
        mapped = _mapped_row(args)
        if mapped is not None:
            return mapped  # `Profile.from_row(row)`
        if fresh_values.call_origin(name, [receiver, *args.positional]):
            return Value(origin=fresh_values.FRESH)  # `secrets.token_urlsafe(16)`
        # `jwt.decode(token, ...)`: computed from its arguments, with no origin of its own.
        return V.unknown_from(args.positional)

    def _ev_args(self, node: cst.Call, env: Env, handed: str | None = None) -> CallArgs:
        """`handed`: a function given to a queue to call, whose call sites stay known."""
        positional: list[Value] = []
        keywords: dict[str, Value] = {}
        starred = False
        spreads: list[Value] = []
        self.escaped |= call_facts.escaped_names(node, env.vars) - {handed}
        for arg in node.args:
            value = self.ev(arg.value, env)
            if value.kind == V.BUILDER:
                # Handed to code that may refine it before running it: what it ends up
                # filtering by cannot be seen from here.
                self._emit_builder(replace(value, open=True))
            if arg.star:
                starred = True
                if arg.star == "**":
                    spreads.append(value)
            elif arg.keyword is not None:
                keywords[arg.keyword.value] = value
            else:
                positional.append(value)
        spread = spreads[0] if len(spreads) == 1 else None
        return CallArgs(positional, keywords, starred, spread)

    def _db_call(
        self,
        node: cst.Call,
        name: str,
        receiver_text: str,
        receiver: Value,
        args: CallArgs,
        site: tuple,
        env: Env,
    ) -> Value:
        if name not in QUERY_METHODS:
            return self._helper_call(node, name, receiver_text, receiver, args, site, env)
        span = self.positions.call(*site)
        query = query_from_call(
            name,
            args,
            receiver=receiver_text,
            receiver_value=receiver,
            span=span,
            function=self.qualname,
            snippet=self.positions.line_text(span.line),
        )
        if query is None:
            return V.TOP
        construction = receiver.site[1] if receiver.site and receiver.site[0] == "new" else None
        fix_var = self._tenant_var(env) if _literal_dict_arg(node, query.operation) else None
        query = replace(query, construction=construction, fix_var=fix_var)
        self.queries.append(self._fresh_written.after(query, self.qualname))
        row = self._call_rows[id(node)] = _row(f"q{len(self.queries) - 1}", node)
        return row

    def _helper_call(
        self,
        node: cst.Call,
        name: str,
        receiver_text: str,
        receiver: Value,
        args: CallArgs,
        site: tuple,
        env: Env | None = None,
    ) -> Value:
        span = self.positions.call(*site)
        self.helper_calls.append(
            HelperCall(
                name=name,
                receiver=receiver_text,
                receiver_class=receiver.text if receiver.kind in (V.SERVICE, V.OBJECT) else None,
                positional=len(args.positional),
                keywords=tuple(k for k, v in args.keywords.items() if v.kind != V.NONE),
                empty_keywords=tuple(k for k, v in args.keywords.items() if v.kind == V.NONE),
                has_star_args=args.starred,
                span=span,
                function=self.qualname,
                snippet=self.positions.line_text(span.line),
                fix_var=self._tenant_var(env) if env is not None and not args.starred else None,
            )
        )
        ref = f"h{len(self.helper_calls) - 1}"
        row = self._call_rows[id(node)] = _row(ref, node)
        if env is not None:
            self._note_handed_expressions(ref, node, env)
        return _mapped_row(args) or row

    def _note_handed_expressions(self, ref: str, node: cst.Call, env: Env) -> None:
        handed = {}
        for arg in node.args:
            if isinstance(arg.value, (cst.Attribute, cst.Subscript)):
                value = self._checked(arg.value, env) or self._peek(arg.value, env)
                if (value.origin or "").startswith("request"):
                    handed[EXPRESSION + self.code(arg.value)] = value
        if handed:
            self._handed_expressions[ref] = handed

    def _raises(self, node: cst.BaseExpression) -> bool:
        """A call of a module-level function of this module that never returns."""
        if isinstance(node, cst.Await):
            node = node.expression
        return (
            isinstance(node, cst.Call)
            and isinstance(node.func, cst.Name)
            and node.func.value in self._raisers
            and not self.scope.shadows(node.func.value)
        )

    def _builder_call(
        self,
        node: cst.Call,
        builder: Value,
        name: str,
        args: CallArgs,
        env: Env,
        chain: cst.BaseExpression,
    ) -> Value:
        if name in builder_api.RUNS:
            # `--fix` may scope it only when the whole chain is written right here.
            fixable = chains.fixable(chain, builder.operation)
            ref = self._emit_builder(builder, self._tenant_var(env) if fixable else None)
            if not ref:
                return V.TOP
            if builder.operation == "read" and chains.reads_extreme_id(chain):
                index = int(ref[1:])
                self.queries[index] = replace(self.queries[index], extreme_id=True)
            counted = builder.operation == "read" and chains.counts_rows(chain)
            row = Value(kind=V.ROW, row=ref, verifies=builder.verifies, counted=counted)
            self._call_rows[id(node)] = row
            if builder.operation == "read" and chains.one_row_or_raise(chain):
                self._verify_pinned(row, env, found=True)  # `.single()` raises unless found
            if builder.operation == "insert":
                self._inserted(chain, ref, env)
            return row
        public = chains.public_filter(node) if name == "eq" else None
        if public is not None:
            builder = builder_api.only_public(builder, public)
        pinned = partial(self._pinned_names, env=env)
        return pin_names(builder_api.apply(builder, name, args), name, node, pinned)

    def _pinned_names(self, args: Sequence[cst.Arg], env: Env) -> set[str]:
        """The variables a filter pins (`_names_in`), and the request's attributes it
        pins (`.eq("id", body.conversation_id)`): a found row verifies those as well."""
        found = _names_in(args)
        for arg in args:
            node = membership.unconverted(arg.value, self._conversions)  # `str(body.org_id)`
            dotted = dotted_name(node) if isinstance(node, cst.Attribute) else ""
            value = self._checked(node, env) or self._peek(node, env) if dotted else None
            if value is not None and (value.origin or "").startswith("request"):
                found.add(EXPRESSION + dotted)
        return found

    def _inserted(self, chain: cst.BaseExpression, ref: str, env: Env) -> None:
        """After `insert(record)` ran, a row with `record["id"]` exists and it is the one
        this insert wrote (a taken id raises): that id is as verified as the insert is
        scoped, for the queries that follow it (a child row keyed by the new parent)."""
        name = chains.inserted_name(chain)
        record = env.vars.get(name) if name else None
        entry = record.entries.get(ROW_ID) if record is not None and record.kind == V.DICT else None
        if name is None or record is None or entry is None or not entry.always or entry.empty:
            return
        env.vars[name] = V.with_entry(record, ROW_ID, replace(entry, origin=f"verified:{ref}"))

    def _emit_builder(self, builder: Value, fix_var: str | None = None) -> str | None:
        """The chain's Query fact, once per chain and function, when it runs or escapes."""
        if builder.site is None:
            return None
        done = self._emitted.get((builder.site, self.qualname))
        if done is not None:
            return done
        span = self.positions.call(*builder.site)
        query = builder_api.to_query(
            builder, span, self.qualname, self.positions.line_text(span.line)
        )
        if query is None:
            return None
        query = replace(query, fix_var=fix_var)
        self.queries.append(self._fresh_written.after(query, self.qualname))
        ref = self._emitted[(builder.site, self.qualname)] = f"q{len(self.queries) - 1}"
        return ref

    def _is_db_receiver(self, node: cst.BaseExpression, value: Value) -> bool:
        if value.kind == V.SERVICE:
            return True
        if value.kind == V.OBJECT and value.text in self._classes:
            return False  # an instance of a class this module defines, not a DB class
        if value.kind not in (V.UNKNOWN, V.OBJECT) or value.from_call or value.origin:
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
            return replace(d.held, nullable=True) if d.held is not None else V.derived(d)
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
            updated = _removed(d, key) if key else replace(d, open=True)
        elif name == "clear":
            updated = V.EMPTY_DICT
        if isinstance(node, cst.Name) and node.value in env.vars:
            env.vars[node.value] = updated
        return V.TOP

    def _construction(self, cls: str, args: CallArgs, env: Env, site: tuple) -> Value:
        span = self.positions.call(*site)
        org_at_hand = self._org_at_hand(env)
        self.constructions.append(
            ServiceConstruction(
                class_name=cls,
                keywords=tuple(args.keywords),
                positional=len(args.positional),
                org_at_hand=org_at_hand,
                span=span,
                function=self.qualname,
                snippet=self.positions.line_text(span.line),
            )
        )
        index = len(self.constructions) - 1
        return Value(kind=V.SERVICE, text=cls, site=("new", index))

    # ---------------------------------------------------------------- helpers

    def _label(self, template: str, *nodes: cst.CSTNode | None) -> Callable[[], str]:
        """The label of a path, written out only if a join names it."""
        return lambda: template.format(*map(self.code, nodes)).strip()

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
        cst.Comparison: M._ev_comparison,
        cst.UnaryOperation: M._ev_unary,
        cst.FormattedString: M._ev_fstring,
        cst.Integer: M._ev_leaf,
        cst.Float: M._ev_leaf,
        cst.Imaginary: M._ev_leaf,
        cst.Ellipsis: M._ev_leaf,
        cst.Yield: M._ev_yield,
    }


_register()


# -------------------------------------------------------------------- module-level helpers


_BUILTIN_NAMES = frozenset(dir(__import__("builtins")))


def _module_constants(module: cst.Module, db_classes: frozenset[str]) -> dict[str, Value]:
    """Top-level `NAME = "literal"` (table names and keys spelled through a constant) and
    `db = DatabaseService()`: module names a function may use wherever they are bound."""
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
            known = _constant_value(value, db_classes) if value is not None else None
            for target in targets:
                if isinstance(target, cst.Name):
                    if known is not None:
                        constants[target.value] = known
                    else:
                        constants.pop(target.value, None)
    return constants


def _constant_value(node: cst.BaseExpression, db_classes: frozenset[str]) -> Value | None:
    literal = string_literal(node)
    if literal:
        return Value(kind=V.STR, text=literal)
    if isinstance(node, cst.Call):
        cls = dotted_name(node.func).rsplit(".", 1)[-1]
        if cls in db_classes:
            return Value(kind=V.SERVICE, text=cls)
        if execution_context.creates_variable(dotted_name(node.func)):
            return execution_context.CONTEXT_VALUE  # its `.get()` reads the context
    return None


def _irrefutable(pattern: cst.MatchPattern) -> bool:
    return isinstance(pattern, cst.MatchAs) and pattern.pattern is None


def _as_dict(value: Value) -> Value:
    """`filters = by_id(i)`: a project function's result is a dict its summary resolves."""
    if value.kind != V.DICT and value.from_call:
        return V.merge_dicts(V.EMPTY_DICT, value)
    return value


def _removed(d: Value, key: str) -> Value:
    """`d.pop(key)` / `del d[key]`: gone, even if a spread function's dict supplied it."""
    if d.merged:
        return V.with_entry(d, key, V.Entry(empty=True, maybe_empty=True))
    return V.without_entry(d, key)


def _made_by_factory(receiver: Value, method: str) -> bool:
    """The result of a call, whose method is called: an object a factory made. A result
    taken for a helper's row (`registry = get_model_registry()` with an org id at hand)
    is one too, unless the method is a mapping's own (`row.get("id")`)."""
    if not receiver.from_call:
        return False
    if receiver.kind == V.ROW:
        return (receiver.row or "").startswith("h") and method not in MAPPING_METHODS
    return receiver.kind == V.UNKNOWN


def _first_positional(node: cst.Call) -> str | None:
    first = node.args[0] if node.args else None
    if first is None or first.keyword is not None or first.star:
        return None
    return dotted_name(first.value) or None


def _enqueued_args(args: CallArgs, enqueue: task_queues.Enqueue) -> CallArgs:
    """The arguments the task will be called with: after the function a queue is given,
    or unpacked from literal `args=(...)` and `kwargs={...}`; unknown (starred) else."""
    if not enqueue.packed:
        return CallArgs(args.positional[enqueue.skip :], args.keywords, args.starred)
    packed = args.keywords.get("args")
    named = args.keywords.get("kwargs")
    known_args = packed is None or packed.items is not None
    known_kwargs = named is None or (named.kind == V.DICT and not named.open)
    positional = list(packed.items or ()) if packed is not None else []
    keywords = {
        key: Value(params=entry.params, origin=entry.origin, row=entry.row)
        for key, entry in (named.entries.items() if named is not None else ())
    }
    return CallArgs(positional, keywords, not (known_args and known_kwargs) or args.starred)


def _result_and_error(value: Value, target: cst.Tuple | cst.List, starred: bool) -> bool:
    """Two names unpacking what a project call returned, whatever it is."""
    return (
        value.call is not None
        and value.element is None
        and not starred
        and len(target.elements) == 2
    )


def _mapped_row(args: CallArgs) -> Value | None:
    """A call given one query row and nothing else (`self._to_profile(rows[0])`,
    `Agent.from_row(row)`, `Agent(**rows[0])`) maps that row: its result is read from
    the same row."""
    if args.keywords:
        return None
    if args.spread is not None and not args.positional:
        only = args.spread  # a model built from the row's fields
    elif not args.starred and len(args.positional) == 1:
        (only,) = args.positional
    else:
        return None
    return V.derived(only) if only.row and only.row.startswith("q") else None


def _may_be_helper(name: str) -> bool:
    """A plain call that could be a project function: not a builtin, not a class."""
    return name not in _BUILTIN_NAMES and not name[:1].isupper() and "." not in name


def _literal_dict_arg(node: cst.Call, operation: str) -> bool:
    """The filter (or record) is a dict literal written in the call: `--fix` can edit it."""
    keywords = RECORD_KEYWORDS if operation == "insert" else FILTER_KEYWORDS
    positional = [a for a in node.args if a.keyword is None and not a.star]
    named = [a for a in node.args if a.keyword is not None and a.keyword.value in keywords]
    arg = named[0] if named else (positional[1] if len(positional) > 1 else None)
    return arg is not None and isinstance(arg.value, cst.Dict)


def _raises(rest: Sequence[cst.CSTNode]) -> bool:
    """The statements left in a block end in a `raise`, with nothing on the way that
    could leave it otherwise (only simple statements: a log line, an assignment).
    Stops at the first compound statement, so a block of many `if`s stays linear."""
    last: cst.BaseSmallStatement | None = None
    for stmt in rest:
        if not isinstance(stmt, cst.SimpleStatementLine):
            return False
        for small in stmt.body:
            if isinstance(small, cst.Return):
                return False
            last = small
    return isinstance(last, cst.Raise)


def _named_table(args: CallArgs) -> bool:
    """`.table("calls")`, or a string the analysis cannot spell; not one of several
    tables a loop goes through, which is none of them in particular."""
    first = args.positional[0] if args.positional else None
    return first is not None and first.kind == V.STR and bool(first.text or not first.options)


def _loop_element(items: Value) -> Value:
    """What a loop's target holds: the items' merged value, or for a literal sequence of
    strings, one of them (`for col in ("a", "b")`)."""
    texts = [item.text for item in items.items or () if item.kind == V.STR and item.text]
    if items.items and len(texts) == len(items.items):
        return Value(kind=V.STR, options=tuple(sorted(set(texts))))
    return items.element or V.derived(items)


def _sequence(values: Sequence[tuple[Value, bool]], positional: bool) -> Value:
    """A SEQ of `(value, starred)` items: merged, and by position while every starred
    item's own positions are known."""
    element: Value | None = None
    items: list[Value] | None = [] if positional else None
    for value, starred in values:
        part = (value.element or V.TOP) if starred else value
        element = part if element is None else V.meet(element, part)
        if items is not None and starred:
            items = items + list(value.items) if value.items is not None else None
        elif items is not None:
            items.append(value)
    return Value(kind=V.SEQ, element=element, items=tuple(items) if items is not None else None)


def _row(ref: str, node: cst.Call) -> Value:
    """What a query or helper returned; a guard on it verifies the names its call pinned."""
    return Value(kind=V.ROW, row=ref, verifies=frozenset(_names_in(node.args)))


def _names_in(args: Iterable[cst.Arg]) -> set[str]:
    """Variables a call pins: names given directly, respelled (`str(org_id)`) or as
    values of a literal filter dict. Deliberately shallow: walking every argument's
    subtree costs more than it finds."""
    found: set[str] = set()
    stack: list[cst.BaseExpression] = [arg.value for arg in args]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Name):
            found.add(node.value)
        elif isinstance(node, cst.Call):
            source = membership.alias_source(node)
            if source is not None:
                found.add(source)
        elif isinstance(node, cst.Dict):
            stack.extend(e.value for e in node.elements if isinstance(e, cst.DictElement))
    return found


def _keywords_dict(args: CallArgs) -> Value:
    d = V.EMPTY_DICT
    for key, value in args.keywords.items():
        d = V.with_entry(d, key, V.entry_for(value))
    return d


def _given_principal(args: CallArgs) -> bool:
    """Its one argument is the principal's own id."""
    given = [*args.positional, *args.keywords.values()]
    return len(given) == 1 and given[0].origin == "principal"


def _dict_call(args: CallArgs) -> Value:
    base = V.EMPTY_DICT
    for value in args.positional:
        base = V.merge_dicts(base, value)
    base = V.merge_dicts(base, _keywords_dict(args))
    return replace(base, open=True) if args.starred else base


def _literal_key(node: cst.Subscript) -> str | None:
    """`row["building_id"]`: the string a one-element subscript names."""
    if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
        return None
    key = node.slice[0].slice.value
    # `string_literal`, not `evaluated_value`: a plain key is read without compiling it.
    return string_literal(key) if isinstance(key, cst.SimpleString) else None


# `hashlib.sha256(token.encode()).hexdigest()`: the steps of hashing a value.
_HASHES = frozenset({"md5", "sha1", "sha224", "sha256", "sha384", "sha512", "blake2b", "blake2s"})
_ENCODINGS = frozenset({"encode", "hexdigest", "digest"})


def _digest(name: str, receiver: Value, args: CallArgs) -> Value | None:
    """A hash of request input is still what the request chose (its origin is kept,
    nothing else: a digest is not the row field or id it was computed from)."""
    if name in _ENCODINGS and not args.positional:
        source = receiver
    elif name in _HASHES and len(args.positional) == 1:
        source = args.positional[0]
    else:
        return None
    if not (source.origin or "").startswith("request"):
        return None
    return Value(params=source.params, origin=source.origin)
