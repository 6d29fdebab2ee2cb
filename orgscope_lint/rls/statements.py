"""A small reader for the statements row-level security lives in.

sqlglot reads most of PostgreSQL but gives up on the statements this module cares about
(CREATE POLICY, GRANT ... ON ALL TABLES, ALTER TABLE ... ENABLE ROW LEVEL SECURITY, DO
blocks), so they are read here, by their grammar, one clause at a time. Each reader returns
operations for the replay; a statement of a known kind whose clauses do not fit yields a
`Problem` (reported as ORG000 on its file), and anything else is simply not about RLS.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from orgscope_lint.rls.model import TABLE_PRIVILEGES
from orgscope_lint.schema import _IDENT, _QNAME, _split_top_level, _unqualify, _unquote

_F = re.IGNORECASE | re.DOTALL | re.VERBOSE


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    not_null: bool
    unique: bool = False  # a primary key or unique on its own: no two rows share a value


@dataclass(frozen=True, slots=True)
class CreateTable:
    table: str
    columns: tuple[Column, ...]
    copies: tuple[str, ...]
    if_not_exists: bool
    columns_known: bool


@dataclass(frozen=True, slots=True)
class AlterTable:
    table: str
    # ("rls", bool) ("force", bool) ("add", Column) ("drop", column, cascade)
    # ("rename", old, new) ("rename_table", new) ("not_null", column, bool)
    actions: tuple[tuple[object, ...], ...]
    if_exists: bool


@dataclass(frozen=True, slots=True)
class DropTables:
    tables: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CreatePolicy:
    name: str
    table: str
    permissive: bool
    command: str
    roles: tuple[str, ...]
    using: str | None
    check: str | None


@dataclass(frozen=True, slots=True)
class AlterPolicy:
    name: str
    table: str
    rename_to: str | None
    roles: tuple[str, ...] | None
    using: str | None
    check: str | None


@dataclass(frozen=True, slots=True)
class DropPolicy:
    name: str
    table: str


@dataclass(frozen=True, slots=True)
class Privileges:
    grant: bool
    privileges: frozenset[str]
    kind: str  # "table" or "function"
    objects: tuple[str, ...]  # empty with every_object
    every_object: bool  # ON ALL TABLES / FUNCTIONS IN SCHEMA
    roles: tuple[str, ...]
    default: bool = False  # ALTER DEFAULT PRIVILEGES
    # Column privileges, `UPDATE (name, bio)`: (privilege, columns) pairs. A table-level
    # privilege of the same statement is in `privileges`.
    columns: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass(frozen=True, slots=True)
class CreateView:
    name: str
    query: str
    security_invoker: bool
    materialized: bool


@dataclass(frozen=True, slots=True)
class AlterView:
    name: str
    security_invoker: bool | None
    rename_to: str | None


@dataclass(frozen=True, slots=True)
class DropViews:
    names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CreateFunction:
    name: str
    security_definer: bool
    body: str
    # `RETURNS trigger`: PostgreSQL runs it only as a trigger, never on a direct call.
    trigger: bool = False
    returns: str = ""  # the return type as written, lower case: "boolean", "setof calls"
    language: str = ""
    params: tuple[str, ...] = ()  # the names of its arguments, lower case


@dataclass(frozen=True, slots=True)
class CreateEnum:
    """`CREATE TYPE role AS ENUM (...)`: a type whose every value is one of its labels."""

    name: str


@dataclass(frozen=True, slots=True)
class AlterFunction:
    name: str
    security_definer: bool | None


@dataclass(frozen=True, slots=True)
class DropFunctions:
    names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Unknown:
    """Dynamic SQL that changes RLS on tables this reader cannot name."""

    reason: str
    tables: tuple[str, ...] = ()  # empty: any table


@dataclass(frozen=True, slots=True)
class Unreadable:
    message: str


Operation = (
    CreateTable
    | AlterTable
    | DropTables
    | CreatePolicy
    | AlterPolicy
    | DropPolicy
    | Privileges
    | CreateView
    | AlterView
    | DropViews
    | CreateFunction
    | CreateEnum
    | AlterFunction
    | DropFunctions
    | Unknown
    | Unreadable
)


def read_statement(statement: str) -> list[Operation]:
    """The RLS-relevant operations of one statement (comments already blanked)."""
    return _dispatch(statement)


def _words(text: str) -> str:
    return " ".join(text.upper().split())


# --- tables ----------------------------------------------------------------------------

_CREATE_TABLE = re.compile(
    rf"""CREATE\s+(?:(?:GLOBAL|LOCAL)\s+)?(?P<temp>(?:TEMP|TEMPORARY)\s+)?(?:UNLOGGED\s+)?
         TABLE\s+(?P<ine>IF\s+NOT\s+EXISTS\s+)?(?P<name>{_QNAME})\s*(?P<rest>.*)\Z""",
    _F,
)
_CONSTRAINT_WORD = re.compile(r"(?:CONSTRAINT|PRIMARY|UNIQUE|CHECK|FOREIGN|EXCLUDE)\b", re.I)
_NOT_NULL = re.compile(r"\bNOT\s+NULL\b|\bPRIMARY\s+KEY\b", re.I)
_UNIQUE = re.compile(r"\bPRIMARY\s+KEY\b|\bUNIQUE\b", re.I)
_STRING_LITERAL = re.compile(r"'(?:[^']|'')*'")
_TABLE_UNIQUE = re.compile(rf"(?:CONSTRAINT\s+{_IDENT}\s+)?UNIQUE\s*\((?P<columns>[^)]*)\)", _F)
_TABLE_PRIMARY_KEY = re.compile(
    rf"(?:CONSTRAINT\s+{_IDENT}\s+)?PRIMARY\s+KEY\s*\((?P<columns>[^)]*)\)", _F
)
_INHERITS = re.compile(r"\s*INHERITS\s*\((?P<parents>[^)]*)\)", _F)
_PARTITION_OF = re.compile(rf"PARTITION\s+OF\s+(?P<parent>{_QNAME})", _F)
_LIKE = re.compile(rf"LIKE\s+(?P<parent>{_QNAME})", _F)


def _create_table(statement: str) -> list[Operation]:
    match = _CREATE_TABLE.match(statement)
    if match is None or match.group("temp"):
        return []
    rest = match.group("rest")
    columns: list[Column] = []
    copies: list[str] = []
    primary: set[str] = set()
    unique: set[str] = set()
    known = True
    if rest.startswith("("):
        elements, after = _split_top_level(rest[1:])
        for element in (e.strip() for e in elements):
            if not element:
                continue
            if like := _LIKE.match(element):
                copies.append(_unqualify(like.group("parent")))
            elif pk := _TABLE_PRIMARY_KEY.match(element):
                primary.update(_unquote(c.strip()) for c in pk.group("columns").split(","))
                unique.update(_one_column(pk.group("columns")))
            elif alone := _TABLE_UNIQUE.match(element):
                unique.update(_one_column(alone.group("columns")))
            elif not _CONSTRAINT_WORD.match(element):
                columns.append(_column(element))
        if inherits := _INHERITS.match(after):
            copies.extend(_unqualify(p) for p in inherits.group("parents").split(",") if p.strip())
    elif partition := _PARTITION_OF.match(rest):
        copies.append(_unqualify(partition.group("parent")))
    else:
        known = False  # CREATE TABLE ... AS SELECT: its columns are the query's
    columns = [
        Column(c.name, c.not_null or c.name in primary, c.unique or c.name in unique)
        for c in columns
    ]
    return [
        CreateTable(
            _unqualify(match.group("name")),
            tuple(columns),
            tuple(copies),
            match.group("ine") is not None,
            known,
        )
    ]


def _column(definition: str) -> Column:
    name = _IDENT_RE.match(definition)
    column = _unquote(name.group(0)) if name else definition.split()[0].lower()
    rest = definition[name.end() if name else 0 :]
    # A word inside a literal (`check (kind in ('unique', 'shared'))`) is no constraint.
    unique = _UNIQUE.search(_STRING_LITERAL.sub("''", rest)) is not None
    return Column(column, _NOT_NULL.search(rest) is not None, unique)


def _one_column(columns: str) -> set[str]:
    """The column of a one-column key (`primary key (id)`): a key over several columns
    leaves each of them free to repeat."""
    names = [c.strip() for c in columns.split(",") if c.strip()]
    return {_unquote(names[0])} if len(names) == 1 else set()


_IDENT_RE = re.compile(_IDENT)
_ALTER_TABLE = re.compile(
    rf"""ALTER\s+TABLE\s+(?P<if_exists>IF\s+EXISTS\s+)?(?:ONLY\s+)?(?P<name>{_QNAME})\s*\*?\s*
         (?P<actions>.*)\Z""",
    _F,
)
_ACTIONS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, _F))
    for kind, pattern in (
        ("rls_on", r"ENABLE\s+ROW\s+LEVEL\s+SECURITY\s*\Z"),
        ("rls_off", r"DISABLE\s+ROW\s+LEVEL\s+SECURITY\s*\Z"),
        ("force_on", r"FORCE\s+ROW\s+LEVEL\s+SECURITY\s*\Z"),
        ("force_off", r"NO\s+FORCE\s+ROW\s+LEVEL\s+SECURITY\s*\Z"),
        ("rename_table", rf"RENAME\s+TO\s+(?P<new>{_QNAME})\s*\Z"),
        (
            "rename",
            rf"RENAME\s+(?:COLUMN\s+)?(?!CONSTRAINT\b)(?P<old>{_IDENT})\s+TO\s+(?P<new>{_IDENT})\s*\Z",
        ),
        (
            "not_null",
            rf"ALTER\s+(?:COLUMN\s+)?(?P<column>{_IDENT})\s+(?P<how>SET|DROP)\s+NOT\s+NULL\s*\Z",
        ),
        ("primary", r"ADD\s+(?:CONSTRAINT\s+\S+\s+)?PRIMARY\s+KEY\s*\((?P<columns>[^)]*)\)"),
        ("add_constraint", r"ADD\s+(?:CONSTRAINT|UNIQUE|CHECK|FOREIGN|EXCLUDE)\b"),
        (
            "add",
            rf"ADD\s+(?:COLUMN\s+)?(?:IF\s+NOT\s+EXISTS\s+)?(?P<definition>{_IDENT}.*)\Z",
        ),
        ("drop_constraint", r"DROP\s+CONSTRAINT\b"),
        (
            "drop",
            rf"DROP\s+(?:COLUMN\s+)?(?:IF\s+EXISTS\s+)?(?P<column>{_IDENT})\s*(?P<cascade>CASCADE)?",
        ),
    )
)


def _alter_table(statement: str) -> list[Operation]:
    match = _ALTER_TABLE.match(statement)
    if match is None:
        return []
    actions: list[tuple[object, ...]] = []
    parts, _ = _split_top_level(match.group("actions"))
    for part in (p.strip() for p in parts):
        for kind, pattern in _ACTIONS:
            found = pattern.match(part)
            if found is None:
                continue
            if kind in ("rls_on", "rls_off"):
                actions.append(("rls", kind == "rls_on"))
            elif kind in ("force_on", "force_off"):
                actions.append(("force", kind == "force_on"))
            elif kind == "rename_table":
                actions.append(("rename_table", _unqualify(found.group("new"))))
            elif kind == "rename":
                actions.append(
                    ("rename", _unquote(found.group("old")), _unquote(found.group("new")))
                )
            elif kind == "not_null":
                actions.append(
                    (
                        "not_null",
                        _unquote(found.group("column")),
                        found.group("how").upper() == "SET",
                    )
                )
            elif kind == "primary":
                for column in found.group("columns").split(","):
                    actions.append(("not_null", _unquote(column.strip()), True))
            elif kind == "add":
                actions.append(("add", _column(found.group("definition"))))
            elif kind == "drop":
                actions.append(
                    ("drop", _unquote(found.group("column")), bool(found.group("cascade")))
                )
            break
    if not actions:
        return []
    return [
        AlterTable(_unqualify(match.group("name")), tuple(actions), bool(match.group("if_exists")))
    ]


_DROP_TABLE = re.compile(
    r"DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?P<names>.*?)\s*(?:\b(?:CASCADE|RESTRICT)\s*)?\Z", _F
)


def _drop_table(statement: str) -> list[Operation]:
    match = _DROP_TABLE.match(statement)
    if match is None:
        return []
    names, _ = _split_top_level(match.group("names"))
    return [DropTables(tuple(_unqualify(n) for n in names if n.strip()))]


# --- policies --------------------------------------------------------------------------

_CREATE_POLICY = re.compile(
    rf"CREATE\s+POLICY\s+(?P<name>{_IDENT})\s+ON\s+(?P<table>{_QNAME})(?P<rest>.*)\Z", _F
)
_ALTER_POLICY = re.compile(
    rf"ALTER\s+POLICY\s+(?P<name>{_IDENT})\s+ON\s+(?P<table>{_QNAME})(?P<rest>.*)\Z", _F
)
_DROP_POLICY = re.compile(
    rf"""DROP\s+POLICY\s+(?:IF\s+EXISTS\s+)?(?P<name>{_IDENT})\s+ON\s+(?P<table>{_QNAME})
         \s*(?:CASCADE|RESTRICT)?\s*\Z""",
    _F,
)
_CLAUSES = (
    ("as", re.compile(r"\s*AS\s+(?P<value>PERMISSIVE|RESTRICTIVE)\b", _F)),
    ("for", re.compile(r"\s*FOR\s+(?P<value>ALL|SELECT|INSERT|UPDATE|DELETE)\b", _F)),
    ("to", re.compile(r"\s*TO\s+(?P<value>.+?)(?=\s+(?:USING|WITH)\b|\s*\Z)", _F)),
    ("using", re.compile(r"\s*USING\s*\(", _F)),
    ("check", re.compile(r"\s*WITH\s+CHECK\s*\(", _F)),
    ("rename", re.compile(rf"\s*RENAME\s+TO\s+(?P<value>{_IDENT})", _F)),
)


def _policy_clauses(rest: str) -> dict[str, str] | None:
    """Clause name -> text, or None when something in `rest` is not a policy clause."""
    clauses: dict[str, str] = {}
    position = 0
    while rest[position:].strip():
        for name, pattern in _CLAUSES:
            match = pattern.match(rest, position)
            if match is None:
                continue
            if name in ("using", "check"):
                end = _closing_paren(rest, match.end())
                if end < 0:
                    return None
                clauses[name] = rest[match.end() : end].strip()
                position = end + 1
            else:
                clauses[name] = match.group("value")
                position = match.end()
            break
        else:
            return None
    return clauses


def _closing_paren(text: str, start: int) -> int:
    """The index of the `)` closing a `(` just before `start`, or -1."""
    depth, index = 0, start
    while index < len(text):
        char = text[index]
        if char in "'\"":
            close = text.find(char, index + 1)
            while close != -1 and text[close + 1 : close + 2] == char:
                close = text.find(char, close + 2)
            if close == -1:
                return -1
            index = close
        elif char == "(":
            depth += 1
        elif char == ")":
            if depth == 0:
                return index
            depth -= 1
        index += 1
    return -1


def _roles(text: str) -> tuple[str, ...]:
    return tuple(_unquote(role.strip()) for role in _split_top_level(text)[0] if role.strip())


def _name(identifier: str) -> str:
    """An object's name as PostgreSQL stores it: quoted keeps its case."""
    identifier = identifier.strip()
    if len(identifier) >= 2 and identifier[0] == identifier[-1] == '"':
        return identifier[1:-1].replace('""', '"')
    return identifier.lower()


def _create_policy(statement: str) -> list[Operation]:
    match = _CREATE_POLICY.match(statement)
    clauses = _policy_clauses(match.group("rest")) if match else None
    if match is None or clauses is None or "rename" in clauses:
        return [Unreadable("cannot read this CREATE POLICY statement")]
    return [
        CreatePolicy(
            name=_name(match.group("name")),
            table=_unqualify(match.group("table")),
            permissive=clauses.get("as", "PERMISSIVE").upper() == "PERMISSIVE",
            command=clauses.get("for", "ALL").upper(),
            roles=_roles(clauses["to"]) if "to" in clauses else ("public",),
            using=clauses.get("using"),
            check=clauses.get("check"),
        )
    ]


def _alter_policy(statement: str) -> list[Operation]:
    match = _ALTER_POLICY.match(statement)
    clauses = _policy_clauses(match.group("rest")) if match else None
    if match is None or clauses is None or "as" in clauses or "for" in clauses:
        return [Unreadable("cannot read this ALTER POLICY statement")]
    return [
        AlterPolicy(
            name=_name(match.group("name")),
            table=_unqualify(match.group("table")),
            rename_to=_name(clauses["rename"]) if "rename" in clauses else None,
            roles=_roles(clauses["to"]) if "to" in clauses else None,
            using=clauses.get("using"),
            check=clauses.get("check"),
        )
    ]


def _drop_policy(statement: str) -> list[Operation]:
    match = _DROP_POLICY.match(statement)
    if match is None:
        return [Unreadable("cannot read this DROP POLICY statement")]
    return [DropPolicy(_name(match.group("name")), _unqualify(match.group("table")))]


# --- privileges ------------------------------------------------------------------------

_GRANT = re.compile(
    r"""GRANT\s+(?P<privileges>.+?)\s+ON\s+(?P<objects>.+?)\s+TO\s+(?P<roles>.+?)
        (?:\s+WITH\s+GRANT\s+OPTION)?(?:\s+GRANTED\s+BY\s+\S+)?\s*\Z""",
    _F,
)
_REVOKE = re.compile(
    r"""REVOKE\s+(?:GRANT\s+OPTION\s+FOR\s+)?(?P<privileges>.+?)\s+ON\s+(?P<objects>.+?)
        \s+FROM\s+(?P<roles>.+?)(?:\s+GRANTED\s+BY\s+\S+)?(?:\s+(?:CASCADE|RESTRICT))?\s*\Z""",
    _F,
)
_DEFAULT_PRIVILEGES = re.compile(
    r"""ALTER\s+DEFAULT\s+PRIVILEGES\s+(?:FOR\s+(?:ROLE|USER)\s+(?P<for>\S+)\s+)?
        (?:IN\s+SCHEMA\s+\S+\s+)?(?P<rest>(?:GRANT|REVOKE)\b.*)\Z""",
    _F,
)
_ALL_IN_SCHEMA = re.compile(r"ALL\s+(?P<kind>TABLES|FUNCTIONS|ROUTINES)\s+IN\s+SCHEMA\b", _F)
_OBJECT_KIND = re.compile(r"(?P<kind>TABLE|FUNCTION|ROUTINE|PROCEDURE)?\s*(?P<names>.*)\Z", _F)
_OTHER_OBJECTS = re.compile(
    r"(?:SEQUENCE|ALL\s+SEQUENCES|SCHEMA|DATABASE|DOMAIN|TYPE|LANGUAGE|FOREIGN|LARGE|TABLESPACE"
    r"|PARAMETER)\b",
    _F,
)
_DEFAULT_KIND = re.compile(r"(?P<kind>TABLES|FUNCTIONS|ROUTINES)\s*\Z", _F)


def _privileges(statement: str, default: bool = False) -> list[Operation]:
    grant = statement[:5].upper() == "GRANT"
    match = (_GRANT if grant else _REVOKE).match(statement)
    if match is None:
        return []  # GRANT role TO role: membership, not privileges
    objects = match.group("objects").strip()
    if default:
        kind_match = _DEFAULT_KIND.match(objects)
        if kind_match is None:
            return []
        kind = "table" if kind_match.group("kind").upper() == "TABLES" else "function"
        names: tuple[str, ...] = ()
        every = True
    elif every_match := _ALL_IN_SCHEMA.match(objects):
        kind = "table" if every_match.group("kind").upper() == "TABLES" else "function"
        names, every = (), True
    else:
        if _OTHER_OBJECTS.match(objects):
            return []
        object_match = _OBJECT_KIND.match(objects)
        word = (object_match.group("kind") or "TABLE").upper() if object_match else "TABLE"
        kind = "table" if word == "TABLE" else "function"
        text = object_match.group("names") if object_match else objects
        names = tuple(
            _unqualify(_strip_arguments(n)) for n in _split_top_level(text)[0] if n.strip()
        )
        every = False
    privileges, columns = _privilege_set(match.group("privileges"), kind)
    if columns and (kind != "table" or every or default):
        return []  # column privileges exist for named tables only
    roles = _roles(match.group("roles"))
    return [Privileges(grant, privileges, kind, names, every, roles, default, columns)]


def _strip_arguments(name: str) -> str:
    return name.split("(", 1)[0]


_COLUMN_PRIVILEGE = re.compile(r"(?P<privilege>[A-Za-z ]+?)\s*\((?P<columns>[^)]*)\)\s*\Z")
# What `ALL (columns)` grants: the privileges PostgreSQL keeps per column.
_COLUMN_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "REFERENCES")


def _privilege_set(
    text: str, kind: str
) -> tuple[frozenset[str], tuple[tuple[str, tuple[str, ...]], ...]]:
    """The table-level privileges of a GRANT or REVOKE, and its column privileges."""
    words: set[str] = set()
    columns: list[tuple[str, tuple[str, ...]]] = []
    for part in _split_top_level(text)[0]:
        column_match = _COLUMN_PRIVILEGE.match(part.strip())
        if column_match is not None:
            names = tuple(_unquote(c.strip()) for c in column_match.group("columns").split(","))
            word = " ".join(column_match.group("privilege").upper().split())
            expanded = _COLUMN_PRIVILEGES if word in ("ALL", "ALL PRIVILEGES") else (word,)
            columns.extend((privilege, names) for privilege in expanded)
        elif part.strip():
            words.add(" ".join(part.upper().split()))
    if words & {"ALL", "ALL PRIVILEGES"}:
        every = TABLE_PRIVILEGE_SET if kind == "table" else frozenset({"EXECUTE"})
        return every, tuple(columns)
    return frozenset(words), tuple(columns)


TABLE_PRIVILEGE_SET = TABLE_PRIVILEGES


def _default_privileges(statement: str) -> list[Operation]:
    match = _DEFAULT_PRIVILEGES.match(statement)
    if match is None:
        return []
    owner = (match.group("for") or "postgres").strip('"').lower()
    if owner != "postgres":
        return []  # defaults for objects another role creates
    return _privileges(match.group("rest"), default=True)


# --- views and functions ---------------------------------------------------------------

_CREATE_VIEW = re.compile(
    rf"""CREATE\s+(?:OR\s+REPLACE\s+)?(?P<temp>(?:TEMP|TEMPORARY)\s+)?(?:RECURSIVE\s+)?
         (?P<materialized>MATERIALIZED\s+)?VIEW\s+(?:IF\s+NOT\s+EXISTS\s+)?(?P<name>{_QNAME})\s*
         (?:\((?P<columns>[^)]*)\)\s*)?(?:WITH\s*\((?P<options>[^)]*)\)\s*)?AS\s+(?P<query>.*)\Z""",
    _F,
)
_INVOKER_OPTION = re.compile(r"security_invoker\s*(?:=\s*'?(?P<value>\w+)'?)?", re.IGNORECASE)
_ALTER_VIEW = re.compile(
    rf"""ALTER\s+(?:MATERIALIZED\s+)?VIEW\s+(?:IF\s+EXISTS\s+)?(?P<name>{_QNAME})\s+
         (?:(?P<set>SET|RESET)\s*\((?P<options>[^)]*)\)|RENAME\s+TO\s+(?P<new>{_QNAME}))""",
    _F,
)
_DROP_VIEW = re.compile(
    r"DROP\s+(?:MATERIALIZED\s+)?VIEW\s+(?:IF\s+EXISTS\s+)?(?P<names>.*?)\s*(?:\b(?:CASCADE|RESTRICT)\s*)?\Z",
    _F,
)


def _invoker(options: str | None) -> bool | None:
    match = _INVOKER_OPTION.search(options or "")
    if match is None:
        return None
    value = (match.group("value") or "true").lower()
    return value in ("true", "on", "1", "yes")


def _create_view(statement: str) -> list[Operation]:
    match = _CREATE_VIEW.match(statement)
    if match is None:
        return [Unreadable("cannot read this CREATE VIEW statement")]
    if match.group("temp"):
        return []
    return [
        CreateView(
            _unqualify(match.group("name")),
            match.group("query"),
            bool(_invoker(match.group("options"))),
            match.group("materialized") is not None,
        )
    ]


def _alter_view(statement: str) -> list[Operation]:
    match = _ALTER_VIEW.match(statement)
    if match is None:
        return []
    if match.group("new"):
        return [AlterView(_unqualify(match.group("name")), None, _unqualify(match.group("new")))]
    invoker = _invoker(match.group("options"))
    if invoker is None:
        return []
    if match.group("set").upper() == "RESET":
        invoker = False
    return [AlterView(_unqualify(match.group("name")), invoker, None)]


def _drop_view(statement: str) -> list[Operation]:
    match = _DROP_VIEW.match(statement)
    if match is None:
        return []
    return [
        DropViews(
            tuple(_unqualify(n) for n in _split_top_level(match.group("names"))[0] if n.strip())
        )
    ]


_CREATE_FUNCTION = re.compile(
    rf"CREATE\s+(?:OR\s+REPLACE\s+)?(?:FUNCTION|PROCEDURE)\s+(?P<name>{_QNAME})\s*\((?P<rest>.*)\Z",
    _F,
)
_BODY = re.compile(
    r"\$(?P<tag>(?:[^\W\d]\w*)?)\$(?P<dollar>.*?)\$(?P=tag)\$|'(?P<quoted>(?:[^']|'')*)'"
    r"|(?P<atomic>\bBEGIN\s+ATOMIC\b.*)\Z|(?P<return>\bRETURN\b.*)\Z",
    re.IGNORECASE | re.DOTALL,
)
_SECURITY = re.compile(r"\bSECURITY\s+(?P<how>DEFINER|INVOKER)\b", re.IGNORECASE)
_RETURNS_TRIGGER = re.compile(r"\bRETURNS\s+(?:event_)?trigger\b", re.IGNORECASE)
_RETURNS = re.compile(
    rf"\bRETURNS\s+(?P<type>(?:SETOF\s+)?(?:TABLE\b|{_QNAME}(?:\s*\[\s*\])?))", re.IGNORECASE
)
_LANGUAGE = re.compile(r"\bLANGUAGE\s+'?(?P<name>\w+)", re.IGNORECASE)
_CREATE_ENUM = re.compile(rf"CREATE\s+TYPE\s+(?P<name>{_QNAME})\s+AS\s+ENUM\b", _F)
_ALTER_FUNCTION = re.compile(
    rf"ALTER\s+(?:FUNCTION|PROCEDURE)\s+(?P<name>{_QNAME})\s*(?:\([^)]*\))?\s*(?P<rest>.*)\Z", _F
)
_DROP_FUNCTION = re.compile(
    r"DROP\s+(?:FUNCTION|PROCEDURE)\s+(?:IF\s+EXISTS\s+)?(?P<names>.*?)\s*(?:\b(?:CASCADE|RESTRICT)\s*)?\Z",
    _F,
)


def _create_function(statement: str) -> list[Operation]:
    match = _CREATE_FUNCTION.match(statement)
    if match is None:
        return [Unreadable("cannot read this CREATE FUNCTION statement")]
    rest = match.group("rest")
    end = _closing_paren(rest, 0)
    if end < 0:
        return [Unreadable("cannot read the arguments of this CREATE FUNCTION statement")]
    options = rest[end + 1 :]
    body_match = _BODY.search(options)
    body = ""
    if body_match is not None:
        body = next(
            (g for g in body_match.group("dollar", "quoted", "atomic", "return") if g is not None),
            "",
        )
        if body_match.group("quoted") is not None:
            body = body.replace("''", "'")
        options = options[: body_match.start()] + " " + options[body_match.end() :]
    security = _SECURITY.search(options)
    definer = security is not None and security.group("how").upper() == "DEFINER"
    trigger = _RETURNS_TRIGGER.search(options) is not None
    returns = _RETURNS.search(options)
    language = _LANGUAGE.search(options)
    return [
        CreateFunction(
            _unqualify(match.group("name")),
            definer,
            body,
            trigger,
            _return_type(returns.group("type")) if returns else "",
            language.group("name").lower() if language else "",
            _argument_names(rest[:end]),
        )
    ]


_ARGUMENT_MODES = frozenset({"in", "out", "inout", "variadic"})


def _argument_names(arguments: str) -> tuple[str, ...]:
    """`p_user uuid, OUT total int, uuid` -> ("p_user", "total"): an argument written
    with its type only has no name."""
    names = []
    for argument in _split_top_level(arguments)[0]:
        words = argument.split()
        if words and words[0].lower() in _ARGUMENT_MODES:
            words = words[1:]
        if len(words) >= 2 and re.fullmatch(r"[A-Za-z_]\w*", words[0]):
            names.append(words[0].lower())
    return tuple(names)


def _return_type(written: str) -> str:
    """`boolean`, `user_role` (schema dropped), or `setof calls`/`table` as written."""
    words = written.lower().split()
    if words[0] in ("setof", "table"):
        return " ".join(words)
    return _unqualify(written.strip()).lower()


def _create_enum(statement: str) -> list[Operation]:
    match = _CREATE_ENUM.match(statement)
    return [] if match is None else [CreateEnum(_unqualify(match.group("name")))]


def _alter_function(statement: str) -> list[Operation]:
    match = _ALTER_FUNCTION.match(statement)
    if match is None:
        return []
    security = _SECURITY.search(match.group("rest"))
    if security is None:
        return []
    return [
        AlterFunction(_unqualify(match.group("name")), security.group("how").upper() == "DEFINER")
    ]


def _drop_function(statement: str) -> list[Operation]:
    match = _DROP_FUNCTION.match(statement)
    if match is None:
        return []
    names = _split_top_level(match.group("names"))[0]
    return [DropFunctions(tuple(_unqualify(_strip_arguments(n)) for n in names if n.strip()))]


# --- DO blocks -------------------------------------------------------------------------


def _do_block(statement: str) -> list[Operation]:
    from orgscope_lint.rls.dynamic import do_block_operations

    return do_block_operations(statement)


# --- dispatch --------------------------------------------------------------------------

_HEAD = re.compile(
    r"""(?:CREATE\s+(?:OR\s+REPLACE\s+)?(?:(?:GLOBAL|LOCAL)\s+)?(?:(?:TEMP|TEMPORARY)\s+)?
           (?:UNLOGGED\s+|RECURSIVE\s+|MATERIALIZED\s+)?(?:TABLE|POLICY|VIEW|FUNCTION|PROCEDURE|TYPE)
         |ALTER\s+(?:TABLE|POLICY|(?:MATERIALIZED\s+)?VIEW|FUNCTION|PROCEDURE|DEFAULT\s+PRIVILEGES)
         |DROP\s+(?:TABLE|POLICY|(?:MATERIALIZED\s+)?VIEW|FUNCTION|PROCEDURE)
         |GRANT|REVOKE|DO)\b""",
    _F,
)


def _dispatch(statement: str) -> list[Operation]:
    head = _HEAD.match(statement)
    if head is None:
        return []
    words = _words(head.group(0)).split()
    verb, what = words[0], words[-1]
    if verb in ("GRANT", "REVOKE"):
        return _privileges(statement)
    if verb == "DO":
        return _do_block(statement)
    key = (verb, "FUNCTION" if what == "PROCEDURE" else what)
    reader = _BY_KIND.get(key)
    return reader(statement) if reader is not None else []


_BY_KIND = {
    ("CREATE", "TABLE"): _create_table,
    ("ALTER", "TABLE"): _alter_table,
    ("DROP", "TABLE"): _drop_table,
    ("CREATE", "POLICY"): _create_policy,
    ("ALTER", "POLICY"): _alter_policy,
    ("DROP", "POLICY"): _drop_policy,
    ("CREATE", "VIEW"): _create_view,
    ("ALTER", "VIEW"): _alter_view,
    ("DROP", "VIEW"): _drop_view,
    ("CREATE", "FUNCTION"): _create_function,
    ("CREATE", "TYPE"): _create_enum,
    ("ALTER", "FUNCTION"): _alter_function,
    ("DROP", "FUNCTION"): _drop_function,
    ("ALTER", "PRIVILEGES"): _default_privileges,
}
