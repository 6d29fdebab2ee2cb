"""Columns the caller may write: where a policy that reads its tenant id from another
table (`org_id = (select org_id from profiles where id = auth.uid())`) stops scoping.

A signed-in user who may set `profiles.org_id` on their own row sets it to another
tenant's id, and every policy that trusts that column then shows them that tenant's
rows. A column is writable by the caller when the API roles (`anon`, `authenticated`,
PUBLIC) hold UPDATE or INSERT on it, table-wide or on that column, and either
row-level security is off on its table or a permissive policy for those roles lets
them write a row without pinning the column (its `WITH CHECK`, or for an UPDATE policy
without one its `USING`, does not tie the column to the caller's identity), with no
restrictive policy pinning it. A primary key or a unique column is not: the caller
may pick the value of a row they write, but never one another row already holds, so a
subquery selecting it (`project_id in (select id from projects where org_id = ...)`)
still names only rows its filter admits. Whatever this cannot judge (RLS state unknown after
dynamic SQL, a table no migration created, an expression it cannot read) counts as
not writable: the policy reading the column is then trusted, never guessed about.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from orgscope_lint.rls.model import Policy, RlsModel, TableRls, Writer
from orgscope_lint.rls.policies import (
    Context,
    Scope,
    caller_settings,
    expression_sources,
    judge,
    staff_gates,
)

if TYPE_CHECKING:
    from orgscope_lint.config import Config

_WRITES = ("UPDATE", "INSERT")
_CALLERS = ("anon", "authenticated")
# What a write policy's check leaves the column: anything, or a value the caller picks.
_FREE = (Scope.NONE, Scope.CALLER)


def model_context(
    model: RlsModel, key: str, legacy: frozenset[str], owners: frozenset[str]
) -> Context:
    """How policies are judged for a table scoped by `key` in this history."""
    writable = frozenset(caller_writable(model))
    return Context(key, legacy, owners, caller_settings(model), writable, caller_rows=True)


def config_context(model: RlsModel, key: str, config: Config) -> Context:
    """`model_context` with the configured legacy keys (other than `key`) and owner keys."""
    legacy = frozenset(k for k in config.legacy_keys if k != key)
    return model_context(model, key, legacy, frozenset(config.owner_keys))


def with_writable(model: RlsModel) -> RlsModel:
    """The model with its caller-writable columns found: what the replay returns."""
    return replace(model, writable=find_writable(model))


def caller_writable(model: RlsModel) -> Mapping[tuple[str, str], Writer]:
    """The columns some policy reads a tenant id from that the caller may write."""
    if model.writable is not None:
        return model.writable
    return find_writable(model)  # a model built by hand, not by the replay


def find_writable(model: RlsModel) -> dict[tuple[str, str], Writer]:
    """The columns policies read from other rows: tenant ids, and the role of a
    platform-staff gate (`policies.staff_gates`: staff the caller may make themselves)."""
    candidates = {
        pair
        for table in model.tables.values()
        for policy in table.policies
        for text in (policy.using, policy.check)
        if text is not None and "select" in text.lower()
        for pair in (*expression_sources(text, None), *staff_gates(text))
    }
    found = {}
    for table, column in sorted(candidates):
        writer = column_writer(model, table, column)
        if writer is not None:
            found[(table, column)] = writer
    return found


def column_writer(model: RlsModel, name: str, column: str) -> Writer | None:
    table = model.tables.get(name)
    if table is None or table.enabled is None or table.created is None:
        return None  # RLS or grants this replay cannot know
    if table.columns_known and column not in table.columns:
        return None
    if column in table.unique:
        return None  # a new value, never one another row holds: it names only own rows
    context = Context(column, frozenset(), frozenset(), caller_settings(model))
    for command in _WRITES:
        roles = {r for r in _CALLERS if table.roles_holding(command, column, (r, "public"))}
        if not roles:
            continue
        if table.enabled is False:
            how = f"row-level security is off on `{name}` and the API roles hold {command}"
            return Writer(name, column, how, table.switched or table.created)
        writer = _policy_writer(table, command, column, roles, context)
        if writer is not None:
            return writer
    return None


def _policy_writer(
    table: TableRls, command: str, column: str, roles: set[str], context: Context
) -> Writer | None:
    policies = [
        p
        for p in table.policies
        if p.covers(command) and ("public" in p.roles or roles & set(p.roles))
    ]
    if any(not p.permissive and _check_scope(p, context) not in _FREE for p in policies):
        return None  # a restrictive policy pins it (or cannot be judged)
    for policy in policies:
        free = _check_scope(policy, context) in _FREE
        if policy.permissive and free and _admits_rows(policy, command):
            how = f"policy `{policy.name}` lets the caller {command.lower()} `{table.name}`"
            return Writer(table.name, column, how, policy.location)
    return None


def _check_scope(policy: Policy, context: Context) -> Scope:
    """What the new row's column is held to: `WITH CHECK`, or `USING` in its absence
    (PostgreSQL checks new rows against `USING` when a policy has no `WITH CHECK`)."""
    text = policy.check if policy.check is not None else policy.using
    if text is None:
        return Scope.NONE  # no expression: every row passes
    return judge(text, context)


def _admits_rows(policy: Policy, command: str) -> bool:
    """An UPDATE policy `USING (false)` lets no existing row be changed."""
    if command != "UPDATE" or policy.using is None:
        return True
    return policy.using.strip().strip("()").strip().lower() != "false"
