"""The row-level-security state a migration history leaves behind, as plain data.

Everything here pickles (the schema cache stores it) and nothing depends on the tenant
configuration: which column is the tenant key is decided later, by the rules.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

# Table privileges PostgreSQL grants and reports (`GRANT ALL` stands for these).
TABLE_PRIVILEGES: frozenset[str] = frozenset(
    {"SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"}
)
# The roles a Supabase project's Data API runs requests as (PUBLIC includes both).
API_ROLES: frozenset[str] = frozenset({"anon", "authenticated", "public"})


@dataclass(frozen=True, slots=True)
class Location:
    source: str  # the migration file, relative to the project root
    line: int


@dataclass(frozen=True, slots=True)
class Policy:
    name: str
    table: str
    command: str  # ALL, SELECT, INSERT, UPDATE or DELETE
    roles: tuple[str, ...]  # lower case; ("public",) when the policy names none
    permissive: bool
    using: str | None  # the expressions' SQL text, as written
    check: str | None
    location: Location  # the statement that last created or altered it

    def applies_to_api(self) -> bool:
        return any(role in API_ROLES for role in self.roles)

    def covers(self, command: str) -> bool:
        return self.command in ("ALL", command)


@dataclass(frozen=True, slots=True)
class TableRls:
    name: str
    # None: a dynamic statement this replay could not follow may have changed it.
    enabled: bool | None
    forced: bool | None
    # The statement that last switched RLS on or off (None: nothing ever did).
    switched: Location | None
    created: Location | None
    policies: tuple[Policy, ...]
    # Table privileges per role, for the roles that hold any.
    grants: Mapping[str, frozenset[str]]
    columns: tuple[str, ...]
    not_null: frozenset[str]
    # False when some statement made columns this replay could not read (CREATE ... AS).
    columns_known: bool = True
    # Column privileges per role (`GRANT UPDATE (name) ...`): privilege -> columns.
    column_grants: Mapping[str, Mapping[str, frozenset[str]]] = field(default_factory=dict)
    # Columns renamed away and not back: old name -> (name now, the RENAME statement).
    renamed: Mapping[str, tuple[str, Location]] = field(default_factory=dict)
    # Columns that are a primary key or unique on their own, as created.
    unique: frozenset[str] = frozenset()

    def reachable_by_api(self) -> bool:
        return any(self.grants.get(role) for role in API_ROLES)

    def roles_holding(self, privilege: str, column: str, roles: Collection[str]) -> set[str]:
        """Which of `roles` hold `privilege` on `column`: on the whole table (which
        covers every column) or on that column."""
        return {
            role
            for role in roles
            if privilege in self.grants.get(role, ())
            or column in self.column_grants.get(role, {}).get(privilege, ())
        }


@dataclass(frozen=True, slots=True)
class View:
    name: str
    query: str
    tables: tuple[str, ...]  # the relations its query reads
    security_invoker: bool
    materialized: bool
    location: Location
    grants: Mapping[str, frozenset[str]]


@dataclass(frozen=True, slots=True)
class Function:
    name: str
    security_definer: bool
    body: str
    tables: tuple[str, ...]  # the relations its body reads or writes
    settings_set: tuple[str, ...]  # `set_config('app.x', ...)` names it sets
    executable_by: frozenset[str]  # roles that may call it (PUBLIC until revoked)
    location: Location
    # `RETURNS trigger`: PostgreSQL refuses to call it directly, whatever the privileges.
    trigger: bool = False
    returns: str = ""  # the return type, lower case: "boolean", "user_role", "setof calls"
    language: str = ""  # "sql", "plpgsql", ...
    params: tuple[str, ...] = ()  # its arguments' names

    def callable_by_api(self) -> bool:
        """Whether the API roles may call it through `/rpc`."""
        return not self.trigger and bool(self.executable_by & API_ROLES)


@dataclass(frozen=True, slots=True)
class Weakening:
    """A column dropped, renamed or made nullable while policies used it."""

    table: str
    column: str
    kind: str  # "drop", "rename" or "nullable"
    new_name: str | None
    policies: tuple[str, ...]  # the table's policies that read the column then
    location: Location


@dataclass(frozen=True, slots=True)
class Problem:
    location: Location
    message: str


@dataclass(frozen=True, slots=True)
class Writer:
    """How the caller writes `table.column`: the policy that lets them, or RLS off
    (`rls/writable.py` finds them)."""

    table: str
    column: str
    how: str
    location: Location | None

    def describe(self) -> str:
        where = f" ({self.location.source}:{self.location.line})" if self.location else ""
        return f"{self.how}{where}"


@dataclass(frozen=True, slots=True)
class RlsModel:
    tables: Mapping[str, TableRls]
    views: Mapping[str, View]
    functions: Mapping[str, Function]
    weakenings: tuple[Weakening, ...]
    # Statements this replay could not read: one ORG000 per file.
    problems: tuple[Problem, ...]
    # Dynamic SQL over tables it could not name: every table's RLS state is uncertain.
    unknown: tuple[Problem, ...]
    # Whether the history uses row-level security or the API roles at all (a policy, an
    # RLS switch, a grant to `anon`/`authenticated`): a plain PostgreSQL schema does
    # not, and a table without RLS there is exposed to no Data API.
    uses_rls: bool = False
    # The columns some policy takes a tenant id from that the caller may write
    # (`rls/writable.py`). They depend on the migrations alone, so they are found once
    # with the replay and cached with it: judging them needs sqlglot, which a warm run
    # otherwise never imports. None: not found yet.
    writable: Mapping[tuple[str, str], Writer] | None = None
    enums: frozenset[str] = frozenset()  # `CREATE TYPE ... AS ENUM` types
