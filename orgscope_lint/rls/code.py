"""What the database's own row-level security says about a query the code makes.

A query through a client that respects RLS (a DB class not in `rls-bypass-classes`, or a
query-builder client listed in `rls-clients`) on a table whose final
policies scope the operation by the tenant key cannot leak across tenants: its missing
filter is defence in depth, a warning naming the policy. Through a client that bypasses
RLS the error stays, and says that the policy does not apply.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from orgscope_lint.facts import Query
from orgscope_lint.project import Project
from orgscope_lint.rls.policies import CommandScope, Scope, table_scope
from orgscope_lint.rls.writable import config_context

_COMMANDS = {"read": "SELECT", "count": "SELECT", "update": "UPDATE", "delete": "DELETE"}
# A builder client by one of these names is taken to hold the service-role key.
_PRIVILEGED = re.compile(r"admin|service|root|system|superuser", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Protection:
    bypassed: bool  # the client skips RLS: the policy does not apply
    note: str


def protection(query: Query, project: Project) -> Protection | None:
    """How the table's final RLS state bears on `query`, or None when it does not."""
    model = project.schema.rls
    key = project.key_for(query.table)
    table = model.tables.get(query.table) if model is not None else None
    if table is None or key is None or table.enabled is not True or model is None:
        return None
    context = config_context(model, key, project.config)
    command = _COMMANDS.get(query.operation, "INSERT")
    scope = table_scope(table, command, context)
    if scope.scope is not Scope.SCOPED:
        return None
    if project.bypasses_rls(query.receiver_class) or _privileged_builder(query):
        what = f"`{scope.policies[0].name}`" if scope.policies else "row-level security"
        return Protection(
            True, f"; {what} on `{table.name}` does not apply: this client bypasses RLS"
        )
    if _unknown_builder(query, project):
        what = f"`{scope.policies[0].name}`" if scope.policies else "row-level security"
        return Protection(
            True,
            f"; {what} on `{table.name}` applies only if `{query.receiver}` carries the "
            "user's token (list it in `rls-clients`)",
        )
    if not _respects_rls(query, project):
        return None
    return Protection(False, _defence_note(table.name, command, key, scope))


def _respects_rls(query: Query, project: Project) -> bool:
    if query.receiver_class is not None:
        return query.receiver_class in project.config.db_classes
    return query.style == "query-builder" and query.receiver in project.config.rls_clients


def _unknown_builder(query: Query, project: Project) -> bool:
    """A builder client nobody declared: most server code holds the service-role key,
    so the policy is named but the error stays."""
    return (
        query.style == "query-builder"
        and query.receiver_class is None
        and query.receiver not in project.config.rls_clients
    )


def _privileged_builder(query: Query) -> bool:
    return query.style == "query-builder" and bool(_PRIVILEGED.search(query.receiver))


def _defence_note(table: str, command: str, key: str, scope: CommandScope) -> str:
    if not scope.policies:
        return (
            f"; row-level security on `{table}` lets the API roles {command.lower()} no row: "
            "defence in depth"
        )
    policy = scope.policies[0]
    where = f"{policy.location.source}:{policy.location.line}"
    return (
        f"; policy `{policy.name}` ({where}) scopes {command.lower()} on `{table}` by "
        f"`{key}`: defence in depth"
    )
