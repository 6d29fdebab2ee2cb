"""The project as rules see it: the tenant model (which table is scoped by which key, and
where that was learned) joined with the facts every file contributed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from orgscope_lint.config import Config
from orgscope_lint.facts import FileFacts, FunctionFact
from orgscope_lint.schema import Schema


@dataclass(frozen=True, slots=True)
class TableKey:
    key: str
    source: str  # "config: table-keys", "migrations/001_init.sql", ...


@dataclass
class Project:
    config: Config
    schema: Schema
    tables: dict[str, TableKey] = field(default_factory=dict)
    # No schema and no configured tables: every non-global table is assumed tenant-owned.
    assume_all: bool = False
    db_methods: dict[str, FunctionFact] = field(default_factory=dict)

    def key_for(self, table: str) -> str | None:
        """The tenant key that scopes `table`, or None when it is not a tenant table."""
        found = self.tables.get(table)
        if found is not None:
            return found.key
        if table in self.config.global_tables or not self.assume_all:
            return None
        return self.config.tenant_key

    def source_for(self, table: str) -> str:
        found = self.tables.get(table)
        if found is not None:
            return found.source
        return "assumed: no schema or tenant-tables configured" if self.key_for(table) else ""

    def bypasses_rls(self, receiver_class: str | None) -> bool:
        return receiver_class in self.config.rls_bypass_classes

    def helper_param_index(self, helper: str, param: str) -> int | None:
        """Where `param` sits among a DB helper's positional parameters, `self` excluded."""
        method = self.db_methods.get(helper)
        if method is None or param not in method.params:
            return None
        params = method.params[1:] if method.params[:1] == ("self",) else method.params
        return params.index(param) if param in params else None

    def add_facts(self, facts: Iterable[FileFacts]) -> None:
        for file_facts in facts:
            for fn in file_facts.functions:
                if fn.db_class:
                    self.db_methods.setdefault(fn.name, fn)


def build_project(config: Config, schema: Schema) -> Project:
    tables: dict[str, TableKey] = {}
    candidates = (config.tenant_key, *config.tenant_key_candidates, *config.legacy_keys)
    for name, info in schema.tables.items():
        if name in config.global_tables:
            continue
        key = next((c for c in candidates if c in info.columns), None)
        if key is not None:
            tables[name] = TableKey(key, info.source)
    for name in config.tenant_tables:
        if name not in tables and name not in config.global_tables:
            tables[name] = TableKey(config.tenant_key, "config: tenant-tables")
    for name, key in config.table_keys.items():
        tables[name] = TableKey(key, "config: table-keys")
    assume_all = schema.empty and not config.tenant_tables and not config.table_keys
    return Project(config=config, schema=schema, tables=tables, assume_all=assume_all)
