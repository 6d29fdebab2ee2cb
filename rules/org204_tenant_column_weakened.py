from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from orgscope_lint.facts import FileFacts, Query
from orgscope_lint.findings import Finding, Related, Severity
from orgscope_lint.project import Project
from orgscope_lint.rls.model import RlsModel, Weakening
from orgscope_lint.rule import Example
from orgscope_lint.rules._common import call_text, query_findings
from orgscope_lint.rules._schema import SchemaRule, sql_example
from orgscope_lint.tenancy import Verdict, renamed_column

_PROJECTS = "create table projects (id int, client_id text not null);\n"
_RENAME = "alter table projects rename column client_id to clerk_org_id;\n"


class TenantColumnWeakened(SchemaRule):
    code = "ORG204"
    name = "tenant-column-weakened"
    severity = Severity.ERROR
    summary = "A later migration drops, nulls or renames the tenant column"
    doc = """
    ## What it does
    Reports a migration that drops a table's tenant column, makes it nullable
    (`ALTER COLUMN clerk_org_id DROP NOT NULL`) or renames it to a name that is no
    tenant key while row-level-security policies of the table use it, unless a later
    migration puts it back.

    Also reports code that still uses the old name after a rename of the tenant column
    (the tenant key, a `tenant-key-candidates` column or a legacy key, or a rename to
    one: `rename column client_id to clerk_org_id`): a query whose filter, or an insert
    whose record, names a column the migrations renamed and never brought back. That
    finding is at the query, like every finding about code, and names the migration
    line; it depends only on the file and the migrations, so a pre-commit run on that
    file reports it as a full run does. It is a warning: the query fails for every
    tenant rather than reaching another's rows (the migration-side findings stay errors).

    ## Why is this bad?
    Dropping the column (with `CASCADE`) silently drops the policies that scoped the
    table by it; a nullable tenant column lets rows that belong to no tenant in, which a
    policy such as `clerk_org_id = ... or clerk_org_id is null` then shows to everyone;
    a rename leaves the application filtering by a column that no longer exists: the
    query fails for every tenant, and code that falls back to an unfiltered query on
    that error leaks.

    ## Example
    ```sql
    alter table calls alter column clerk_org_id drop not null;
    alter table projects rename column client_id to clerk_org_id;
    ```
    ```python
    sb.table("projects").select("*").eq("client_id", org).execute()
    ```

    ## Use instead
    Keep the tenant column `NOT NULL`; backfill before tightening, never loosen it.
    Rename the tenant column in the code in the same change as the migration.

    ## Known limits
    A rename of a column that is no tenant column is not followed: a query by it fails
    loudly and crosses no tenant. Only the names a filter or record holds are read,
    not selected or ordered columns. In diff mode (`--diff-base`) the code's finding
    shows when its line changed, as every finding does: a change that only adds the
    migration is caught by a full run or the pre-commit hook on the code.

    ## Options
    `tenant-key`, `table-keys`, `tenant-key-candidates`, `legacy-keys`.
    """
    valid = (
        # The code moved with the migration.
        Example(
            "def f(sb, org):\n"
            '    sb.table("projects").select("*").eq("clerk_org_id", org).execute()\n',
            migrations=(("001_schema.sql", _PROJECTS + _RENAME),),
        ),
        # Renamed, then renamed back.
        Example(
            'def f(db, org):\n    db.select("projects", {"client_id": org})\n',
            migrations=(
                ("001_schema.sql", _PROJECTS + _RENAME),
                (
                    "002_revert.sql",
                    "alter table projects rename column clerk_org_id to client_id;\n",
                ),
            ),
        ),
        # No tenant column: the rename of a plain column is out of scope.
        Example(
            'def f(db, org):\n    db.select("projects", {"clerk_org_id": org, "title": "x"})\n',
            migrations=(
                (
                    "001_schema.sql",
                    "create table projects (id int, title text, clerk_org_id text not null);\n"
                    "alter table projects rename column title to name;\n",
                ),
            ),
        ),
        sql_example(
            "create table calls (id int, clerk_org_id text not null);\n"
            "alter table calls alter column clerk_org_id set not null;\n"
        ),
        # No policy uses the column.
        sql_example(
            "create table calls (id int, clerk_org_id text not null);\n"
            "alter table calls alter column clerk_org_id drop not null;\n"
        ),
        # The legacy key moves to the tenant key: the good rename.
        sql_example(
            "create table calls (id int, client_id text not null);\n"
            "alter table calls rename column client_id to clerk_org_id;\n"
        ),
        # Loosened for a backfill, then tightened again.
        sql_example(
            "create table calls (id int, clerk_org_id text not null);\n"
            "create policy p on calls using (clerk_org_id = auth.jwt() ->> 'org_id');\n"
            "alter table calls alter column clerk_org_id drop not null;\n"
            "alter table calls alter column clerk_org_id set not null;\n"
        ),
        sql_example(
            "create table calls (id int, note text not null, clerk_org_id text not null);\n"
            "alter table calls drop column note;\n"
        ),
    )
    invalid = (
        # The code still filters by the old name of the tenant column.
        Example(
            "def f(sb, org):\n"
            '    sb.table("projects").select("*").eq("client_id", org).execute()'
            "  # expect: ORG204\n",
            migrations=(("001_schema.sql", _PROJECTS + _RENAME),),
        ),
        Example(
            "def f(db, org):\n"
            '    db.insert("projects", {"id": 1, "client_id": org})  # expect: ORG204\n',
            migrations=(("001_schema.sql", _PROJECTS + _RENAME),),
        ),
        sql_example(
            "create table calls (id int, clerk_org_id text not null);\n"
            "create policy p on calls using (clerk_org_id = auth.jwt() ->> 'org_id');\n"
            "alter table calls alter column clerk_org_id drop not null;  -- expect: ORG204\n"
        ),
        sql_example(
            "create table calls (id int, clerk_org_id text not null);\n"
            "alter table calls enable row level security;\n"
            "create policy p on calls using (clerk_org_id = auth.jwt() ->> 'org_id');\n"
            "alter table calls drop column clerk_org_id cascade;  -- expect: ORG204\n"
        ),
        sql_example(
            "create table calls (id int, clerk_org_id text not null);\n"
            "create policy p on calls using (clerk_org_id = auth.jwt() ->> 'org_id');\n"
            "alter table calls rename column clerk_org_id to owner_ref;  -- expect: ORG204\n"
        ),
    )

    def check(self, facts: FileFacts, project: Project) -> Iterator[Finding]:
        """The code's half: queries that still name a renamed tenant column."""

        def message(query: Query, key: str) -> str:
            renamed = renamed_column(query, project)
            assert renamed is not None  # the verdict says so
            where = f"{renamed.location.source}:{renamed.location.line}"
            return (
                f"{call_text(query)} on `{query.table}` uses `{renamed.old}`, which {where} "
                f"renamed to `{renamed.new}`: the column no longer exists and the query fails"
            )

        def related(query: Query) -> tuple[Related, ...]:
            renamed = renamed_column(query, project)
            assert renamed is not None
            where = renamed.location
            return (Related(where.source, where.line, f"renames `{renamed.old}`"),)

        # A query by a column that no longer exists fails for every tenant: a bug to fix
        # with the migration, not a leak by itself, so it is a warning (errors mean leaks).
        for finding in query_findings(
            self, facts, project, Verdict.RENAMED_KEY, message, related=related
        ):
            yield replace(finding, severity=Severity.WARNING)

    def check_model(self, model: RlsModel, project: Project) -> Iterator[Finding]:
        for weakening in model.weakenings:
            if not weakening.policies or not _tenant_column(weakening, project):
                continue
            if _restored(weakening, model):
                continue
            yield self.sql_finding(
                project,
                weakening.location,
                _message(weakening),
                table=weakening.table,
            )


def _tenant_column(weakening: Weakening, project: Project) -> bool:
    config = project.config
    column = weakening.column
    if weakening.kind == "rename" and _tenant_like(weakening.new_name or "", weakening, project):
        return False
    return _tenant_like(column, weakening, project) and column not in config.legacy_keys


def _tenant_like(column: str, weakening: Weakening, project: Project) -> bool:
    config = project.config
    return (
        column == config.tenant_key
        or column == config.table_keys.get(weakening.table)
        or column in config.tenant_key_candidates
    )


def _restored(weakening: Weakening, model: RlsModel) -> bool:
    table = model.tables.get(weakening.table)
    if table is None:
        return False
    if weakening.kind == "nullable":
        return weakening.column in table.not_null
    return weakening.column in table.columns


def _message(weakening: Weakening) -> str:
    column, table = f"`{weakening.column}`", f"`{weakening.table}`"
    used = (
        f" while {', '.join(f'`{p}`' for p in weakening.policies)} use it"
        if weakening.policies
        else ""
    )
    if weakening.kind == "drop":
        return f"drops the tenant column {column} of {table}{used}: its rows belong to no tenant"
    if weakening.kind == "nullable":
        return f"makes the tenant column {column} of {table} nullable{used}: rows may belong to no tenant"
    return (
        f"renames the tenant column {column} of {table} to `{weakening.new_name}`{used}: "
        "code that filters by the old name breaks"
    )
