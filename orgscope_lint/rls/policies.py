"""What a policy scopes rows by: the tenant key, an owner column, a legacy key, nothing.

A policy expression is parsed with sqlglot and judged bottom-up: `AND` is as strong as
its strongest side (one scoping conjunct scopes the rows), `OR` as weak as its weakest
(a disjunct that lets every row through lets every row through). `key = <value>` scopes
when the value comes from the authenticated identity (a function such as `auth.jwt()`,
`auth.uid()`, a membership subquery) and not from something the caller writes
(`user_metadata`, request headers, a setting a callable function sets, a column of
another table the caller may write: `rls/writable.py`).
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from orgscope_lint.rls.model import Policy, RlsModel, TableRls

if TYPE_CHECKING:
    from sqlglot import exp


class Scope(enum.IntEnum):
    """Ordered from weakest to strongest."""

    NONE = 0  # every row of every tenant passes
    CALLER = 1  # scoped by a tenant id the caller chooses
    LEGACY = 2  # scoped by a legacy key
    UNKNOWN = 3  # an expression this module cannot judge
    SCOPED = 4  # the tenant key (or the caller's own rows) against the identity


@dataclass(frozen=True, slots=True)
class Context:
    key: str
    legacy: frozenset[str]
    owners: frozenset[str]
    # Session settings a function the API roles may call sets: caller-controlled.
    caller_settings: frozenset[str]
    # Columns (table, column) the API roles may set on some row: a subquery that takes
    # the tenant id from one of them takes it from the caller.
    writable: frozenset[tuple[str, str]] = frozenset()
    # Judging a read: a row its flag shares with everyone (`is_public`, `is_system_role
    # = true`) is anyone's to read, as on the code's side (`guards.is_public_column`).
    reading: bool = False
    # Judging whom a policy admits (not which column a check pins): a row compared with
    # the caller's own id (`auth.uid() = auth_user_id`, or linked to the caller's own
    # row by an `exists` subquery) is the caller's, narrower than the tenant.
    caller_rows: bool = False


COMMANDS = ("SELECT", "INSERT", "UPDATE", "DELETE")
_CALLER_TEXT = re.compile(r"user_metadata|raw_user_meta_data|request\.headers", re.IGNORECASE)
# `current_setting('app.org')`, also as sqlglot prints PostgreSQL's `'app.org'::text`.
_SETTING = re.compile(r"current_setting\s*\(\s*(?:CAST\s*\(\s*)?'(?P<name>[^']+)'", re.IGNORECASE)


def caller_settings(model: RlsModel) -> frozenset[str]:
    return frozenset(
        setting
        for function in model.functions.values()
        if function.callable_by_api()
        for setting in function.settings_set
    )


def judge_policy(policy: Policy, context: Context, commands: Iterable[str] = COMMANDS) -> Scope:
    """The weakest scope the policy gives any command it covers."""
    scopes = [
        judge_command(policy, command, context) for command in commands if policy.covers(command)
    ]
    return min(scopes, default=Scope.UNKNOWN)


def judge_command(policy: Policy, command: str, context: Context) -> Scope:
    """Which rows the command may see (`USING`) and write (`WITH CHECK`, or `USING` in
    its absence). A written row that is the caller's own may still carry any tenant: the
    caller's own rows narrow what is seen, never what is written."""
    judged: list[tuple[str, Context]] = []
    if command in ("SELECT", "UPDATE", "DELETE") and policy.using is not None:
        seen = replace(context, reading=True) if command == "SELECT" else context
        judged.append((policy.using, seen))
    if command in ("INSERT", "UPDATE"):
        written = policy.check if policy.check is not None else policy.using
        if written is not None:
            judged.append((written, replace(context, caller_rows=False)))
    if not judged:
        return Scope.UNKNOWN
    return min(judge(expression, how) for expression, how in judged)


@dataclass(frozen=True, slots=True)
class CommandScope:
    scope: Scope
    policies: tuple[Policy, ...]  # the policies that decide it


def table_scope(table: TableRls, command: str, context: Context) -> CommandScope:
    """What the table's policies scope `command` by for the API roles (RLS assumed on).

    Permissive policies are ORed, restrictive ones ANDed with them; with no permissive
    policy the API roles see no row at all, which is as scoped as it gets.
    """
    applicable = [p for p in table.policies if p.applies_to_api() and p.covers(command)]
    permissive = [p for p in applicable if p.permissive]
    if not permissive:
        return CommandScope(Scope.SCOPED, ())
    for policy in applicable:
        if not policy.permissive and judge_command(policy, command, context) is Scope.SCOPED:
            return CommandScope(Scope.SCOPED, (policy,))
    judged = [(judge_command(p, command, context), p) for p in permissive]
    weakest = min(scope for scope, _ in judged)
    return CommandScope(weakest, tuple(p for scope, p in judged if scope is weakest))


# Judgements carried over from earlier runs (`remember`, `judgements`): one depends on
# the expression and the context alone, and parsing it with sqlglot (and importing
# sqlglot) costs more than every other check of a warm partial run. Keyed by
# `_memo_key`, plain data a cache entry can hold; values are `Scope` values.
JudgementKey = tuple[
    str,
    str,
    tuple[str, ...],
    tuple[str, ...],
    tuple[str, ...],
    tuple[tuple[str, str], ...],
    bool,
    bool,
]
_judged: dict[JudgementKey, int] = {}


def judge(expression: str, context: Context) -> Scope:
    key = _memo_key(expression, context)
    known = _judged.get(key)
    if known is None:
        known = _judged[key] = int(_judge_text(expression, context))
    return Scope(known)


def remember(judgements: dict[JudgementKey, int]) -> None:
    """Take over judgements an earlier run made (read back from the cache)."""
    _judged.update(judgements)


def judgements() -> dict[JudgementKey, int]:
    """Every judgement known to this process, for the next run."""
    return dict(_judged)


def _memo_key(expression: str, context: Context) -> JudgementKey:
    return (
        expression,
        context.key,
        tuple(sorted(context.legacy)),
        tuple(sorted(context.owners)),
        tuple(sorted(context.caller_settings)),
        tuple(sorted(context.writable)),  # every field of the context decides a judgement
        context.reading,
        context.caller_rows,
    )


def _judge_text(expression: str, context: Context) -> Scope:
    tree = _parse(expression)
    if tree is None:
        return Scope.UNKNOWN
    return _judge(tree, context)


@functools.lru_cache(maxsize=4096)  # the trees are only read, never changed
def _parse(expression: str) -> exp.Expression | None:
    import sqlglot
    from sqlglot.errors import ErrorLevel

    try:
        return sqlglot.parse_one(expression, read="postgres", error_level=ErrorLevel.RAISE)
    except Exception:  # sqlglot on arbitrary text: any failure is "cannot judge"
        return None


def _judge(node: exp.Expression, context: Context) -> Scope:
    from sqlglot import exp

    while isinstance(node, (exp.Paren, exp.Cast)):
        node = node.this
    if isinstance(node, exp.Boolean) and not node.this:
        return Scope.SCOPED  # `USING (false)`: no row passes, for anyone
    if context.reading and _sharing_flag(node):
        return Scope.SCOPED  # rows shared with every tenant on purpose
    if context.caller_rows and _caller_rows(node, context):
        return Scope.SCOPED  # the caller's own rows: narrower than the tenant
    if _platform_staff_only(node, context):
        return Scope.SCOPED  # the platform's own staff, no tenant's caller
    if isinstance(node, exp.And):
        return max(_judge(node.left, context), _judge(node.right, context))
    if isinstance(node, exp.Or):
        return min(_judge(node.left, context), _judge(node.right, context))
    if isinstance(node, (exp.EQ, exp.NullSafeEQ)):
        if _admits_no_api_role(node):
            return Scope.SCOPED  # `auth.role() = 'service_role'`: no API request passes
        for column, value in ((node.left, node.right), (node.right, node.left)):
            judged = _comparison(column, value, context)
            if judged is not None:
                return judged
    if isinstance(node, exp.In):
        value = node.args.get("query") or exp.Tuple(expressions=node.expressions)
        judged = _comparison(node.this, value, context)
        if judged is not None:
            return judged
    return _opaque(node, context)


# The requesting role, as Supabase policies read it: `auth.role()`, the JWT's `role`
# claim (`auth.jwt() ->> 'role'`, from `request.jwt.claims`), or the session's role.
_ROLE_OF_CALLER = re.compile(
    r"^(?:auth\.role\(\)|current_user|current_role|session_user)$"
    r"|->>\s*'role'$",
    re.IGNORECASE,
)


def _admits_no_api_role(node: exp.EQ | exp.NullSafeEQ) -> bool:
    """The caller's role compared with a role no API request runs as (`'service_role'`,
    `'postgres'`): the policy admits none of the API roles' requests."""
    from sqlglot import exp

    from orgscope_lint.rls.model import API_ROLES

    for role, literal in ((node.left, node.right), (node.right, node.left)):
        while isinstance(literal, (exp.Paren, exp.Cast)):
            literal = literal.this
        while isinstance(role, (exp.Paren, exp.Cast)):
            role = role.this
        if not (isinstance(literal, exp.Literal) and literal.is_string):
            continue
        if literal.this.lower() not in API_ROLES and _ROLE_OF_CALLER.search(
            role.sql(dialect="postgres").strip()
        ):
            return True
    return False


def _sharing_flag(node: exp.Expression) -> bool:
    """`is_public`, `is_system_role = true`, `visibility = 'public'`: the row's own flag
    sharing it with everyone."""
    from sqlglot import exp

    from orgscope_lint.analysis.guards import PUBLIC, is_public_column

    if isinstance(node, (exp.EQ, exp.Is)):
        column, value = node.left, node.right
        if isinstance(column, (exp.Boolean, exp.Literal)):
            column, value = value, column
        name = _column_name(column)
        if isinstance(value, exp.Boolean) and value.this:
            return name is not None and is_public_column(name)
        return isinstance(value, exp.Literal) and value.is_string and value.this == PUBLIC
    name = _column_name(node)
    return name is not None and is_public_column(name)


_CALLER_ID = frozenset({"auth.uid()", "(selectauth.uid())"})


def _is_caller_id(node: exp.Expression) -> bool:
    """`auth.uid()` (or `(select auth.uid())`): the signed-in user's own id."""
    return node.sql(dialect="postgres").replace(" ", "").lower() in _CALLER_ID


def _caller_rows(node: exp.Expression, context: Context) -> bool:
    """`owner_col = auth.uid()`, or `exists (select 1 from users u where u.auth_user_id =
    auth.uid() and u.id = conversations.participant_id)`: the row is the caller's own,
    or linked to the caller's own row by one of its columns, one the caller cannot
    rewrite (`context.writable`: a link the caller sets links to anything)."""
    from sqlglot import exp

    if isinstance(node, exp.EQ):
        return _pins_caller(node)
    if not isinstance(node, exp.Exists) or not isinstance(node.this, exp.Select):
        return False
    select = node.this
    where = select.args.get("where")
    inner = {t.alias_or_name.lower(): t.name.lower() for t in select.find_all(exp.Table)}
    if where is None or not inner:
        return False
    pinned = linked = False
    for part in _conjuncts(where.this):
        if not isinstance(part, exp.EQ):
            continue
        left, right = part.left, part.right
        if _pins_caller(part):
            pinned = True
        elif isinstance(left, exp.Column) and isinstance(right, exp.Column):
            linked = linked or _fixed_link(left, right, inner, context)
    return pinned and linked


def _platform_staff_only(node: exp.Expression, context: Context) -> bool:
    """A platform-staff gate (`_staff_gate`) on a column the caller cannot set: as on
    the code's side, no tenant's caller passes."""
    gate = _staff_gate(node)
    return gate is not None and gate not in context.writable


def staff_gates(expression: str) -> list[tuple[str, str]]:
    """The (table, column) of every platform-staff gate in a policy expression."""
    from sqlglot import exp

    node = _parse(expression)
    if node is None:
        return []
    gates = (_staff_gate(found) for found in node.find_all(exp.Exists))
    return sorted({gate for gate in gates if gate is not None})


def _staff_gate(node: exp.Expression) -> tuple[str, str] | None:
    """`exists (select 1 from users where auth_user_id = auth.uid() and role =
    'super-admin')`: the caller's own row holds a role named for the platform's staff
    (`analysis/system_context.is_platform_word`; `org_admin` is a tenant's). The table
    and the column holding that role."""
    from sqlglot import exp

    if not isinstance(node, exp.Exists) or not isinstance(node.this, exp.Select):
        return None
    select = node.this
    where = select.args.get("where")
    tables = [t.name.lower() for t in select.find_all(exp.Table)]
    if where is None or len(tables) != 1:
        return None
    parts = _conjuncts(where.this)
    if not any(isinstance(part, exp.EQ) and _pins_caller(part) for part in parts):
        return None
    columns = (_platform_role_column(part) for part in parts)
    column = next((column for column in columns if column is not None), None)
    return (tables[0], column) if column is not None else None


def _platform_role_column(node: exp.Expression) -> str | None:
    """The column of `role = 'super_admin'`, `role in ('superadmin', 'platform_admin')`,
    `is_super_admin = true` or a bare `is_superuser`: a platform role the row holds."""
    from sqlglot import exp

    from orgscope_lint.analysis.system_context import is_platform_word

    if isinstance(node, exp.EQ):
        for column, value in ((node.left, node.right), (node.right, node.left)):
            name = _column_name(column)
            if name is None:
                continue
            if isinstance(value, exp.Literal) and value.is_string and is_platform_word(value.this):
                return name
            if isinstance(value, exp.Boolean) and value.this and is_platform_word(name):
                return name
        return None
    if isinstance(node, exp.In) and node.expressions:
        literals = [e for e in node.expressions if isinstance(e, exp.Literal) and e.is_string]
        platform = len(literals) == len(node.expressions) and all(
            is_platform_word(e.this) for e in literals
        )
        return _column_name(node.this) if platform else None
    name = _column_name(node)
    return name if name is not None and is_platform_word(name) else None


def _pins_caller(node: exp.EQ) -> bool:
    """`column = auth.uid()`, either way round."""
    sides = (node.left, node.right)
    return any(_is_caller_id(a) and _column_name(b) for a, b in (sides, sides[::-1]))


def _fixed_link(
    left: exp.Column, right: exp.Column, inner: dict[str, str], context: Context
) -> bool:
    """One side a column of the subquery's row, the other of the policy's row, and the
    subquery's side not one the caller may write."""
    sides = [(c, c.table.lower()) for c in (left, right)]
    mine = [(c, inner[t]) for c, t in sides if t in inner]
    outer = [c for c, t in sides if t and t not in inner]
    if len(mine) != 1 or len(outer) != 1:
        return False
    column, table = mine[0]
    return (table, column.name.lower()) not in context.writable


def _conjuncts(node: exp.Expression) -> list[exp.Expression]:
    from sqlglot import exp

    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.And):
        return [*_conjuncts(node.left), *_conjuncts(node.right)]
    return [node]


def _column_name(node: exp.Expression) -> str | None:
    from sqlglot import exp

    while isinstance(node, (exp.Paren, exp.Cast)):
        node = node.this
    return node.name.lower() if isinstance(node, exp.Column) else None


def _comparison(column: exp.Expression, value: exp.Expression, context: Context) -> Scope | None:
    name = _column_name(column)
    if name is None:
        return None
    if name == context.key:
        strong = Scope.SCOPED
    elif name in context.legacy:
        strong = Scope.LEGACY
    elif name in context.owners:
        strong = Scope.SCOPED
    else:
        return None
    source = _source(value, context)
    if source == "caller":
        return Scope.CALLER
    return strong if source == "identity" else Scope.NONE


def _source(value: exp.Expression, context: Context) -> str:
    """Where a compared value comes from: "identity", "caller" or "anything"."""
    from sqlglot import exp

    text = value.sql(dialect="postgres")
    if _CALLER_TEXT.search(text) or any(
        m.group("name").lower() in context.caller_settings for m in _SETTING.finditer(text)
    ):
        return "caller"
    if context.writable and tenant_sources(value, context.key) & context.writable:
        return "caller"
    columns = {c.name.lower() for c in value.find_all(exp.Column)}
    # `coalesce(current_setting(...), clerk_org_id)` passes when the setting is unset.
    if context.key in columns and not isinstance(value, (exp.Subquery, exp.Select)):
        return "anything"
    # A call of a function (`auth.uid()`, `requesting_org_id()`) or a subquery; a literal
    # or a column of the row itself is the same for every caller.
    if value.find(exp.Anonymous, exp.Subquery, exp.Select, exp.CurrentUser) is not None:
        return "identity"
    return "anything"


def _opaque(node: exp.Expression, context: Context) -> Scope:
    """An expression that is no comparison of a key: a function of the key column, an
    EXISTS over a membership table, or something that ignores the key altogether."""
    from sqlglot import exp

    columns = {c.name.lower() for c in node.find_all(exp.Column)}
    scoped = {context.key, *context.owners} & columns
    legacy = context.legacy & columns
    if not scoped and not legacy:
        return Scope.NONE
    if _source(node, context) == "caller":
        return Scope.CALLER
    calls = node.find(exp.Anonymous, exp.Dot, exp.Func) is not None
    if isinstance(node, (exp.Exists, exp.Anonymous, exp.Dot, exp.Subquery)) and calls:
        return Scope.SCOPED if scoped else Scope.LEGACY
    return Scope.UNKNOWN


def expression_sources(expression: str, key: str | None) -> set[tuple[str, str]]:
    """`tenant_sources` of a policy expression's text (nothing when it does not parse)."""
    tree = _parse(expression)
    return tenant_sources(tree, key) if tree is not None else set()


def tenant_sources(node: exp.Expression, key: str | None) -> set[tuple[str, str]]:
    """The columns (table, column) the outermost subqueries in `node` (a policy
    expression or part of one) take a tenant id from: the column one selects (`org_id =
    (select org_id from profiles where ...)`), or the inner column it compares with the
    outer row's `key` (`exists (select 1 from members m where m.org_id = calls.org_id
    ...)`). `key` None: compared with any outer column."""
    from sqlglot import exp

    found: set[tuple[str, str]] = set()
    for select in node.find_all(exp.Select):
        if select.parent_select is None:  # a nested one picks rows, not the tenant id
            found |= _select_sources(select, key)
    return found


def _select_sources(select: exp.Select, key: str | None) -> set[tuple[str, str]]:
    from sqlglot import exp

    aliases = _aliases(select)
    if not aliases:
        return set()
    found = {pair for e in select.expressions for pair in _resolve(e.unalias(), aliases)}
    for condition in select.find_all(exp.EQ):
        if condition.parent_select is select:
            found |= _correlated(condition, aliases, key)
    return found


def _aliases(select: exp.Select) -> dict[str, str]:
    """The tables a SELECT reads directly, by the name or alias its columns use. Only
    tables of the migrated schema count: `auth.users` is Supabase's, not a project's."""
    from sqlglot import exp

    return {
        table.alias_or_name.lower(): table.name.lower()
        for table in select.find_all(exp.Table)
        if table.parent_select is select and table.db.lower() in ("", "public")
    }


def _resolve(node: exp.Expression, aliases: dict[str, str]) -> set[tuple[str, str]]:
    from sqlglot import exp

    while isinstance(node, (exp.Paren, exp.Cast)):
        node = node.this
    if not isinstance(node, exp.Column):
        return set()
    qualifier = node.table.lower()
    if qualifier:
        return {(aliases[qualifier], node.name.lower())} if qualifier in aliases else set()
    # Unqualified in a join: any of its tables may hold it (each is checked for it).
    return {(table, node.name.lower()) for table in set(aliases.values())}


def _correlated(
    condition: exp.EQ, aliases: dict[str, str], key: str | None
) -> set[tuple[str, str]]:
    from sqlglot import exp

    found: set[tuple[str, str]] = set()
    for inner, outer in ((condition.left, condition.right), (condition.right, condition.left)):
        if not (isinstance(inner, exp.Column) and isinstance(outer, exp.Column)):
            continue
        # Only an outer column named by its table is surely the policy's row: an
        # unqualified one inside the subquery resolves to the subquery's own tables.
        qualifier = outer.table.lower()
        outside = bool(qualifier) and qualifier not in aliases
        if outside and key in (None, outer.name.lower()):
            found |= _resolve(inner, aliases)
    return found
