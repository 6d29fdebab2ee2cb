"""What the test of an `if`, `assert` or `while` proves on the path that survives it.

Check-then-act (`if not rows.data: raise` verifies the names the lookup pinned), a row
compared with the principal or with the caller's own row right after the fetch, owned
or public rows, membership of the caller in a row's tenant, and values checked against
the principal. The interpreter calls `_assume` at each branch; what is recorded lives
in the environment (names now verified or the principal's) or on the query facts
(`ownership_checked`, `public_checked`, `checked_against`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import libcst as cst

from orgscope_lint.analysis import (
    alternatives,
    guards,
    identity,
    membership,
    platform_roles,
    row_checks,
)
from orgscope_lint.analysis import values as V
from orgscope_lint.analysis.parent_scoping import row_found
from orgscope_lint.analysis.paths import EXPRESSION, Env
from orgscope_lint.analysis.syntax import string_literal
from orgscope_lint.analysis.values import Value, replace

if TYPE_CHECKING:
    from orgscope_lint.analysis.definitions import FunctionState
    from orgscope_lint.config import Config
    from orgscope_lint.facts import CallFact, FunctionFact, HelperCall, Query

_PRINCIPAL = ("principal", "unverified")


def unverified(value: Value) -> Value:
    """`current_user.get("org")`: the principal's, but may be missing and never checked."""
    return replace(value, origin="unverified", nullable=True)


def _row_base(node: cst.BaseExpression) -> cst.BaseExpression | None:
    """`row` in `row["k"]`, `row.k` or `row.get("k")`."""
    if isinstance(node, (cst.Subscript, cst.Attribute)):
        return node.value
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
        return node.func.value
    return None


def _root(node: cst.BaseExpression) -> cst.BaseExpression:
    """`res` in `res.data[0]["org_id"]` or `res.get("row")`: what the parts were read from."""
    while True:
        base = _row_base(node)
        if base is None:
            return node
        node = base


def _named_values(node: cst.BaseExpression) -> bool:
    """A literal tuple, list or set of non-empty strings: `("admin", "owner")`."""
    if not isinstance(node, (cst.Tuple, cst.List, cst.Set)) or not node.elements:
        return False
    return all(
        isinstance(item, cst.Element) and bool(string_literal(item.value)) for item in node.elements
    )


def _key_lookup(node: cst.BaseExpression) -> tuple[cst.BaseExpression, cst.BaseExpression] | None:
    """(mapping, key) of `mapping.get(key)` with no default: None, unless `key` is one
    of the mapping's keys."""
    if not isinstance(node, cst.Call) or not isinstance(node.func, cst.Attribute):
        return None
    if node.func.attr.value != "get" or len(node.args) != 1:
        return None
    arg = node.args[0]
    return None if arg.keyword is not None or arg.star else (node.func.value, arg.value)


# What a mapping (a principal held as a dict) answers about its own keys.
MAPPING_METHODS = frozenset({"get", "pop", "setdefault", "keys", "values", "items", "copy"})


def _or_empty(node: cst.BooleanOperation) -> bool:
    """`x or []`: x, or nothing."""
    return isinstance(node.operator, cst.Or) and _empty_literal(node.right)


def _empty_literal(node: cst.BaseExpression) -> bool:
    """`[]`, `()`, `{}`, `set()` or `None`."""
    if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
        return not node.elements
    if isinstance(node, cst.Dict):
        return not node.elements
    if isinstance(node, cst.Call):
        return (
            isinstance(node.func, cst.Name)
            and node.func.value in ("set", "list", "dict")
            and not node.args
        )
    return isinstance(node, cst.Name) and node.value == "None"


def _counts_unasked(node: cst.BaseExpression, found: Value) -> bool:
    """`if not result.count: raise` where the read never asked for the count: `count`
    is None whatever it found, so the test proves nothing about its rows."""
    return isinstance(node, cst.Attribute) and node.attr.value == guards.COUNT and not found.counted


def _rows_of(ref: str, env: Env) -> Value | None:
    """The result of lookup `ref` as a name on this path holds it (`result`, `found`)."""
    return next((v for v in env.vars.values() if v.kind == V.ROW and v.row == ref), None)


def _root_name(node: cst.BaseExpression) -> str | None:
    """`poll` in `poll`, `poll["company_id"]` or `poll.get("company_id")`."""
    root = _root(node)
    return root.value if isinstance(root, cst.Name) else None


class PathChecks:
    """The interpreter's half that records what a passed test proves (a mixin: it
    shares the interpreter's state, declared here)."""

    queries: list[Query]
    calls: list[CallFact]
    helper_calls: list[HelperCall]
    functions: list[FunctionFact]
    defined_once: Callable[[str], FunctionFact | None]  # `Definitions.defined_once`
    config: Config
    _call_rows: dict[int, Value]
    _comprehensions: dict[int, Value]
    _conversions: set[str]
    _handed_expressions: dict[str, dict[str, Value]]
    _call_index: dict[int, int]
    _call_nodes: dict[int, cst.Call]
    _function: FunctionState | None
    _checked_expressions: bool

    if TYPE_CHECKING:  # provided by the interpreter

        def _is_org_param(self, name: str) -> bool: ...

        def _mark_handed(self, node: cst.Call, index: int, env: Env, kind: str = "") -> None: ...

        def code(self, node: cst.CSTNode) -> str: ...

    def _assume(
        self, test: cst.BaseExpression, truth: bool, env: Env, *, settled: bool = True
    ) -> None:
        """Record what `test` being `truth` proves on this path. Only a `settled` test
        (the other outcome returned or raised) counts as an ownership check of a row."""
        if truth and _empty_literal(test):
            env.dead = True  # `rows or []` true through its `[]`: no such path
            return
        facts = list(guards.established(test, truth))
        if self._platform_facts(facts, env):
            env.dead = True  # only platform staff go on here: no tenant caller's path
            return
        options = alternatives.of(test, truth, env.flags)
        if options is not None:
            self._assume_any(options, env, settled)
        self._assume_falsy(test, truth, env)
        for fact in facts:
            if isinstance(fact, guards.Truthy):
                self._assume_set(fact.node, env, settled)
            elif isinstance(fact, guards.Member):
                self._mark_tested(fact.element, fact.collection, env)
                self._assume_member(fact.element, fact.collection, env, settled)
            elif fact.unless_public is not None:
                self._assume_owned_or_public(fact.left, fact.right, env, settled)
            else:
                self._mark_tested(fact.left, fact.right, env)
                self._mark_tested(fact.right, fact.left, env)
                self._assume_equal(fact.left, fact.right, env, settled)
                self._assume_equal(fact.right, fact.left, env, settled)
                # `roles.get(org_id) == "admin"`: the lookup found something.
                for side, other in ((fact.left, fact.right), (fact.right, fact.left)):
                    if string_literal(other) and _key_lookup(side) is not None:
                        self._assume_set(side, env, settled)

    def _platform_path(self, test: cst.BaseExpression, truth: bool, env: Env) -> bool:
        """Only platform staff pass `test` with outcome `truth`."""
        return self._platform_facts(list(guards.established(test, truth)), env)

    def _platform_facts(self, facts: list[guards.Fact], env: Env) -> bool:
        """Only platform staff establish `facts`: by what they say of the principal, or
        through a flag every making of which took such a test (`is_super_admin =
        isinstance(auth, SuperAdminContext)`)."""

        def is_principal(node: cst.BaseExpression) -> bool:
            return self._is_principals(node, env)

        if platform_roles.platform_only(facts, is_principal):
            return True
        for fact in facts:
            if not isinstance(fact, guards.Truthy) or not isinstance(fact.node, cst.Name):
                continue
            made = env.flags.get(fact.node.value)
            if made and all(
                any(
                    platform_roles.platform_only(guards.established(*taken), is_principal)
                    for taken in alternative.tests
                )
                for alternative in made
            ):
                return True
        return False

    def _mark_tested(
        self, value: cst.BaseExpression, against: cst.BaseExpression, env: Env
    ) -> None:
        """`org in allowed` or `org == row["org_id"]` held: the request's `org` matched
        something it did not choose, which only a stricter rule judges further."""
        if not isinstance(value, cst.Name) or not isinstance(
            against, (cst.Name, cst.Attribute, cst.Subscript)
        ):
            return  # a literal, or a call whose answer is not known here
        held = env.vars.get(value.value)
        if held is None or not (held.origin or "").startswith("request"):
            return
        if not (self._peek(against, env).origin or "").startswith("request"):
            env.vars[value.value] = replace(held, tested=True)

    def _assume_falsy(self, test: cst.BaseExpression, truth: bool, env: Env) -> None:
        """`if body.workspace_id: ...` not taken: the request's value is None or empty on
        this path, so what it is checked against elsewhere does not matter here."""
        while isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
            test, truth = test.expression, not truth
        if truth or not isinstance(test, (cst.Attribute, cst.Subscript)):
            return
        if (self._peek(test, env).origin or "").startswith("request"):
            env.vars[EXPRESSION + self.code(test)] = V.NONE_VALUE
            self._checked_expressions = True

    def _assume_any(
        self, options: tuple[alternatives.Alternative, ...], env: Env, settled: bool = True
    ) -> None:
        """One of `options` held: keep what each of them proves (a row checked, a name
        verified), replaying each on its own names and forgetting what it alone proved."""
        kept = (list(self.queries), list(self.calls), list(self.helper_calls))
        common: dict[tuple[int, int], object] | None = None
        renamed: dict[str, Value] | None = None
        live = 0
        for option in options:
            names = env.vars if option.names is None else option.names
            # A flag's own making is replayed without flags: a test of the flag itself
            # among them (`if found: found = True`) must not expand again.
            flags = env.flags if option.names is None else {}
            scratch = Env(dict(names), tests=env.tests, flags=flags)
            for test, truth in option.tests:
                self._assume(test, truth, scratch, settled=settled)
            if scratch.dead:  # an option only platform staff take proves nothing for a tenant
                self.queries[:], self.calls[:], self.helper_calls[:] = kept
                continue
            live += 1
            proved = {
                (which, index): item
                for which, (now, before) in enumerate(
                    zip((self.queries, self.calls, self.helper_calls), kept, strict=True)
                )
                for index, item in enumerate(now)
                if index >= len(before) or item is not before[index]
            }
            verified = {
                name: value
                for name, value in scratch.vars.items()
                if names.get(name) is not value and env.vars.get(name) is names.get(name)
            }
            common = proved if common is None else alternatives.both_proved(common, proved)
            renamed = verified if renamed is None else alternatives.both_named(renamed, verified)
            self.queries[:], self.calls[:], self.helper_calls[:] = kept
        if options and not live:
            env.dead = True
            return
        for (which, index), item in (common or {}).items():
            (self.queries, self.calls, self.helper_calls)[which][index] = item  # type: ignore[index]
        env.vars.update(renamed or {})

    def _assume_member(
        self,
        element: cst.BaseExpression,
        collection: cst.BaseExpression,
        env: Env,
        settled: bool = False,
    ) -> None:
        """`x in allowed`, where `allowed` holds the principal's own tenants: x is one."""
        if _named_values(collection):  # `role in ("admin", "owner")`: role is one of them
            self._assume_set(element, env, settled)
            return
        # `[m["org_id"] for m in mine.data]` written in the test: as the interpreter found it.
        items = self._comprehensions.get(id(collection)) or self._peek(collection, env)
        trusted = membership.trusted_collection(items, self.queries, self._dependency_tenant())
        if settled:
            self._found_among_parents(element, items.element, env)
            self._found_among_returned_ids(element, collection, env)
            if not trusted:  # the element may be the principal's from this very test
                self._principal_among(element, items, env)
        if trusted:
            self._mark_principal_respelled(element, env)

    def _principal_among(self, element: cst.BaseExpression, items: Value, env: Env) -> None:
        """`if user_id not in {m["user_id"] for m in members}: raise`, `members` the rows
        of a read pinned to a tenant the request named, made here or by the function
        that returned them: the caller has a row there, so that tenant is one it
        belongs to, as if the read had also been pinned to the caller and found it."""
        if not self._is_principals(element, env):
            return
        source = items.element if items.element is not None else items
        if source.row and source.row[0] == "q":
            self._member_of_read(int(source.row[1:]), env)
        elif source.call is not None and source.call < len(self.calls):
            self.calls[source.call] = replace(self.calls[source.call], principal_among=True)
            node = self._call_nodes.get(source.call)
            if node is not None:  # what it was handed is checked from here, as it proves
                self._mark_handed(node, source.call, env)

    def _member_of_read(self, index: int, env: Env) -> None:
        """The caller found among the rows of query `index`: the names its tenant key is
        pinned to are the caller's tenant, and every row it read is of that tenant. A
        read pinned to no tenant (all the users there are) proves nothing."""
        if index >= len(self.queries):
            return
        pinned = [
            fact.params[0]
            for fact in self.queries[index].shape.keys
            if fact.always
            and len(fact.params) == 1
            and not fact.row
            and fact.origin not in _PRINCIPAL
            and self._is_org_param(fact.key)
        ]
        if not pinned:
            return
        ref = f"q{index}"
        self._mark_ownership_checked(ref)
        for name in membership.spelled_from(pinned, env.vars) & env.vars.keys():
            origin = env.vars[name].origin
            if origin is None or origin.startswith("request"):
                env.vars[name] = replace(env.vars[name], origin=f"verified:{ref}")
        if self._function is None or not self._function.exits:
            for name in pinned:
                self._reads_of_tenant_checked((name,), index)

    def _dependency_tenant(self) -> membership.Tenant:
        filled = self._function.filled if self._function is not None else frozenset()
        return (filled, self.config.tenant_like_names) if filled else ()

    def _found_among_parents(
        self, element: cst.BaseExpression, parents: Value | None, env: Env
    ) -> None:
        """`if poll["building_id"] not in ids: raise`, `ids` the ids of rows an earlier
        query read (`[b["id"] for b in buildings.data]`): the row's parent is one of
        them. Checked against that query when the row was fetched here; in a helper
        that received the row, a mark for its callers when a parameter pinned the
        query's tenant key (`row_checks`)."""
        column = guards.field_name(element)
        base = _row_base(element)
        if column is None or base is None or parents is None or parents.column != "id":
            return
        ref = parents.row or ""
        if not ref.startswith("q") or int(ref[1:]) >= len(self.queries):
            return
        looked = self._peek(base, env)
        if looked.row and looked.row[0] == "q" and looked.row != ref:
            index = int(looked.row[1:])
            if index < len(self.queries) and self.queries[index].checked_against is None:
                self.queries[index] = replace(self.queries[index], checked_against=(ref, column))
            return
        parent = self.queries[int(ref[1:])]
        for fact in parent.shape.keys:
            if fact.always and len(fact.params) == 1 and self._is_org_param(fact.key):
                self._mark_parent_check(base, column, fact.params[0], (parent.table, fact.key), env)
                return

    def _found_among_returned_ids(
        self, element: cst.BaseExpression, collection: cst.BaseExpression, env: Env
    ) -> None:
        """`if poll["building_id"] not in company_building_ids(db, me): raise`, that
        function of this module returning the ids of the buildings it read by the
        tenant key it is given (`FunctionFact.returns_ids`): given the principal, the
        row's parent is the caller's (`Query.checked_through`); given a parameter, a
        mark for the callers of this assert helper (`row_checks`)."""
        column = guards.field_name(element)
        base = _row_base(element)
        returned = self._ids_returned_by(collection)
        if column is None or base is None or returned is None:
            return
        table, key, given = returned
        looked = self._peek(base, env)
        if looked.row and looked.row[0] == "q" and self._peek(given, env).origin == "principal":
            index = int(looked.row[1:])
            if index < len(self.queries):
                checked = (column, table, key)
                self.queries[index] = replace(self.queries[index], checked_through=checked)
            return
        if isinstance(given, cst.Name):
            self._mark_parent_check(base, column, given.value, (table, key), env)

    def _mark_parent_check(
        self,
        base: cst.BaseExpression,
        column: str,
        against: str,
        parent: tuple[str, str],
        env: Env,
    ) -> None:
        """In an assert helper, the row in parameter `base` has its `column` among the ids
        of the `parent` table (and key) rows that parameter `against` pins: a mark."""
        params = self._function.params if self._function is not None else ()
        param = row_checks.parameter(_root_name(base), env.vars, params)
        if param and param != against and row_checks.parameter(against, env.vars, params):
            row_checks.mark(env.vars, param, column, against, parent)

    def _ids_returned_by(
        self, node: cst.BaseExpression
    ) -> tuple[str, str, cst.BaseExpression] | None:
        """(table, key, the argument given for the key) when `node` calls a module-level
        function of this module, defined above it, that returns ids (`returns_ids`)."""
        if isinstance(node, cst.Await):
            node = node.expression
        if not isinstance(node, cst.Call) or not isinstance(node.func, cst.Name):
            return None
        found = self.defined_once(node.func.value)
        returned = found.returns_ids if found is not None else None
        if found is None or returned is None:
            return None
        table, key, param = returned
        # A keyword-only parameter has no position (`params` holds the positional ones).
        position = found.params.index(param) if param in found.params else None
        for index, arg in enumerate(node.args):
            if arg.star:
                return None
            named = arg.keyword.value if arg.keyword is not None else None
            if named == param or (named is None and index == position):
                return table, key, arg.value
        return None

    def _param_row_checked(
        self, node: cst.BaseExpression, other: cst.BaseExpression, env: Env
    ) -> None:
        """In a helper, `if poll["company_id"] != company_id: raise`: a mark that the
        row its caller hands in as `poll` is checked against `company_id`."""
        column = guards.field_name(node)
        base = _row_base(node)
        if self._function is None or column is None or base is None:
            return
        params = self._function.params
        param = row_checks.parameter(_root_name(base), env.vars, params)
        against = row_checks.parameter(_root_name(other), env.vars, params)
        if param and against and param != against:
            row_checks.mark(env.vars, param, column, against)

    def _assume_set(self, node: cst.BaseExpression, env: Env, settled: bool = True) -> None:
        called = node.expression if isinstance(node, cst.Await) else node
        if isinstance(called, cst.Call):
            self._principal_answered(called, env, settled)
        if settled:
            self._guarding_call(node, env)
            if isinstance(node, cst.Call):
                args = [arg.value for arg in node.args]
                if len(args) >= 2:
                    self._secret_matched(args, env)
        matched = membership.any_match(node) if isinstance(node, cst.Call) else None
        if matched is not None:
            self._assume_member(*matched, env, settled)
            return
        looked_up = _key_lookup(node)
        if looked_up is not None and self._peek(looked_up[0], env).kind == V.DICT:
            # `if not roles.get(org_id): raise`, `roles` keyed by the caller's own
            # memberships: `org_id` is one of its keys.
            self._assume_member(looked_up[1], looked_up[0], env, settled)
            return
        if isinstance(node, cst.Call):  # `if db.select_one(...) is None: raise`
            row = self._call_rows.get(id(node))
            if row is not None:
                self._verify_pinned(row, env, found=True)
                if settled:
                    self._verify_member_of_row(row)
            return
        inline = self._rows_tested_inline(node)  # `if not (q.execute().data or []): raise`
        if inline is not None:
            self._verify_pinned(inline, env, found=True)
            if settled:
                self._verify_member_of_row(inline)
            return
        found = row_found(node, env.vars)  # `if not result.data: raise`
        if found is not None and _counts_unasked(node, found):
            return
        if found is not None:
            self._verify_pinned(found, env, found=True)
            if settled:
                self._verify_member_of_row(found)
            return
        if not isinstance(node, cst.Name) or node.value not in env.vars:
            return
        value = env.vars[node.value]
        origin = "principal" if value.origin == "unverified" else value.origin
        env.vars[node.value] = replace(value, nullable=False, origin=origin)
        self._verify_pinned(value, env, found=True)
        if value.kind != V.ROW and value.row and value.column:
            # `role = m.data[0]["role"] if m.data else None`, then `if not role: raise`:
            # a field of the row is set, so the lookup found its row.
            found = _rows_of(value.row, env)
            if found is not None:
                self._verify_pinned(found, env, found=True)
                if settled:
                    self._verify_member_of_row(found)

    def _rows_tested_inline(self, node: cst.BaseExpression) -> Value | None:
        """The lookup whose rows a test reads where it runs the query
        (`q.limit(1).execute().data or []`): the query's result, as if bound to a name."""
        if isinstance(node, cst.BooleanOperation) and _or_empty(node):
            node = node.left
        if not isinstance(node, (cst.Attribute, cst.Subscript)):
            return None
        while isinstance(node, (cst.Attribute, cst.Subscript)):
            node = node.value
        if isinstance(node, cst.Await):
            node = node.expression
        row = self._call_rows.get(id(node)) if isinstance(node, cst.Call) else None
        return row if row is not None and row.kind == V.ROW and row.row else None

    def _principal_answered(self, node: cst.Call, env: Env, settled: bool) -> None:
        """`if not user_profile.has_role("org_admin", str(org_id)): raise`: a method of
        the principal's own object said yes for request input or a parameter, on this
        path: the principal holds it, as `org_id in current_user["org_ids"]` would say. Not a
        mapping's own lookup (`current_user.get(key)`), which only reads a field. Handed
        a row's tenant (`str(agent.organization_id)`) and settled, it checked the row, as
        an access check told who asks does."""
        func = node.func
        if not isinstance(func, cst.Attribute) or func.attr.value in MAPPING_METHODS:
            return
        if not self._is_principals(func.value, env):
            return
        if settled:  # `-1`: a method of no project class is no call fact of its own
            self._tenant_access_checked(node, self._call_index.get(id(node), -1), env)
        for arg in node.args:
            if self._asked_about(arg.value, env):
                name = membership.alias_source(arg.value, self._conversions)
                spelled = membership.unconverted(arg.value, self._conversions)
                self._mark_principal_respelled(cst.Name(name) if name else spelled, env)

    def _asked_about(self, node: cst.BaseExpression, env: Env) -> bool:
        """Request input, or a parameter of the function as it was given (in a route
        dependency, FastAPI fills it from the request too)."""
        value = self._peek(node, env)
        if (value.origin or "").startswith("request"):
            return True
        name = membership.alias_source(node, self._conversions)
        own = self._function is not None and name in self._function.params
        return own and value.origin is None and value.row is None and value.params == {name}

    def _guarding_call(self, node: cst.BaseExpression, env: Env) -> None:
        """`if not role: raise` after `role = project_role(...)`, `if not await
        allowed(...): raise`, or `if not access["has_access"]: raise` after `access =
        check(...)`: the call's result decides whether this code goes on."""
        if isinstance(node, cst.Await):
            node = node.expression
        base = _row_base(node) if guards.field_name(node) is not None else None
        if isinstance(base, cst.Name):  # `access["has_access"]` of `access = check(...)`
            node = base
        if isinstance(node, cst.Call):
            index = self._call_index.get(id(node))
        elif isinstance(node, cst.Name) and node.value in env.vars:
            index = env.vars[node.value].call
        else:
            index = None
        if index is None or index >= len(self.calls):
            return
        self.calls[index] = replace(self.calls[index], guards=True)
        node = self._call_nodes.get(index)
        if node is None or not any(a.origin in _PRINCIPAL for a in self.calls[index].args):
            return
        # Told who asks, its answer let the code go on: what else it was handed is
        # authorised from here (whether it admits too much is its own finding).
        self._tenant_access_checked(node, index, env)
        self._mark_handed(node, index, env, "guard")

    def _tenant_access_checked(self, node: cst.Call, index: int, env: Env) -> None:
        """`if not await get_org_role(user["id"], row["org_id"]): raise`: an access check
        handed the principal and a row's tenant passed, so the caller may act in that
        tenant; whether the check admits too much is judged inside it (as for any check
        told who asks). The row, and the id it was fetched by, are the caller's."""
        if self._function is not None and self._function.exits:
            return  # an earlier `return` skipped the check on some path
        for arg in node.args:
            value = membership.unconverted(arg.value, self._conversions)  # `str(row.org_id)`
            if isinstance(value, cst.Name):
                self._tenant_name_checked(value.value, env)
                continue
            column = guards.field_name(value)
            base = _row_base(value)
            if column is None or base is None or not self._is_org_param(column):
                continue
            looked = self._peek(base, env)
            if looked.origin in _PRINCIPAL:
                continue
            if looked.row:
                self._mark_ownership_checked(looked.row)
                self._verify_pinned(self._peek(_root(base), env), env)
            fetched = self._peek(_root(base), env).call
            if fetched is not None and fetched < len(self.calls) and fetched != index:
                self.calls[fetched] = replace(self.calls[fetched], result_guarded=column)

    def _tenant_name_checked(self, name: str, env: Env) -> None:
        """`workspace_id = page["workspace_id"]` handed to the passed check: as if the
        row's field itself had been (a name spelled as the tenant key, read from a row)."""
        value = env.vars.get(name)
        if value is None or not self._is_org_param(name) or value.origin in _PRINCIPAL:
            return
        if value.call is not None and value.call < len(self.calls) and not value.row:
            # `org_id = get_org_by_project(project_id)`: the tenant of the row the helper
            # read, which the caller proof holds to the helper's summary.
            self.calls[value.call] = replace(self.calls[value.call], result_guarded=name)
            return
        if not value.row or value.kind == V.ROW:
            return
        self._mark_ownership_checked(value.row)
        found = _rows_of(value.row, env)
        if found is not None:
            self._verify_pinned(found, env)

    def _verify_pinned(self, row: Value, env: Env, found: bool = False) -> None:
        """Check-then-act: the lookup's filter pinned these names, and it found a row
        (`found`: only that; otherwise the row was also matched with the principal)."""
        if row.kind != V.ROW or not row.row:
            return
        names = membership.spelled_from(row.verifies, env.vars) & env.vars.keys()
        foreign = found and self._in_requested_tenant(row.row, names, env)
        for name in names:
            pinned = env.vars[name]
            if pinned.origin is None or pinned.origin.startswith("request"):
                if foreign and pinned.origin and self._is_org_param(name):
                    continue
                env.vars[name] = replace(pinned, origin=f"verified:{row.row}")
        for key in row.verifies - env.vars.keys():
            if key.startswith(EXPRESSION):  # `body.conversation_id`, request input
                env.vars[key] = Value(origin=f"verified:{row.row}")
                self._checked_expressions = True
        self._parent_found(row.row)
        # `access = check(me, body.workspace_id)`: that expression is verified from here.
        for key, handed in self._handed_expressions.get(row.row, {}).items():
            if (env.vars.get(key) or handed).origin == handed.origin:
                env.vars[key] = replace(handed, origin=f"verified:{row.row}")
                self._checked_expressions = True

    def _in_requested_tenant(self, ref: str, names: set[str], env: Env) -> bool:
        """A query whose tenant key the request set, pinned to nothing of the principal
        (`select(...).eq("org_id", org_id).eq("id", wf_id)`): a row found there proves
        nothing about that tenant; found with the caller's own user (a membership), it
        would. (What a call's answer proves depends on the function: a check's, unlike
        a lookup's, may verify the tenant; a call is judged as it always was.)"""
        if ref[0] != "q" or any(env.vars[name].origin in _PRINCIPAL for name in names):
            return False
        index = int(ref[1:])
        keys = self.queries[index].shape.keys if index < len(self.queries) else ()
        tenant = self.config.tenant_key
        return not any(fact.origin in _PRINCIPAL for fact in keys) and any(
            fact.key == tenant and (fact.origin or "").startswith("request") for fact in keys
        )

    def _parent_found(self, ref: str) -> None:
        """`parent = lookup(id=row["parent_id"], ...)`, raising when it found nothing: the
        earlier row's `parent_id` is checked against that lookup (`checked_against`)."""
        if ref[0] != "q" or (self._function is not None and self._function.exits):
            return  # an earlier `return` may have handed the row out unchecked
        lookup = int(ref[1:])
        fact = self.queries[lookup].shape.get("id") if lookup < len(self.queries) else None
        if fact is None or not fact.always or not fact.column:
            return
        row = fact.row or ""
        if row.startswith("q") and row != ref and int(row[1:]) < lookup:
            index = int(row[1:])
            if self.queries[index].checked_against is None:
                checked = (ref, fact.column)
                self.queries[index] = replace(self.queries[index], checked_against=checked)

    def _compared_rows(self, node: cst.BaseExpression, other: Value, env: Env) -> None:
        """`session["project_id"] != project["id"]`, raising: the first row is checked
        against the second, which the verdict may find to be the caller's own (a
        credential or identity lookup)."""
        looked = self._peek(node, env)
        column = guards.field_name(node)
        if column is None or not looked.row or not other.row or looked.row == other.row:
            return
        if looked.row[0] == "q" and other.row[0] == "q":
            index = int(looked.row[1:])
            if index < len(self.queries):
                checked = (other.row, column)
                self.queries[index] = replace(self.queries[index], checked_against=checked)

    def _checked_against_verified(self, node: cst.BaseExpression, trusted: Value, env: Env) -> None:
        """`if entry["page_id"] != page_id: raise`, `page_id` verified by an earlier
        lookup: the row is checked against that lookup's row (whether its column leads
        to the lookup's table, and whether the lookup was scoped, the verdict decides)."""
        origin = trusted.origin or ""
        ref = origin.removeprefix("verified:")
        looked = self._peek(node, env)
        column = guards.field_name(node)
        if not origin.startswith("verified:q") or column is None or not looked.row:
            return
        if looked.row[0] == "q" and looked.row != ref:
            index = int(looked.row[1:])
            if index < len(self.queries):
                self.queries[index] = replace(self.queries[index], checked_against=(ref, column))

    def _verify_member_of_row(self, lookup: Value) -> None:
        """A lookup pinned to the principal's own user and to the tenant read from an
        earlier row (`account_user` by `user_id` and `row["account_id"]`) found a
        membership, the code raising otherwise: the caller belongs to that row's tenant."""
        if lookup.kind != V.ROW or not lookup.row or lookup.row[0] != "q":
            return
        if self._function is not None and self._function.exits:
            return  # an earlier `return` (`if row["is_public"]: return row`) skipped it
        index = int(lookup.row[1:])
        if index >= len(self.queries):
            return
        pinned = {fact.key: fact for fact in self.queries[index].shape.keys if fact.always}
        owner = (pinned.get(key) for key in self.config.owner_keys)
        if not any(fact is not None and fact.origin == "principal" for fact in owner):
            return
        for key, fact in pinned.items():
            row = fact.row or ""
            if self._is_org_param(key) and row.startswith("q") and row != lookup.row:
                self._mark_ownership_checked(row)
            elif self._is_org_param(key) and not row and fact.params:
                self._reads_of_tenant_checked(fact.params, index)

    def _reads_of_tenant_checked(self, params: tuple[str, ...], lookup: int) -> None:
        """The caller was found a member of the tenant these parameters name: the reads
        this function made before, pinned to that tenant (its key, or the tenant's own
        row by `id`), read the caller's own tenant. Writes had already happened."""
        for index, query in enumerate(self.queries):
            if index == lookup or query.function != self.qualname:
                continue
            if query.operation not in ("read", "count"):
                continue
            if any(
                fact.always
                and fact.params == params
                and not fact.row
                and (self._is_org_param(fact.key) or fact.key == "id")
                for fact in query.shape.keys
            ):
                self._mark_ownership_checked(f"q{index}")

    def _secret_matched(self, sides: list[cst.BaseExpression], env: Env) -> None:
        """`if not verify(secret, row["secret_key_hash"]): return`, or `if hash(secret) !=
        row["password_hash"]: raise`: the request's secret matched the row's stored one,
        so the row is the presenter's credential, whatever it was looked up by."""
        sides = [_unencoded(side) for side in sides]
        looked = [self._peek(side, env) for side in sides]
        for position, side in enumerate(sides):
            # `row["password_hash"]`, or a name it was read into (`password_hash`)
            column = guards.field_name(side) or (side.value if isinstance(side, cst.Name) else None)
            ref = looked[position].row
            if column is None or not identity.is_stored_secret(column) or not ref:
                continue
            others = looked[:position] + looked[position + 1 :]
            # Anything not read from a row and not a constant: what the request presented.
            presented = any(not v.row and v.kind not in (V.STR, V.NONE) for v in others)
            index = int(ref[1:])
            if presented and ref[0] == "q" and index < len(self.queries):
                self.queries[index] = replace(self.queries[index], credential_verified=True)

    def _assume_equal(
        self, node: cst.BaseExpression, other: cst.BaseExpression, env: Env, settled: bool
    ) -> None:
        if settled:
            self._secret_matched([node, other], env)
            self._param_row_checked(node, other, env)
        trusted = self._peek(other, env)
        # `current_user.get("id")` counts as the caller too: a missing id equals no
        # owned row, and the value marked keeps its origin (ORG008 where it is used).
        principal = trusted.origin in _PRINCIPAL
        if settled and not principal:
            self._compared_rows(node, trusted, env)
        if not principal and not (isinstance(other, cst.Name) and self._is_org_param(other.value)):
            if settled:
                self._result_checked_against(node, other, trusted, env)
                self._checked_against_verified(node, trusted, env)
                self._checked_by_param(node, other, trusted, env)
            return
        self._mark_principal(node, env, trusted.origin if principal else "principal")
        if settled:
            self._result_checked(node, env)
        looked = self._peek(node, env)
        if looked.row and isinstance(node, (cst.Subscript, cst.Attribute, cst.Call)):
            # The row's tenant key matched the principal's: the row, and the id it was
            # fetched by, belong to the caller. The id on this path only, unless the other
            # outcome left: then the row is checked wherever it is used.
            if settled:
                self._mark_ownership_checked(looked.row)
            base = _row_base(node)
            if base is not None:
                # The lookup's own result, whose filter is known: `row["org_id"]` of
                # `row = found.data[0]` keeps only which lookup it came from.
                row = _rows_of(looked.row, env) or self._peek(base, env)
                self._verify_pinned(row, env)

    def _result_checked(self, node: cst.BaseExpression, env: Env) -> None:
        """`item = get_item(item_id)` then `if item["org_id"] != me: raise`: the caller
        checked the row the function returned, which its summary may be proven by."""
        base = _row_base(node)
        index = self._peek(_root(base), env).call if base is not None else None
        if index is not None and index < len(self.calls):
            self.calls[index] = replace(self.calls[index], result_checked=True)

    def _result_checked_against(
        self, node: cst.BaseExpression, other: cst.BaseExpression, trusted: Value, env: Env
    ) -> None:
        """`agent = get_agent(agent_id)` then `if agent["account_id"] != creator_id:
        raise`, `creator_id` being this function's own parameter: the returned row is
        checked against whatever the callers pass as `creator_id`, which the caller proof
        follows (the principal's own id makes it a post-fetch ownership check)."""
        if not isinstance(other, cst.Name) or trusted.origin or trusted.params != {other.value}:
            return
        base = _row_base(node)
        column = guards.field_name(node)
        index = self._peek(base, env).call if base is not None else None
        if column is not None and index is not None and index < len(self.calls):
            checked = (other.value, column)
            self.calls[index] = replace(self.calls[index], result_checked_against=checked)

    def _checked_by_param(
        self, node: cst.BaseExpression, other: cst.BaseExpression, trusted: Value, env: Env
    ) -> None:
        """`conv = <fetch by id>` then `if conv["participant_id"] != user_id: raise`,
        `user_id` this function's own parameter: the row fetched here is the caller's
        when every caller passes the principal's id there (`Query.checked_by_param`)."""
        name = membership.unconverted(other, self._conversions)
        if self._function is None or not isinstance(name, cst.Name) or trusted.origin:
            return
        # The parameter itself, or a local holding it as given (`user_id = _user_id(
        # request, tenant_id)`, a helper returning its argument or the token's subject).
        param = next(iter(trusted.params)) if len(trusted.params) == 1 else None
        if param not in self._function.params or not V.as_given(trusted, fields=True):
            return
        looked = self._peek(node, env)
        field = guards.field_name(membership.unconverted(node, self._conversions))
        if not looked.row or looked.row[0] != "q" or (field or looked.column) is None:
            return
        index = int(looked.row[1:])
        if index >= len(self.queries):
            return
        query = self.queries[index]
        # Fetched in this very function: the parameter is this function's to prove.
        if query.function == self._function.qualname and query.checked_by_param is None:
            self.queries[index] = replace(query, checked_by_param=param)

    def _assume_owned_or_public(
        self, field: cst.BaseExpression, other: cst.BaseExpression, env: Env, settled: bool
    ) -> None:
        """The row is the caller's or public: reading it is safe, but neither the row's
        key nor the id it was fetched by is the caller's (a write by it stays judged)."""
        trusted = self._peek(other, env)
        if trusted.origin not in _PRINCIPAL and not (
            isinstance(other, cst.Name) and self._is_org_param(other.value)
        ):
            return
        looked = self._peek(field, env)
        if settled and looked.row and looked.row[0] == "q":
            index = int(looked.row[1:])
            if index < len(self.queries):
                self.queries[index] = replace(self.queries[index], public_checked=True)

    def _mark_principal(
        self, node: cst.BaseExpression, env: Env, origin: str | None = "principal"
    ) -> None:
        if isinstance(node, cst.Name) and node.value in env.vars:
            env.vars[node.value] = replace(env.vars[node.value], origin=origin)
        elif isinstance(node, (cst.Attribute, cst.Subscript)):
            # `body.clerk_org_id` checked against the principal: that expression is safe.
            env.vars[EXPRESSION + self.code(node)] = Value(origin=origin)
            self._checked_expressions = True

    def _mark_principal_respelled(self, node: cst.BaseExpression, env: Env) -> None:
        """`node` is the principal's, and so is the variable it respells (`tid =
        str(tenant_id)`: `tenant_id`)."""
        self._mark_principal(node, env)
        if isinstance(node, cst.Name):
            source = env.vars.get(membership.ALIAS + node.value)
            if source is not None and source.text:
                self._mark_principal(cst.Name(source.text), env)

    def _is_principals(self, node: cst.BaseExpression, env: Env) -> bool:
        return self._peek(node, env).origin in _PRINCIPAL

    def _peek(self, node: cst.BaseExpression, env: Env) -> Value:
        """A value without evaluating (no facts, no name ranks): names and their parts."""
        if isinstance(node, cst.Name):
            value = env.vars.get(node.value, V.TOP)
            if node.value in self.config.principal_names and value.origin is None:
                return replace(value, origin="principal")
            return value
        if isinstance(node, (cst.Subscript, cst.Attribute)):
            return V.derived(self._peek(node.value, env))
        converted = membership.converted(node, self._conversions)
        if converted is not None:  # `str(user.org_id)`: the same id
            return self._peek(converted, env)
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
            base = self._peek(node.func.value, env)
            if node.func.attr.value in membership.SPELLING_METHODS and not node.args:
                return V.derived(base)  # `email.lower()`: the same value, respelled
            return unverified(V.derived(base)) if base.origin == "principal" else V.derived(base)
        if isinstance(node, cst.BooleanOperation) and _or_empty(node):
            return self._peek(node.left, env)  # `result.data or []`: those rows, or none
        return V.TOP

    def _mark_ownership_checked(self, ref: str) -> None:
        index = int(ref[1:])
        if ref[0] == "q" and index < len(self.queries):
            query = self.queries[index]
            # The first check counts: the queries emitted before it did not wait for it.
            since = query.checked_from if query.ownership_checked else len(self.queries)
            self.queries[index] = replace(query, ownership_checked=True, checked_from=since)
        elif ref[0] == "h" and index < len(self.helper_calls):
            self.helper_calls[index] = replace(self.helper_calls[index], ownership_checked=True)


def _unencoded(node: cst.BaseExpression) -> cst.BaseExpression:
    """`x` of `x.encode("utf-8")`: the same secret as bytes, for a hash check."""
    while (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value == "encode"
    ):
        node = node.func.value
    return node
