"""Follow row-level security through a migration history, statement by statement.

The schema replay hands every statement here in migration order (`observe`); `result`
is the final state. Defaults are Supabase's: a new table in `public` is granted to
`anon`, `authenticated` and `service_role`, and a new function is executable by PUBLIC
(and those roles) until a REVOKE says otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from orgscope_lint.rls import statements as st
from orgscope_lint.rls.model import (
    Function,
    Location,
    Policy,
    Problem,
    RlsModel,
    TableRls,
    View,
    Weakening,
)

_SUPABASE_ROLES = ("anon", "authenticated", "service_role")
# A name after FROM or JOIN followed by `(` is a function (`FROM generate_series(...)`);
# after INTO it is a table and its column list (`INSERT INTO calls (org_id) ...`). The
# name is taken whole: backing off a letter to escape the `(` check made `calls` `call`.
_RELATION = re.compile(
    r"""\b(?:(?P<reader>FROM|JOIN)|UPDATE|INTO)\s+(?:ONLY\s+)?
        (?P<name>(?:"[^"]+"|[A-Za-z_][\w$]*)(?:\s*\.\s*(?:"[^"]+"|[A-Za-z_][\w$]*))?)
        (?![\w$"])(?(reader)(?!\s*\())""",
    re.IGNORECASE | re.VERBOSE,
)
_SET_CONFIG = re.compile(r"set_config\s*\(\s*'(?P<name>[^']+)'", re.IGNORECASE)


@dataclass
class _Table:
    created: Location | None
    columns: dict[str, bool] = field(default_factory=dict)  # name -> NOT NULL
    columns_known: bool = True
    enabled: bool | None = False
    forced: bool | None = False
    switched: Location | None = None
    policies: dict[str, Policy] = field(default_factory=dict)
    grants: dict[str, set[str]] = field(default_factory=dict)
    # role -> privilege -> columns: column privileges, apart from the table-level ones.
    column_grants: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    renamed: dict[str, tuple[str, Location]] = field(default_factory=dict)
    unique: set[str] = field(default_factory=set)  # columns no two rows share a value of


@dataclass
class _View:
    query: str
    invoker: bool
    materialized: bool
    location: Location
    grants: dict[str, set[str]]


@dataclass
class _Function:
    definer: bool
    body: str
    location: Location
    executable_by: set[str]
    trigger: bool = False
    returns: str = ""
    language: str = ""
    params: tuple[str, ...] = ()


class RlsReplay:
    def __init__(self) -> None:
        self.tables: dict[str, _Table] = {}
        self.views: dict[str, _View] = {}
        self.functions: dict[str, _Function] = {}
        self.enums: set[str] = set()
        self.weakenings: list[Weakening] = []
        self.problems: list[Problem] = []
        self.unknown: list[Problem] = []
        # Privileges new objects get (ALTER DEFAULT PRIVILEGES changes them).
        self.table_defaults: dict[str, set[str]] = {
            role: set(st.TABLE_PRIVILEGE_SET) for role in _SUPABASE_ROLES
        }
        self.function_defaults: set[str] = {"public", *_SUPABASE_ROLES}
        self.uses_rls = False

    def observe(self, statement: str, source: str, line: int) -> None:
        where = Location(source, line)
        try:
            operations = st.read_statement(statement)
        except Exception:  # a reader bug on odd input costs one statement, never the run
            operations = [st.Unreadable("cannot read this statement")]
        for operation in operations:
            self._apply(operation, where)

    # --- applying -----------------------------------------------------------------------

    def _apply(self, op: st.Operation, where: Location) -> None:
        if _shows_rls(op):
            self.uses_rls = True
        handler = getattr(self, "_" + type(op).__name__)
        handler(op, where)

    def _CreateTable(self, op: st.CreateTable, where: Location) -> None:
        if op.if_not_exists and op.table in self.tables:
            return
        table = _Table(created=where, columns_known=op.columns_known)
        for parent in op.copies:
            if parent in self.tables:
                table.columns.update(self.tables[parent].columns)
        for column in op.columns:
            table.columns[column.name] = column.not_null
            if column.unique:
                table.unique.add(column.name)
        table.grants = {role: set(privs) for role, privs in self.table_defaults.items()}
        self.tables[op.table] = table

    def _table(self, name: str, where: Location) -> _Table:
        # A table no migration created was made elsewhere (a dashboard, an older dump).
        if name not in self.tables:
            self.tables[name] = _Table(created=None, columns_known=False)
        return self.tables[name]

    def _AlterTable(self, op: st.AlterTable, where: Location) -> None:
        name = op.table
        if name in self.views and name not in self.tables:
            return  # ALTER TABLE works on views too; nothing here is RLS for them
        if op.if_exists and name not in self.tables:
            return
        table = self._table(name, where)
        for action in op.actions:
            kind = action[0]
            if kind == "rls":
                table.enabled, table.switched = bool(action[1]), where
            elif kind == "force":
                table.forced = bool(action[1])
            elif kind == "add":
                column = action[1]
                assert isinstance(column, st.Column)
                if column.name not in table.columns and column.unique:
                    table.unique.add(column.name)
                table.columns.setdefault(column.name, column.not_null)
                table.renamed.pop(column.name, None)  # the old name is back
            elif kind == "drop":
                self._drop_column(name, table, str(action[1]), bool(action[2]), where)
            elif kind == "rename":
                self._rename_column(name, table, str(action[1]), str(action[2]), where)
            elif kind == "not_null":
                column_name, not_null = str(action[1]), bool(action[2])
                if not not_null and table.columns.get(column_name):
                    self._weaken(name, table, column_name, "nullable", None, where)
                if column_name in table.columns or not table.columns_known:
                    table.columns[column_name] = not_null
            elif kind == "rename_table":
                new = str(action[1])
                self.tables[new] = self.tables.pop(name)
                for policy_name, policy in list(table.policies.items()):
                    table.policies[policy_name] = _replace(policy, table=new)
                name = new

    def _weaken(
        self, name: str, table: _Table, column: str, kind: str, new: str | None, where: Location
    ) -> None:
        users = tuple(p.name for p in table.policies.values() if _mentions(p, column))
        self.weakenings.append(Weakening(name, column, kind, new, users, where))

    def _drop_column(
        self, name: str, table: _Table, column: str, cascade: bool, where: Location
    ) -> None:
        self._weaken(name, table, column, "drop", None, where)
        table.columns.pop(column, None)
        table.unique.discard(column)
        for by_privilege in table.column_grants.values():
            for columns in by_privilege.values():
                columns.discard(column)
        if cascade:  # the policies that used the column go with it
            table.policies = {
                key: p for key, p in table.policies.items() if not _mentions(p, column)
            }

    def _rename_column(self, name: str, table: _Table, old: str, new: str, where: Location) -> None:
        self._weaken(name, table, old, "rename", new, where)
        if old in table.columns:
            table.columns[new] = table.columns.pop(old)
        if old in table.unique:  # the constraint follows the column
            table.unique.discard(old)
            table.unique.add(new)
        _follow_rename(table, old, new, where)
        # PostgreSQL stores policies by column number: they follow the rename.
        for key, policy in list(table.policies.items()):
            table.policies[key] = _replace(
                policy,
                using=_rename_word(policy.using, old, new),
                check=_rename_word(policy.check, old, new),
            )

    def _DropTables(self, op: st.DropTables, where: Location) -> None:
        for name in op.tables:
            self.tables.pop(name, None)

    def _CreatePolicy(self, op: st.CreatePolicy, where: Location) -> None:
        table = self._table(op.table, where)
        table.policies[op.name] = Policy(
            op.name, op.table, op.command, op.roles, op.permissive, op.using, op.check, where
        )

    def _AlterPolicy(self, op: st.AlterPolicy, where: Location) -> None:
        table = self.tables.get(op.table)
        policy = table.policies.get(op.name) if table else None
        if table is None or policy is None:
            return
        if op.rename_to is not None:
            del table.policies[op.name]
            table.policies[op.rename_to] = _replace(policy, name=op.rename_to, location=where)
            return
        table.policies[op.name] = _replace(
            policy,
            roles=op.roles if op.roles is not None else policy.roles,
            using=op.using if op.using is not None else policy.using,
            check=op.check if op.check is not None else policy.check,
            location=where,
        )

    def _DropPolicy(self, op: st.DropPolicy, where: Location) -> None:
        table = self.tables.get(op.table)
        if table is not None:
            table.policies.pop(op.name, None)

    def _Privileges(self, op: st.Privileges, where: Location) -> None:
        if op.default:
            if op.kind == "table":
                for role in op.roles:
                    held = self.table_defaults.setdefault(role, set())
                    if op.grant:
                        held |= op.privileges
                    else:
                        held -= op.privileges
            elif "EXECUTE" in op.privileges:
                change = set.update if op.grant else set.difference_update
                change(self.function_defaults, op.roles)
            return
        if op.kind == "function":
            targets = list(self.functions) if op.every_object else op.objects
            for name in targets:
                function = self.functions.get(name)
                if function is not None and "EXECUTE" in op.privileges:
                    change = set.update if op.grant else set.difference_update
                    change(function.executable_by, op.roles)
            return
        names = [*self.tables, *self.views] if op.every_object else list(op.objects)
        for name in names:
            if name in self.tables:
                _column_privileges(self.tables[name], op)
            grants = (
                self.views[name].grants
                if name in self.views
                else self.tables[name].grants
                if name in self.tables
                else None
            )
            if grants is None:
                continue
            for role in op.roles:
                held = grants.setdefault(role, set())
                if op.grant:
                    held |= op.privileges
                else:
                    held -= op.privileges

    def _CreateView(self, op: st.CreateView, where: Location) -> None:
        existing = self.views.get(op.name)
        grants = (
            existing.grants
            if existing is not None
            else {role: set(privs) for role, privs in self.table_defaults.items()}
        )
        self.views[op.name] = _View(op.query, op.security_invoker, op.materialized, where, grants)

    def _AlterView(self, op: st.AlterView, where: Location) -> None:
        view = self.views.get(op.name)
        if view is None:
            return
        if op.rename_to is not None:
            self.views[op.rename_to] = self.views.pop(op.name)
        elif op.security_invoker is not None:
            view.invoker, view.location = op.security_invoker, where

    def _DropViews(self, op: st.DropViews, where: Location) -> None:
        for name in op.names:
            self.views.pop(name, None)

    def _CreateFunction(self, op: st.CreateFunction, where: Location) -> None:
        existing = self.functions.get(op.name)
        executable = existing.executable_by if existing else set(self.function_defaults)
        self.functions[op.name] = _Function(
            op.security_definer,
            op.body,
            where,
            executable,
            op.trigger,
            op.returns,
            op.language,
            op.params,
        )

    def _CreateEnum(self, op: st.CreateEnum, where: Location) -> None:
        self.enums.add(op.name)

    def _AlterFunction(self, op: st.AlterFunction, where: Location) -> None:
        function = self.functions.get(op.name)
        if function is not None and op.security_definer is not None:
            function.definer, function.location = op.security_definer, where

    def _DropFunctions(self, op: st.DropFunctions, where: Location) -> None:
        for name in op.names:
            self.functions.pop(name, None)

    def _Unknown(self, op: st.Unknown, where: Location) -> None:
        self.unknown.append(Problem(where, op.reason))
        for name, table in self.tables.items():
            if not op.tables or name in op.tables:
                table.enabled = table.forced = None

    def _Unreadable(self, op: st.Unreadable, where: Location) -> None:
        self.problems.append(Problem(where, op.message))

    # --- the final state ----------------------------------------------------------------

    def result(self) -> RlsModel:
        """The final state, with the columns the caller may write found (they depend on
        nothing else, and the schema cache keeps them with it)."""
        from orgscope_lint.rls.writable import with_writable

        model = RlsModel(
            tables={name: self._table_result(name, t) for name, t in sorted(self.tables.items())},
            views={
                name: View(
                    name,
                    v.query,
                    relations(v.query),
                    v.invoker,
                    v.materialized,
                    v.location,
                    _frozen_grants(v.grants),
                )
                for name, v in sorted(self.views.items())
            },
            functions={
                name: Function(
                    name,
                    f.definer,
                    f.body,
                    relations(f.body),
                    tuple(m.group("name").lower() for m in _SET_CONFIG.finditer(f.body)),
                    frozenset(f.executable_by),
                    f.location,
                    f.trigger,
                    f.returns,
                    f.language,
                    f.params,
                )
                for name, f in sorted(self.functions.items())
            },
            weakenings=tuple(self.weakenings),
            problems=tuple(self.problems),
            unknown=tuple(self.unknown),
            uses_rls=self.uses_rls,
            enums=frozenset(self.enums),
        )
        return with_writable(model)

    @staticmethod
    def _table_result(name: str, table: _Table) -> TableRls:
        return TableRls(
            name=name,
            enabled=table.enabled,
            forced=table.forced,
            switched=table.switched,
            created=table.created,
            policies=tuple(p for _, p in sorted(table.policies.items())),
            grants=_frozen_grants(table.grants),
            columns=tuple(table.columns),
            not_null=frozenset(c for c, nn in table.columns.items() if nn),
            unique=frozenset(c for c in table.unique if c in table.columns),
            columns_known=table.columns_known,
            column_grants={
                role: {p: frozenset(cs) for p, cs in sorted(by.items()) if cs}
                for role, by in sorted(table.column_grants.items())
                if any(by.values())
            },
            renamed={
                old: (new, where)
                for old, (new, where) in table.renamed.items()
                if old not in table.columns
            },
        )


def _column_privileges(table: _Table, op: st.Privileges) -> None:
    """Column privileges live beside the table's: a column REVOKE leaves a table-level
    privilege in place, and a table-level REVOKE takes the column ones with it."""
    for role in op.roles:
        held = table.column_grants.setdefault(role, {})
        if not op.grant:
            for privilege in op.privileges:
                held.pop(privilege, None)
        for privilege, columns in op.columns:
            current = held.setdefault(privilege, set())
            if op.grant:
                current.update(columns)
            else:
                current.difference_update(columns)


def _follow_rename(table: _Table, old: str, new: str, where: Location) -> None:
    """PostgreSQL keeps column privileges by column number; the old name is remembered
    until a column by that name exists again (a rename back, an ADD COLUMN)."""
    for by_privilege in table.column_grants.values():
        for columns in by_privilege.values():
            if old in columns:
                columns.discard(old)
                columns.add(new)
    for earlier, (now, at) in list(table.renamed.items()):
        if now == old:
            table.renamed[earlier] = (new, at)
    table.renamed.pop(new, None)
    table.renamed[old] = (new, where)


def _shows_rls(op: st.Operation) -> bool:
    if isinstance(op, (st.CreatePolicy, st.AlterPolicy, st.Unknown)):
        return True
    if isinstance(op, st.AlterTable):
        return any(action[0] in ("rls", "force") for action in op.actions)
    if isinstance(op, st.Privileges):
        return bool(set(op.roles) & set(_SUPABASE_ROLES))
    return False


def relations(sql: str) -> tuple[str, ...]:
    """The tables a query or function body reads or writes, by name."""
    from orgscope_lint.schema import _unqualify

    found = dict.fromkeys(_unqualify(m.group("name")) for m in _RELATION.finditer(sql))
    return tuple(found)


def _frozen_grants(grants: dict[str, set[str]]) -> dict[str, frozenset[str]]:
    return {role: frozenset(privs) for role, privs in sorted(grants.items()) if privs}


def _mentions(policy: Policy, column: str) -> bool:
    pattern = re.compile(rf"(?<![\w$]){re.escape(column)}(?![\w$])", re.IGNORECASE)
    return any(pattern.search(text) for text in (policy.using, policy.check) if text)


def _rename_word(text: str | None, old: str, new: str) -> str | None:
    if text is None:
        return None
    # Only outside string literals: `'clerk_org_id'` as a JSON key is not the column.
    pieces = re.split(r"('(?:[^']|'')*')", text)
    pattern = re.compile(rf"(?<![\w$'\"]){re.escape(old)}(?![\w$])", re.IGNORECASE)
    return "".join(piece if piece.startswith("'") else pattern.sub(new, piece) for piece in pieces)


def _replace(policy: Policy, **changes: object) -> Policy:
    from dataclasses import replace

    return replace(policy, **changes)  # type: ignore[arg-type]
