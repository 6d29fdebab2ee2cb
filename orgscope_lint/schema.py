"""Schema discovery: replay SQL migrations to learn which tables carry which columns.

The tenant model needs one fact from the database schema: does table `t` have the tenant
key? Migrations answer it when replayed in the order a migration tool runs them. Only the
DDL that shapes tables matters (CREATE / ALTER ADD, DROP, RENAME / DROP TABLE); everything
else a real migration holds (functions, policies, grants, triggers, data) is skipped
without a word, because it is normal, not an error the user could act on.

Statements are split here, not by sqlglot, so that one statement sqlglot cannot read never
costs the rest of its file, and so that only table DDL is ever handed to the parser.
sqlglot's AST is trusted first; a few regular expressions take over for the statements it
gives up on.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import re
import stat
import threading
import warnings
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from orgscope_lint import foreign_keys, unique_keys
from orgscope_lint.discovery import DEFAULT_EXCLUDES
from orgscope_lint.sources import text_encoding

if TYPE_CHECKING:
    from sqlglot import exp
    from sqlglot.dialects.dialect import Dialect

    from orgscope_lint.rls.model import RlsModel

__all__ = ["DEFAULT_SKIP_DIRS", "Schema", "TableInfo", "load_schema"]

# The directories file discovery never enters (globs like `*.egg-info` hold no migrations).
DEFAULT_SKIP_DIRS: frozenset[str] = frozenset(n for n in DEFAULT_EXCLUDES if "*" not in n)


@dataclass(frozen=True, slots=True)
class TableInfo:
    name: str
    columns: frozenset[str]
    # The migration that last created the table or introduced one of its columns: where a
    # user looks to see why the table counts as a tenant table.
    source: str
    # Single-column foreign keys: (column, referenced table), sorted.
    references: tuple[tuple[str, str], ...] = ()
    # The column sets that name one row (primary and unique keys), sorted; None when the
    # table's CREATE was not fully read, so its keys are unknown (`unique_keys.py`).
    unique: tuple[tuple[str, ...], ...] | None = None


@dataclass(frozen=True, slots=True)
class Schema:
    # A plain dict behind the Mapping type, so a Schema pickles to worker processes.
    tables: Mapping[str, TableInfo]
    files: tuple[str, ...]
    unreadable: tuple[tuple[str, str], ...]
    fingerprint: str
    # Row-level security as the migrations leave it (None: not replayed, an old entry).
    rls: RlsModel | None = None

    def table_with_column(self, table: str, column: str) -> bool:
        info = self.tables.get(_unqualify(table))
        return info is not None and column.lower() in info.columns

    @property
    def empty(self) -> bool:
        """No migration file matched; an unreadable one still counts as found."""
        return not self.files and not self.unreadable


def load_schema(
    root: Path,
    patterns: Sequence[str],
    exclude_dirs: Collection[str] = DEFAULT_SKIP_DIRS,
) -> Schema:
    """Replay every migration under `root` matching `patterns`, in migration-tool order.

    `patterns` are globs relative to `root` where `**/` stands for zero or more directories.
    A directory is not entered when its name, or its path relative to `root`, is in
    `exclude_dirs`.
    """
    return replay(read_migrations(root, patterns, exclude_dirs))


@dataclass(frozen=True)
class Migrations:
    """The migration files as read, before any SQL is parsed: enough to key a cache."""

    contents: tuple[tuple[str, bytes | None, str | None, str], ...]  # path, bytes, text, problem
    fingerprint: str


def read_migrations(
    root: Path,
    patterns: Sequence[str],
    exclude_dirs: Collection[str] = DEFAULT_SKIP_DIRS,
) -> Migrations:
    read = tuple(
        (relative, *_read(path)) for relative, path in _discover(root, patterns, exclude_dirs)
    )
    return Migrations(read, _fingerprint([(relative, data) for relative, data, _, _ in read]))


def replay(migrations: Migrations) -> Schema:
    """The schema the migrations leave behind (the costly part: sqlglot parses the DDL)."""
    from orgscope_lint.rls.replay import RlsReplay

    state = _Replay()
    rls = RlsReplay()
    files: list[str] = []
    unreadable: list[tuple[str, str]] = []
    with _quiet_sqlglot():
        for relative, _data, text, problem in migrations.contents:
            if text is None:
                unreadable.append((relative, problem))
                continue
            files.append(relative)
            skipped: list[str] = []
            for line, statement in split_statements_at(text):
                if _too_long(statement, skipped):
                    continue
                for operation in _statement_operations(statement):
                    state.apply(operation, relative)
                # Row-level security is read from the same statements, in the same order.
                rls.observe(statement, relative, line)
            if skipped:
                limit = f"{MAX_STATEMENT_CHARS // 1024} KB"
                heads = ", ".join(f"`{head}`" for head in skipped[:3])
                unreadable.append(
                    (
                        relative,
                        f"{len(skipped)} statement(s) over the {limit} limit skipped: {heads}",
                    )
                )
    return Schema(
        tables=state.result(),
        files=tuple(files),
        unreadable=tuple(unreadable),
        fingerprint=migrations.fingerprint,
        rls=rls.result(),
    )


# --- discovery -------------------------------------------------------------------------


def _discover(
    root: Path, patterns: Sequence[str], exclude_dirs: Collection[str]
) -> list[tuple[str, Path]]:
    """Matching files as (relative posix path, path), sorted as migration tools sort them."""
    matchers = [_glob_regex(pattern) for pattern in patterns]
    if not matchers:
        return []
    # A pattern naming one file replays it whatever its name says.
    named = [m for pattern, m in zip(patterns, matchers, strict=True) if _literal(pattern)]
    found: list[tuple[str, Path]] = []
    top = os.fspath(root)
    # os.walk does not descend into directory symlinks unless told to: a link to a parent
    # directory would otherwise loop, and a link out of the repository is not its schema.
    for directory, subdirectories, filenames in os.walk(top):
        relative_dir = os.path.relpath(directory, top)
        prefix = "" if relative_dir == os.curdir else relative_dir.replace(os.sep, "/") + "/"
        subdirectories[:] = [
            name
            for name in subdirectories
            if name not in exclude_dirs and prefix + name not in exclude_dirs
        ]
        for name in filenames:
            relative = prefix + name
            if not any(matcher.match(relative) for matcher in matchers):
                continue
            if not reverts(relative) or any(m.match(relative) for m in named):
                found.append((relative, Path(directory, name)))
    # Migration tools order by file name, so `001_*` in one folder runs before `002_*` in
    # another; the full path only breaks ties between equal names.
    found.sort(key=lambda item: (item[0].rpartition("/")[2], item[0]))
    return found


# A migration that undoes another (`0034_rollback.sql`, `001_init.down.sql`, a `down/`
# folder): migration tools run it only to go back, so replaying it after the one it
# undoes would drop what the project's database has. (A forward migration named for
# what it reverts, `003_revert_rename.sql`, runs like any other.)
_REVERTING = re.compile(r"(?:^|[/._-])(?:down|rollbacks?)(?:[/._-]|$)", re.IGNORECASE)


def reverts(relative: str) -> bool:
    """Whether the migration at `relative` undoes another, by its name or folder."""
    return _REVERTING.search(relative.rsplit(".", 1)[0] + "/") is not None


def _literal(pattern: str) -> bool:
    """A pattern naming one file, with no glob in it."""
    return not any(c in pattern for c in "*?[")


def _glob_regex(pattern: str) -> re.Pattern[str]:
    """A full-path matcher where `**` spans zero or more directories, `*` stays in one."""
    segments = [s for s in pattern.replace("\\", "/").split("/") if s not in ("", ".")]
    parts: list[str] = []
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == "**":
            parts.append(".*" if last else "(?:[^/]+/)*")
        else:
            parts.append(_segment_regex(segment) + ("" if last else "/"))
    with warnings.catch_warnings():  # `[[]*.sql`: Python warns of a nested set
        warnings.simplefilter("ignore", FutureWarning)
        return re.compile("".join(parts) + r"\Z", re.DOTALL)


def _segment_regex(segment: str) -> str:
    out: list[str] = []
    index = 0
    while index < len(segment):
        char = segment[index]
        index += 1
        if char == "*":
            while index < len(segment) and segment[index] == "*":
                index += 1
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[" and (close := segment.find("]", index + 1)) != -1:
            body = segment[index:close]
            negate = body[:1] in ("!", "^")
            body = body[1:] if negate else body
            out.append("[" + ("^/" if negate else "") + body.replace("\\", "\\\\") + "]")
            index = close + 1
        else:
            out.append(re.escape(char))
    return "".join(out)


# --- reading ---------------------------------------------------------------------------


def _read(path: Path) -> tuple[bytes | None, str | None, str]:
    """(bytes, text, why not): text is None when the file cannot be replayed."""
    try:
        # stat first: reading a FIFO that happens to be named *.sql would block forever.
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            return None, None, "not a regular file"
        if info.st_size > MAX_MIGRATION_BYTES:
            limit = MAX_MIGRATION_BYTES // (1024 * 1024)
            return None, None, f"too large to replay ({info.st_size:,} bytes, limit {limit} MB)"
        data = path.read_bytes()
    except OSError as exc:
        if path.is_symlink() and not path.exists():
            return None, None, "broken symbolic link"
        return None, None, f"cannot read: {exc.strerror or exc}"
    encoding = text_encoding(data)
    try:
        return data, data.decode(encoding), ""
    except UnicodeDecodeError as exc:
        name = "UTF-8" if encoding.startswith("utf-8") else encoding.upper()
        return data, None, f"not valid {name} (byte 0x{data[exc.start]:02x} at offset {exc.start})"


# Bumped when a replayed Schema gains a field: a cached schema of the old shape must miss.
_REPLAY_FORMAT = b"schema-2"


def _fingerprint(contents: Sequence[tuple[str, bytes | None]]) -> str:
    digest = hashlib.sha256(_REPLAY_FORMAT)
    for relative, data in contents:
        # Length prefixes keep ("a", b"bc") and ("ab", b"c") apart; an unreadable file
        # still counts, so that it becoming readable changes the fingerprint.
        name = relative.encode("utf-8", "surrogateescape")
        digest.update(len(name).to_bytes(8, "big") + name)
        if data is None:
            digest.update(b"\xff" * 8)
        else:
            digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


# --- splitting statements --------------------------------------------------------------

# Everything that can hide a `;` from a naive split, plus comments and psql meta-commands.
_LEXEME = re.compile(
    r"""
      (?P<semi>;)
    | (?P<line>--[^\n]*)
    | (?P<block>/\*)
    | (?P<meta>^[ \t]*\\[^\n]*)
    | (?P<estring>(?<![\w$])[Ee]'[^'\\]*(?:(?:\\.|'')[^'\\]*)*(?:'|\Z))
    | (?P<string>'[^']*(?:''[^']*)*(?:'|\Z))
    | (?P<ident>"[^"]*(?:""[^"]*)*(?:"|\Z))
    | (?P<dollar>(?<![\w$])\$(?:[^\W\d]\w*)?\$)
    """,
    re.VERBOSE | re.MULTILINE | re.DOTALL,
)
_BLOCK_COMMENT = re.compile(r"/\*|\*/")
_COPY_FROM_STDIN = re.compile(r"COPY\b.*\bFROM\s+STDIN\b", re.IGNORECASE | re.DOTALL)
_END_OF_COPY_DATA = re.compile(r"^\\\.[ \t]*\r?$", re.MULTILINE)


def _split_statements(sql: str) -> list[str]:
    """Statements of `sql`, stripped, with comments blanked and string literals intact.

    A `;` inside a quoted string, a quoted identifier, a comment or a dollar-quoted body
    (PL/pgSQL functions, DO blocks) does not end a statement.
    """
    return [statement for _, statement in split_statements_at(sql)]


def split_statements_at(sql: str) -> list[tuple[int, str]]:
    """`_split_statements` with the 1-based line each statement starts on."""
    statements: list[tuple[int, str]] = []
    buffer: list[str] = []
    position = 0
    start = -1  # offset of the statement's first character that is not blank
    while position < len(sql):
        match = _LEXEME.search(sql, position)
        if match is None:
            start = _first_text(sql, position, len(sql), start)
            buffer.append(sql[position:])
            break
        start = _first_text(sql, position, match.start(), start)
        buffer.append(sql[position : match.start()])
        kind, end = match.lastgroup, match.end()
        if kind not in ("semi", "line", "meta", "block"):
            start = _first_text(sql, match.start(), end, start)
        if kind == "semi":
            statement = "".join(buffer).strip()
            buffer.clear()
            if statement:
                statements.append((sql.count("\n", 0, max(start, 0)) + 1, statement))
                if _COPY_FROM_STDIN.match(statement):
                    end = _end_of_copy_data(sql, end)
            start = -1
        elif kind in ("line", "meta"):
            # psql meta-commands (`\connect`, pg_dump's `\restrict`) are not SQL.
            buffer.append(" ")
        elif kind == "block":
            end = _end_of_block_comment(sql, match.start())
            buffer.append(" ")
        elif kind == "dollar":
            closing = sql.find(match.group(), end)
            end = len(sql) if closing == -1 else closing + len(match.group())
            buffer.append(sql[match.start() : end])
        else:
            buffer.append(match.group())
        position = end
    statement = "".join(buffer).strip()
    if statement:
        statements.append((sql.count("\n", 0, max(start, 0)) + 1, statement))
    return statements


def _first_text(sql: str, begin: int, end: int, start: int) -> int:
    if start >= 0:
        return start
    match = _NOT_BLANK.search(sql, begin, end)
    return -1 if match is None else match.start()


_NOT_BLANK = re.compile(r"\S")


def _end_of_block_comment(sql: str, start: int) -> int:
    # PostgreSQL block comments nest.
    depth = 0
    for match in _BLOCK_COMMENT.finditer(sql, start):
        depth += 1 if match.group() == "/*" else -1
        if depth == 0:
            return match.end()
    return len(sql)


def _end_of_copy_data(sql: str, start: int) -> int:
    # Rows of `COPY ... FROM stdin` follow the statement up to a `\.` line; they are data.
    match = _END_OF_COPY_DATA.search(sql, start)
    return len(sql) if match is None else match.end()


# --- table operations ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _CreateTable:
    table: str
    columns: tuple[str, ...]
    # LIKE, INHERITS and PARTITION OF tables whose columns the new table starts with.
    copies: tuple[str, ...] = ()
    if_not_exists: bool = False
    references: tuple[tuple[str, str], ...] = ()
    unique: tuple[tuple[str, ...], ...] | None = None  # None: not read (text fallback)


@dataclass(frozen=True, slots=True)
class _AddColumn:
    table: str
    column: str


@dataclass(frozen=True, slots=True)
class _DropColumn:
    table: str
    column: str


@dataclass(frozen=True, slots=True)
class _RenameColumn:
    table: str
    old: str
    new: str


@dataclass(frozen=True, slots=True)
class _RenameTable:
    table: str
    new: str


@dataclass(frozen=True, slots=True)
class _DropTable:
    table: str


@dataclass(frozen=True, slots=True)
class _AddReference:
    table: str
    column: str
    parent: str


@dataclass(frozen=True, slots=True)
class _AddUnique:
    table: str
    columns: tuple[str, ...]  # empty: a key whose columns could not be read


_Operation = (
    _CreateTable
    | _AddColumn
    | _DropColumn
    | _RenameColumn
    | _RenameTable
    | _DropTable
    | _AddReference
    | _AddUnique
)


@dataclass(slots=True)
class _Table:
    columns: set[str]
    source: str
    references: dict[str, str] = field(default_factory=dict)
    # Its keys; None once a CREATE whose keys were not read made it (or none did).
    unique: set[tuple[str, ...]] | None = None
    # A CREATE made it; False for a table only ALTERs have shown so far (created
    # elsewhere, or by a file the replay orders later).
    created: bool = True


@dataclass(slots=True)
class _Replay:
    tables: dict[str, _Table] = field(default_factory=dict)

    def apply(self, operation: _Operation, source: str) -> None:
        tables = self.tables
        if isinstance(operation, _CreateTable):
            earlier = tables.get(operation.table)
            if operation.if_not_exists and earlier is not None and earlier.created:
                return
            if operation.if_not_exists and earlier is not None:
                # Known only from ALTERs that ran on it, from files the replay ordered
                # first (`002_fix.sql` before `schema.sql`): both say what it has.
                earlier.columns |= set(operation.columns)
                earlier.references = {**dict(operation.references), **earlier.references}
                earlier.unique = _keys(operation.unique, earlier.unique)
                earlier.created = True
                return
            # A plain CREATE of an existing table would have failed that migration, so the
            # table was dropped some way this replay cannot see: the new definition wins.
            # Unless the two files carry no sequence (`schema.sql`, `fix-skills.sql`): then
            # which ran first is unknown, and both say what the table has.
            columns = set(operation.columns)
            references = dict(operation.references)
            unique = _keys(operation.unique, set())
            for parent in operation.copies:
                if parent in tables:
                    columns |= tables[parent].columns
            if earlier is not None and _unordered(earlier.source, source):
                columns |= earlier.columns
                references = {**earlier.references, **references}
                unique = _keys(operation.unique, earlier.unique)
            tables[operation.table] = _Table(columns, source, references, unique)
        elif isinstance(operation, _AddColumn):
            # A table no migration created was made elsewhere (a dashboard, an older dump);
            # what the ALTER shows about it is still true.
            table = tables.setdefault(operation.table, _Table(set(), source, created=False))
            table.columns.add(operation.column)
            table.source = source
        elif isinstance(operation, _DropColumn):
            if operation.table in tables:
                table = tables[operation.table]
                table.columns.discard(operation.column)
                table.references.pop(operation.column, None)
                if table.unique is not None:  # dropping a column drops its keys
                    table.unique = {k for k in table.unique if operation.column not in k}
        elif isinstance(operation, _RenameColumn):
            # A renamed column is a new column name as far as the tenant model goes:
            # `RENAME client_id TO clerk_org_id` is where the table gains its key.
            table = tables.setdefault(operation.table, _Table(set(), source, created=False))
            table.columns.discard(operation.old)
            table.columns.add(operation.new)
            table.source = source
            if operation.old in table.references:
                table.references[operation.new] = table.references.pop(operation.old)
            if table.unique is not None:
                renamed = {operation.old: operation.new}
                table.unique = {tuple(renamed.get(c, c) for c in k) for k in table.unique}
        elif isinstance(operation, _RenameTable):
            # Renaming a table no migration created still proves the new name exists.
            tables[operation.new] = tables.pop(operation.table, None) or _Table(set(), source)
            for other in tables.values():  # foreign keys follow the renamed table
                for column, parent in other.references.items():
                    if parent == operation.table:
                        other.references[column] = operation.new
        elif isinstance(operation, _AddReference):
            table = tables.setdefault(operation.table, _Table(set(), source))
            table.references[operation.column] = operation.parent
        elif isinstance(operation, _AddUnique):
            found = tables.get(operation.table)
            if found is not None and found.unique is not None and operation.columns:
                found.unique.add(operation.columns)
            elif found is not None:
                found.unique = None  # a key it could not read
        else:
            tables.pop(operation.table, None)

    def result(self) -> dict[str, TableInfo]:
        return {
            name: TableInfo(
                name=name,
                columns=frozenset(table.columns),
                source=table.source,
                references=tuple(sorted(table.references.items())),
                unique=tuple(sorted(table.unique)) if table.unique is not None else None,
            )
            for name, table in sorted(self.tables.items())
        }


# Bounds on what sqlglot is given: its parse takes seconds per megabyte and memory in
# proportion, and a hand-written migration stays far below both. Beyond them a file or
# a statement is skipped and reported (ORG000), never silently.
MAX_MIGRATION_BYTES = 4 * 1024 * 1024
MAX_STATEMENT_CHARS = 256 * 1024


_SEQUENCED = re.compile(r"(?:[vV]\d|\d)")


def _keys(
    read: tuple[tuple[str, ...], ...] | None, known: set[tuple[str, ...]] | None
) -> set[tuple[str, ...]] | None:
    """The keys a CREATE shows together with those known before it; unknown if either is."""
    return None if read is None or known is None else known | set(read)


def _unordered(first: str, second: str) -> bool:
    """Two different migration files whose names do not both give their order (a leading
    number, timestamp or Flyway `V1__`): the replay's order may not be the one they ran
    in."""
    names = [PurePosixPath(path).name for path in (first, second)]
    return first != second and not all(_SEQUENCED.match(name) for name in names)


def _too_long(statement: str, skipped: list[str] | None) -> bool:
    if len(statement) <= MAX_STATEMENT_CHARS:
        return False
    if skipped is not None:
        skipped.append(statement[:40].split("(", 1)[0].strip())
    return True


def _statement_operations(statement: str) -> Iterator[_Operation]:
    if _DO_HEAD.match(statement):
        yield from _do_block_operations(statement)
    else:
        yield from _ddl_operations(statement)


_TABLE_DDL_HEAD = re.compile(
    r"""(?:CREATE\s+(?:OR\s+REPLACE\s+)?(?:(?:GLOBAL|LOCAL)\s+)?
           (?:(?P<temporary>TEMP|TEMPORARY)\s+|UNLOGGED\s+)?
         |ALTER\s+|DROP\s+)TABLE\b""",
    re.IGNORECASE | re.VERBOSE,
)
_DO_HEAD = re.compile(r"DO\b", re.IGNORECASE)
_UNIQUE_INDEX_HEAD = re.compile(
    r"""CREATE\s+UNIQUE\s+INDEX\b.*?\bON\s+(?:ONLY\s+)?(?P<table>[^\s(]+)""",
    re.IGNORECASE | re.DOTALL,
)
_DO_BODY = re.compile(
    r"""DO\s+(?:LANGUAGE\s+(?P<before>\w+)\s+)?
        (?:\$(?P<tag>(?:[^\W\d]\w*)?)\$(?P<dollar>.*)\$(?P=tag)\$|'(?P<quoted>(?:[^']|'')*)')
        \s*(?:LANGUAGE\s+(?P<after>\w+))?\s*\Z""",
    re.IGNORECASE | re.VERBOSE | re.DOTALL,
)
# Inside PL/pgSQL a statement may follow control-flow words on the same "line" (between two
# semicolons): `IF NOT EXISTS (...) THEN ALTER TABLE ...`. A DDL keyword after anything else
# (`EXECUTE 'ALTER TABLE ' || t`) is dynamic SQL whose table cannot be known.
_EMBEDDED_DDL = re.compile(
    r"(?:\A|\b(?:BEGIN|THEN|ELSE|LOOP)\s+)(?P<ddl>(?:CREATE|ALTER|DROP)\s.*)\Z",
    re.IGNORECASE | re.DOTALL,
)


def _do_block_operations(statement: str) -> Iterator[_Operation]:
    """Table DDL inside `DO $$ ... $$`: migrations use it to add columns idempotently."""
    match = _DO_BODY.match(statement)
    if match is None:
        return
    language = (match.group("before") or match.group("after") or "plpgsql").lower()
    if language != "plpgsql":
        return
    if match.group("quoted") is not None:
        body = match.group("quoted").replace("''", "'")
    else:
        body = match.group("dollar")
    for piece in _split_statements(body):
        embedded = _EMBEDDED_DDL.search(piece)
        if embedded is not None:
            yield from _ddl_operations(embedded.group("ddl"))


def _ddl_operations(statement: str) -> list[_Operation]:
    unique_index = _UNIQUE_INDEX_HEAD.match(statement)
    if unique_index is not None:
        # Not read, it leaves the table's keys unknown rather than wrong.
        unread = _AddUnique(_unqualify(unique_index["table"]), ())
        return _operations_from_ast(statement) or [unread]
    head = _TABLE_DDL_HEAD.match(statement)
    # Temporary tables vanish with the migration's session.
    if head is None or head.group("temporary") or _alters_no_column(statement):
        return []
    operations = _operations_from_ast(statement)
    if operations is None:
        operations = _operations_from_text(statement)
    return operations


def _alters_no_column(statement: str) -> bool:
    """An ALTER TABLE none of whose actions adds, drops or renames anything.

    Saves parsing the most common ALTERs of real migrations (ENABLE ROW LEVEL SECURITY,
    OWNER TO, ALTER COLUMN ... SET DEFAULT), which sqlglot mostly reads as a Command anyway.
    """
    match = _ALTER_TEXT.match(statement)
    if match is None:
        return False
    actions = _split_top_level(match.group("actions"))[0]
    return not any(_COLUMN_OR_TABLE_CHANGE.match(action) for action in actions)


# --- sqlglot ---------------------------------------------------------------------------

# sqlglot is imported on first use: it costs tens of milliseconds to import, which a run
# that never replays a migration (its schema cached elsewhere) should not pay.


@functools.cache
def _postgres() -> Dialect:
    from sqlglot.dialects.dialect import Dialect

    return Dialect.get_or_raise("postgres")


@functools.cache
def _nodes(*names: str) -> tuple[type[exp.Expression], ...]:
    # sqlglot has renamed some nodes across releases (AlterTable -> Alter, RenameTable ->
    # AlterRename); a node this release lacks only sends its statements to the text fallback.
    from sqlglot import exp

    return tuple(getattr(exp, name) for name in names if hasattr(exp, name))


_SQLGLOT_LOGGER = logging.getLogger("sqlglot")
_RENAME_TO = re.compile(r"\bRENAME\s+TO\b", re.IGNORECASE)


class _QuietLogger:
    """Mutes the `sqlglot` logger while any schema load runs, in any thread.

    sqlglot warns whenever it falls back to a raw Command. For migrations that is noise,
    and a count of active loads keeps concurrent loads from restoring the level too early
    or restoring a level another load had set.
    """

    def __init__(self, logger: logging.Logger) -> None:
        self._logger = logger
        self._lock = threading.Lock()
        self._active = 0
        self._saved = logging.NOTSET

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if self._active == 0:
                self._saved = self._logger.level
                self._logger.setLevel(logging.CRITICAL + 1)
            self._active += 1
        try:
            yield
        finally:
            with self._lock:
                self._active -= 1
                if self._active == 0:
                    self._logger.setLevel(self._saved)


_quiet_sqlglot = _QuietLogger(_SQLGLOT_LOGGER)


def _operations_from_ast(statement: str) -> list[_Operation] | None:
    """The statement's table operations, or None when sqlglot did not really read it."""
    from sqlglot import exp
    from sqlglot.errors import ErrorLevel

    try:
        dialect = _postgres()
        parser = dialect.parser(error_level=ErrorLevel.IGNORE)
        expressions = parser.parse(dialect.tokenize(statement), statement)
    except Exception:
        # Any failure inside a third-party parser on arbitrary input must only cost this
        # one statement, which the text fallback then gets.
        return None
    if parser.errors or len(expressions) != 1:
        return None
    expression = expressions[0]
    if isinstance(expression, exp.Create):
        return _create_operations(expression, statement)
    if isinstance(expression, _nodes("Alter", "AlterTable")):
        return _alter_operations(expression, statement)
    if isinstance(expression, exp.Drop):
        return _drop_operations(expression)
    # exp.Command: sqlglot gave up on the statement.
    return None


def _create_operations(create: exp.Create, statement: str) -> list[_Operation] | None:
    from sqlglot import exp

    if str(create.args.get("kind") or "").upper() == "INDEX":
        index = unique_keys.from_index(create)
        return [_AddUnique(*index)] if index is not None else []
    if str(create.args.get("kind") or "").upper() != "TABLE":
        return []
    target = create.this
    schema = target if isinstance(target, exp.Schema) else None
    table = schema.this if schema is not None else target
    if not isinstance(table, exp.Table):
        return None
    elements = schema.expressions if schema is not None else []
    if not _read_every_element(len(elements), statement):
        return None
    properties = create.args.get("properties")
    property_list = properties.expressions if isinstance(properties, exp.Properties) else []
    columns: list[str] = []
    copies: list[str] = []
    for element in elements:
        if isinstance(element, exp.ColumnDef):
            columns.append(element.name.lower())
        elif isinstance(element, exp.LikeProperty) and isinstance(element.this, exp.Table):
            copies.append(element.this.name.lower())
    for prop in property_list:
        if isinstance(prop, exp.InheritsProperty):
            copies.extend(t.name.lower() for t in prop.expressions if isinstance(t, exp.Table))
        elif isinstance(prop, exp.PartitionedOfProperty) and isinstance(prop.this, exp.Table):
            copies.append(prop.this.name.lower())
    return [
        _CreateTable(
            table=table.name.lower(),
            columns=tuple(columns),
            copies=tuple(copies),
            if_not_exists=bool(create.args.get("exists")),
            references=tuple(foreign_keys.from_elements(elements)),
            unique=tuple(dict.fromkeys(unique_keys.from_elements(elements))),
        )
    ]


def _alter_operations(alter: exp.Expression, statement: str) -> list[_Operation] | None:
    from sqlglot import exp

    if str(alter.args.get("kind") or "").upper() != "TABLE" or not isinstance(
        alter.this, exp.Table
    ):
        return None
    actions = alter.args.get("actions") or []
    if not _read_every_element(len(actions), statement):
        return None
    table = alter.this.name.lower()
    operations: list[_Operation] = []
    for action in actions:
        if isinstance(action, exp.ColumnDef):
            operations.append(_AddColumn(table, action.name.lower()))
        elif isinstance(action, exp.Drop):
            if str(action.args.get("kind") or "").upper() == "COLUMN":
                operations.extend(
                    _DropColumn(table, column.name.lower())
                    for column in action.args.get("tables") or ()
                )
        elif isinstance(action, _nodes("RenameColumn")):
            old, new = action.this, action.args.get("to")
            if old is None or new is None:
                return None
            operations.append(_RenameColumn(table, old.name.lower(), new.name.lower()))
        elif isinstance(action, _nodes("AlterRename", "RenameTable")):
            # sqlglot reads PostgreSQL's `RENAME a TO b` (COLUMN omitted) as a table
            # rename to `a`; only a literal `RENAME TO` is one.
            if not _RENAME_TO.search(statement) or not isinstance(action.this, exp.Table):
                return None
            operations.append(_RenameTable(table, action.this.name.lower()))
    operations.extend(
        _AddReference(table, column, parent)
        for column, parent in foreign_keys.from_elements(actions)
    )
    operations.extend(_AddUnique(table, key) for key in unique_keys.from_elements(actions))
    return operations


def _read_every_element(count: int, statement: str) -> bool:
    """Whether sqlglot kept every element of a column list or every ALTER action.

    Without an error, sqlglot can still stop at an action it does not know and drop the
    rest: `ADD COLUMN a int, SET (fillfactor = 50), ADD COLUMN b int` yields one action.
    """
    if match := _CREATE_TEXT.match(statement):
        rest = match.group("rest")
        if not rest.startswith("("):
            return True
        listed = _split_top_level(rest[1:])[0]
    elif match := _ALTER_TEXT.match(statement):
        listed = _split_top_level(match.group("actions"))[0]
    else:
        return True
    return count == sum(1 for element in listed if element.strip())


def _drop_operations(drop: exp.Drop) -> list[_Operation]:
    from sqlglot import exp

    if str(drop.args.get("kind") or "").upper() != "TABLE":
        return []
    return [
        _DropTable(table.name.lower())
        for table in drop.args.get("tables") or ()
        if isinstance(table, exp.Table)
    ]


# --- text fallback ---------------------------------------------------------------------

_IDENT = r'(?:"(?:[^"]|"")+"|[^\s."(),;]+)'
_QNAME = rf"{_IDENT}(?:\s*\.\s*{_IDENT})*"
_FLAGS = re.IGNORECASE | re.DOTALL | re.VERBOSE

_CREATE_TEXT = re.compile(
    rf"""CREATE\s+(?:OR\s+REPLACE\s+)?(?:(?:GLOBAL|LOCAL)\s+)?(?:UNLOGGED\s+)?TABLE\s+
         (?P<if_not_exists>IF\s+NOT\s+EXISTS\s+)?(?P<name>{_QNAME})\s*(?P<rest>.*)\Z""",
    _FLAGS,
)
_ALTER_TEXT = re.compile(
    rf"""ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?(?P<name>{_QNAME})\s*\*?\s*
         (?P<actions>.*)\Z""",
    _FLAGS,
)
_DROP_TEXT = re.compile(
    r"DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?P<names>.*?)\s*(?:\b(?:CASCADE|RESTRICT)\s*)?\Z",
    _FLAGS,
)
_NOT_A_COLUMN = r"(?:CONSTRAINT|PRIMARY|UNIQUE|CHECK|FOREIGN|EXCLUDE)\b"
_ADD_COLUMN_TEXT = re.compile(
    rf"ADD\s+(?:COLUMN\s+)?(?:IF\s+NOT\s+EXISTS\s+)?(?!{_NOT_A_COLUMN})(?P<column>{_IDENT})",
    _FLAGS,
)
_DROP_COLUMN_TEXT = re.compile(
    rf"DROP\s+(?:COLUMN\s+)?(?:IF\s+EXISTS\s+)?(?!CONSTRAINT\b)(?P<column>{_IDENT})", _FLAGS
)
_RENAME_TABLE_TEXT = re.compile(rf"RENAME\s+TO\s+(?P<new>{_QNAME})", _FLAGS)
_RENAME_COLUMN_TEXT = re.compile(
    rf"RENAME\s+(?:COLUMN\s+)?(?!CONSTRAINT\b)(?P<old>{_IDENT})\s+TO\s+(?P<new>{_IDENT})",
    _FLAGS,
)
_ELEMENT_TEXT = re.compile(rf"\s*(?P<first>{_IDENT})(?:\s+(?P<second>{_QNAME}))?", _FLAGS)
_AFTER_COLUMNS_TEXT = re.compile(r"\s*INHERITS\s*\((?P<parents>[^)]*)\)", _FLAGS)
_PARTITION_OF_TEXT = re.compile(rf"PARTITION\s+OF\s+(?P<parent>{_QNAME})", _FLAGS)
_IDENT_RE = re.compile(_IDENT)
_KEY_TEXT = re.compile(r"\b(?:UNIQUE|PRIMARY\s+KEY)\b", re.IGNORECASE)
_COLUMN_OR_TABLE_CHANGE = re.compile(r"\s*(?:ADD|DROP|RENAME)\b", re.IGNORECASE)


def _operations_from_text(statement: str) -> list[_Operation]:
    """The table DDL forms the tenant model needs, read with regular expressions."""
    if match := _CREATE_TEXT.match(statement):
        return _create_from_text(match)
    if match := _ALTER_TEXT.match(statement):
        return _alter_from_text(_unqualify(match.group("name")), match.group("actions"))
    if match := _DROP_TEXT.match(statement):
        names, _ = _split_top_level(match.group("names"))
        return [_DropTable(_unqualify(name)) for name in names if name.strip()]
    return []


def _create_from_text(match: re.Match[str]) -> list[_Operation]:
    rest = match.group("rest")
    columns: list[str] = []
    copies: list[str] = []
    references: list[tuple[str, str]] = []
    if rest.startswith("("):
        elements, rest = _split_top_level(rest[1:])
        for element in elements:
            if reference := foreign_keys.from_text(element):
                references.append(reference)
            parsed = _ELEMENT_TEXT.match(element)
            if parsed is None:
                continue
            first = parsed.group("first")
            if first.upper() == "LIKE" and parsed.group("second"):
                copies.append(_unqualify(parsed.group("second")))
            elif not re.fullmatch(_NOT_A_COLUMN, first, re.IGNORECASE):
                columns.append(_unquote(first))
        if inherits := _AFTER_COLUMNS_TEXT.match(rest):
            copies.extend(_unqualify(p) for p in inherits.group("parents").split(",") if p.strip())
    elif partition := _PARTITION_OF_TEXT.match(rest):
        copies.append(_unqualify(partition.group("parent")))
    # Anything else (`AS SELECT ...`): the table exists, its columns are unknown.
    return [
        _CreateTable(
            table=_unqualify(match.group("name")),
            columns=tuple(columns),
            copies=tuple(copies),
            if_not_exists=match.group("if_not_exists") is not None,
            references=tuple(references),
        )
    ]


def _alter_from_text(table: str, actions: str) -> list[_Operation]:
    operations: list[_Operation] = []
    parts, _ = _split_top_level(actions)
    for action in (part.strip() for part in parts):
        if reference := foreign_keys.from_text(action):
            operations.append(_AddReference(table, *reference))
        if match := _RENAME_TABLE_TEXT.match(action):
            operations.append(_RenameTable(table, _unqualify(match.group("new"))))
        elif match := _RENAME_COLUMN_TEXT.match(action):
            old, new = _unquote(match.group("old")), _unquote(match.group("new"))
            operations.append(_RenameColumn(table, old, new))
        elif match := _ADD_COLUMN_TEXT.match(action):
            operations.append(_AddColumn(table, _unquote(match.group("column"))))
        elif match := _DROP_COLUMN_TEXT.match(action):
            operations.append(_DropColumn(table, _unquote(match.group("column"))))
        if _KEY_TEXT.search(action):
            operations.append(_AddUnique(table, ()))  # a key it could not read
    return operations


def _split_top_level(text: str) -> tuple[list[str], str]:
    """Split on commas outside parentheses and quotes, up to an unmatched `)`.

    Returns the parts and whatever follows that `)` (empty when there is none).
    """
    parts: list[str] = []
    depth, quote, start = 0, "", 0
    for index, char in enumerate(text):
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            if depth == 0:
                parts.append(text[start:index])
                return parts, text[index + 1 :]
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return parts, ""


# --- names -----------------------------------------------------------------------------


def _unqualify(name: str) -> str:
    """`public.calls`, `"public"."Calls"` -> `calls`: the tenant model is schema-blind."""
    parts = _IDENT_RE.findall(name.strip())
    return _unquote(parts[-1]) if parts else name.strip().lower()


def _unquote(identifier: str) -> str:
    if len(identifier) >= 2 and identifier[0] == identifier[-1] == '"':
        identifier = identifier[1:-1].replace('""', '"')
    return identifier.lower()
