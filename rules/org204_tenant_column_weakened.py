from __future__ import annotations

from collections.abc import Iterator

from orgscope_lint.findings import Finding, Severity
from orgscope_lint.project import Project
from orgscope_lint.rls.model import RlsModel, Weakening
from orgscope_lint.rules._schema import SchemaRule, sql_example


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

    ## Why is this bad?
    Dropping the column (with `CASCADE`) silently drops the policies that scoped the
    table by it; a nullable tenant column lets rows that belong to no tenant in, which a
    policy such as `clerk_org_id = ... or clerk_org_id is null` then shows to everyone;
    a rename leaves the application filtering by a column that no longer exists.

    ## Example
    ```sql
    alter table calls alter column clerk_org_id drop not null;
    ```

    ## Use instead
    Keep the tenant column `NOT NULL`; backfill before tightening, never loosen it.

    ## Options
    `tenant-key`, `table-keys`, `tenant-key-candidates`.
    """
    valid = (
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
