"""One line per tenant table on its row-level security, for `--verbose` and `audit`:
on or off (and where that was decided), each policy by command with what it scopes by
and the migration it comes from."""

from __future__ import annotations

from orgscope_lint.project import Project
from orgscope_lint.rls.model import Policy, TableRls
from orgscope_lint.rls.policies import COMMANDS, Context, Scope, judge_policy
from orgscope_lint.rls.writable import config_context

_SCOPE_WORDS = {
    Scope.NONE: "nothing",
    Scope.CALLER: "a caller-controlled value",
    Scope.LEGACY: "a legacy key",
    Scope.UNKNOWN: "?",
}


def rls_summary(table_name: str, project: Project) -> str:
    """`""` when no migration says anything about the table."""
    model = project.schema.rls
    table = model.tables.get(table_name) if model is not None else None
    key = project.key_for(table_name)
    if model is None or table is None or key is None:
        return ""
    context = config_context(model, key, project.config)
    status = _status(table)
    policies = [_policy(policy, context) for policy in _by_command(table.policies)]
    return "; ".join([status, *policies]) if policies else status


def _status(table: TableRls) -> str:
    where = f" ({_at(table.switched.source, table.switched.line)})" if table.switched else ""
    if table.enabled is None:
        return "unknown (dynamic SQL the replay cannot follow)"
    if table.enabled:
        return ("on, forced" if table.forced else "on") + where
    return f"off{where}" if table.switched else "off (never enabled)"


def _by_command(policies: tuple[Policy, ...]) -> list[Policy]:
    order = {command: index for index, command in enumerate(("ALL", *COMMANDS))}
    return sorted(policies, key=lambda p: (order.get(p.command, 9), p.name))


def _policy(policy: Policy, context: Context) -> str:
    scope = judge_policy(policy, context)
    by = context.key if scope is Scope.SCOPED else _SCOPE_WORDS[scope]
    kind = "" if policy.permissive else " restrictive"
    roles = ",".join(policy.roles)
    where = _at(policy.location.source, policy.location.line)
    return f"{policy.command.lower()}{kind} `{policy.name}` to {roles} by {by} ({where})"


def _at(source: str, line: int) -> str:
    return f"{source}:{line}"
