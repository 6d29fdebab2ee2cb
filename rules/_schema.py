"""What the row-level-security rules (ORG2xx) share: they read the replayed migrations,
not a Python file's facts, and report on the `.sql` file and line of a statement."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from orgscope_lint.facts import FileFacts
from orgscope_lint.findings import Finding, Span
from orgscope_lint.project import Project
from orgscope_lint.rls.model import API_ROLES, Location, Policy, RlsModel, TableRls, Writer
from orgscope_lint.rls.policies import COMMANDS, Context, Scope, judge_command
from orgscope_lint.rls.writable import caller_writable, model_context
from orgscope_lint.rule import Example, Rule


class SchemaRule(Rule):
    """A rule over the migration history; the engine calls `check_schema` once a run."""

    def check(self, facts: FileFacts, project: Project) -> Iterator[Finding]:
        return iter(())

    def check_schema(self, project: Project) -> Iterator[Finding]:
        model = project.schema.rls
        if model is not None:
            yield from self.check_model(model, project)

    def check_model(self, model: RlsModel, project: Project) -> Iterator[Finding]:
        raise NotImplementedError

    def sql_finding(
        self,
        project: Project,
        location: Location,
        message: str,
        *,
        table: str | None = None,
        operation: str | None = None,
    ) -> Finding:
        text = _line(str(project.config.root), location.source, location.line)
        return Finding(
            # Relative to the project root; the engine shows it from the working directory.
            path=location.source,
            span=Span(location.line, 1, location.line, len(text) + 1),
            code=self.code,
            name=self.name,
            severity=self.severity,
            message=message,
            table=table,
            operation=operation,
            snippet=text.strip(),
        )


def _line(root: str, source: str, line: int) -> str:
    # Read again for each finding (there are few): a migration may change between runs.
    try:
        lines = Path(root, source).read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError):
        return ""
    return lines[line - 1] if 0 < line <= len(lines) else ""


def context_for(table: str, model: RlsModel, project: Project) -> Context | None:
    """How policies on `table` are judged, or None when it is not a tenant table."""
    key = project.key_for(table)
    if key is None:
        return None
    config = project.config
    return model_context(
        model,
        key,
        legacy=frozenset(k for k in config.legacy_keys if k != key),
        owners=frozenset(config.owner_keys),
    )


def api_roles(grants: object) -> list[str]:
    held = grants if isinstance(grants, dict) else dict(grants)  # type: ignore[call-overload]
    return sorted(role for role in API_ROLES if held.get(role))


def sql_example(sql: str, **config: object) -> Example:
    """A VALID/INVALID example that is one migration; `-- expect: ORGxxx` marks lines."""
    return Example(
        code="",
        migrations=(("001_schema.sql", sql),),
        config=tuple((key.replace("_", "-"), value) for key, value in config.items()),
    )


def weak_policies(
    model: RlsModel, project: Project, wanted: Scope
) -> Iterator[tuple[TableRls, Policy, Context]]:
    """Permissive API policies on tenant tables (RLS not known off: that is ORG201)
    that scope some command only as far as `wanted`, with no restrictive policy
    scoping that command anyway."""
    for name, table in model.tables.items():
        context = context_for(name, model, project)
        if context is None or table.enabled is False:
            continue
        for policy in table.policies:
            if not (policy.permissive and policy.applies_to_api()):
                continue
            commands = [
                command
                for command in COMMANDS
                if policy.covers(command)
                and judge_command(policy, command, context) is wanted
                and not _restricted(table, command, context)
            ]
            if commands:
                yield table, policy, context


def _restricted(table: TableRls, command: str, context: Context) -> bool:
    return any(
        not p.permissive
        and p.applies_to_api()
        and p.covers(command)
        and judge_command(p, command, context) is Scope.SCOPED
        for p in table.policies
    )


def caller_written(
    policy: Policy, model: RlsModel, columns: Callable[[str], Iterable[tuple[str, str]]]
) -> Writer | None:
    """The first of the `columns` the policy's `USING`, then `WITH CHECK`, reads that the
    caller can write (`rls/writable.py`), and what lets them."""
    writers = caller_writable(model)
    for text in (policy.using, policy.check):
        for pair in columns(text) if text else ():
            if pair in writers:
                return writers[pair]
    return None


def policy_text(policy: Policy) -> str:
    return f"policy `{policy.name}` on `{policy.table}`"
