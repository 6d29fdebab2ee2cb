"""`orgscope-lint init`: propose a `[tool.orgscope-lint]` section from what the project holds.

The tenant key comes from the SQL migrations (the tenant-like column most tables carry),
the DB classes and their scoped helpers from a quick stdlib `ast` scan of the Python files
that define query methods. The section is appended to `pyproject.toml` as text: the rest of
the file stays byte-for-byte as it was, and an existing section is never touched.
"""

from __future__ import annotations

import ast
import json
import re
import sys
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from orgscope_lint.config import SECTION, Config
from orgscope_lint.discovery import discover_configured
from orgscope_lint.project import tenant_row_tables
from orgscope_lint.schema import Schema, load_schema

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

PYPROJECT = "pyproject.toml"
QUERY_METHOD_NAMES = frozenset({"select", "select_one", "insert", "update", "delete"})
# A class defining at least this many of QUERY_METHOD_NAMES is a DB class.
MIN_QUERY_METHODS = 3
# Only files that define a query method are parsed.
_DEFINES_QUERY_METHOD = re.compile(r"\bdef\s+(?:select|select_one|insert|update|delete)\s*\(")
_RLS_BYPASS_HINTS = ("service_role", "service-role", "servicerole")
WIDTH = 92  # longest line of a generated value before it is split


class InitError(Exception):
    """init cannot write the section; `exit_code` says whether it is a refusal (1) or an
    error (2)."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True)
class Proposal:
    tenant_key: str
    key_counts: tuple[tuple[str, int], ...]  # tenant-like column -> tables carrying it
    tables: int  # tables found in the migrations
    migrations: int
    table_keys: Mapping[str, str] = field(default_factory=dict)
    global_candidates: tuple[str, ...] = ()
    db_classes: tuple[str, ...] = ()
    rls_bypass_classes: tuple[str, ...] = ()
    scoped_helpers: Mapping[str, str] = field(default_factory=dict)


# --- discovery -------------------------------------------------------------------------


def propose(root: Path) -> Proposal:
    defaults = Config(root=root)
    candidates = (defaults.tenant_key, *defaults.tenant_key_candidates)
    schema = load_schema(root, defaults.schema)
    columns = {name: info.columns for name, info in schema.tables.items()}
    key, counts = choose_key(columns, candidates, defaults.tenant_key)
    scoping = (key, *candidates, *defaults.legacy_keys)
    classes = scan_classes(defaults)
    db = db_classes(classes)
    return Proposal(
        tenant_key=key,
        key_counts=counts,
        tables=len(columns),
        migrations=len(schema.files),
        table_keys=_other_keys(columns, key, scoping),
        global_candidates=_global_candidates(schema, columns, scoping),
        db_classes=tuple(c.name for c in db),
        rls_bypass_classes=tuple(c.name for c in db if c.bypasses_rls),
        scoped_helpers=scoped_helpers(db, _org_names(defaults, key)),
    )


def _global_candidates(
    schema: Schema, columns: Mapping[str, frozenset[str]], scoping: Sequence[str]
) -> tuple[str, ...]:
    """Tables with no tenant column, less the tenants' own rows and the children of
    tenant tables: those are scoped by their id or through their parent, not global."""
    keyed = {
        name: next(key for key in scoping if key in cols)
        for name, cols in columns.items()
        if cols & set(scoping)
    }
    rows = tenant_row_tables(schema, keyed)
    children = {
        name
        for name, info in schema.tables.items()
        if any(parent in keyed for _, parent in info.references)
    }
    return tuple(sorted(name for name in columns if name not in keyed | rows.keys() | children))


def choose_key(
    tables: Mapping[str, frozenset[str]], candidates: Sequence[str], default: str
) -> tuple[str, tuple[tuple[str, int], ...]]:
    """The tenant-like column most tables carry (ties: the earlier candidate), and the
    counts of every candidate found."""
    counts = Counter(key for columns in tables.values() for key in candidates if key in columns)
    found = tuple((key, counts[key]) for key in candidates if counts[key])
    if not found:
        return default, ()
    best = max(found, key=lambda item: (item[1], -candidates.index(item[0])))
    return best[0], tuple(sorted(found, key=lambda item: -item[1]))


def _other_keys(
    tables: Mapping[str, frozenset[str]], key: str, scoping: Sequence[str]
) -> dict[str, str]:
    """Tables without `key` that carry another tenant-like column: scoped by that one."""
    result = {}
    for name in sorted(tables):
        if key in tables[name]:
            continue
        other = next((column for column in scoping if column in tables[name]), None)
        if other is not None:
            result[name] = other
    return result


def _org_names(defaults: Config, key: str) -> frozenset[str]:
    return frozenset({key, *defaults.tenant_like_names, *defaults.tenant_key_candidates})


@dataclass(frozen=True)
class ClassInfo:
    name: str
    bases: tuple[str, ...]
    methods: Mapping[str, tuple[str, ...]]  # method -> its parameters, `self` excluded
    bypasses_rls: bool


def scan_classes(config: Config) -> list[ClassInfo]:
    """Classes of every Python file that defines a query method, and of the files whose
    classes may subclass one of those (they mention it in a `class` line)."""
    found = discover_configured(config)
    texts = [text for path in found.files if (text := _read(path)) is not None]
    classes = [c for text in texts if _DEFINES_QUERY_METHOD.search(text) for c in _classes(text)]
    names = {c.name for c in db_classes(classes)}
    if names:
        subclassing = re.compile(r"^\s*class\s+\w+\s*\([^)]*\b(?:" + "|".join(names) + r")\b", re.M)
        classes += [
            c
            for text in texts
            if not _DEFINES_QUERY_METHOD.search(text) and subclassing.search(text)
            for c in _classes(text)
        ]
    return classes


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _classes(text: str) -> list[ClassInfo]:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    lines = text.splitlines()
    return [_class_info(node, lines) for node in ast.walk(tree) if isinstance(node, ast.ClassDef)]


def _class_info(node: ast.ClassDef, lines: list[str]) -> ClassInfo:
    methods = {
        item.name: _params(item)
        for item in node.body
        if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))
    }
    body = "\n".join(lines[node.lineno - 1 : node.end_lineno or node.lineno]).lower()
    return ClassInfo(
        name=node.name,
        bases=tuple(_base_name(base) for base in node.bases),
        methods=methods,
        bypasses_rls="admin" in node.name.lower() or any(h in body for h in _RLS_BYPASS_HINTS),
    )


def _params(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[str, ...]:
    args = fn.args
    names = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
    return tuple(names[1:] if names[:1] in (["self"], ["cls"]) else names)


def _base_name(base: ast.expr) -> str:
    if isinstance(base, ast.Attribute):
        return base.attr
    return base.id if isinstance(base, ast.Name) else ""


def db_classes(classes: Iterable[ClassInfo]) -> list[ClassInfo]:
    """Classes defining several query methods, and their subclasses, in name order."""
    classes = list(classes)
    chosen = {
        c.name for c in classes if len(QUERY_METHOD_NAMES & set(c.methods)) >= MIN_QUERY_METHODS
    }
    grew = True
    while grew:
        more = {c.name for c in classes if c.name not in chosen and set(c.bases) & chosen}
        chosen |= more
        grew = bool(more)
    unique = {c.name: c for c in classes if c.name in chosen}
    return [unique[name] for name in sorted(unique)]


def scoped_helpers(classes: Iterable[ClassInfo], org_names: frozenset[str]) -> dict[str, str]:
    """Methods of the DB classes that take an org-like parameter: helper -> parameter."""
    helpers: dict[str, str] = {}
    for cls in classes:
        for method, params in cls.methods.items():
            if method.startswith("__") or method in QUERY_METHOD_NAMES | {"count", "upsert"}:
                continue
            param = next((p for p in params if p in org_names), None)
            if param is not None:
                helpers.setdefault(method, param)
    return dict(sorted(helpers.items()))


# --- the section as TOML text -----------------------------------------------------------


def toml_string(value: str) -> str:
    """A TOML basic string: JSON's escapes are TOML's, DEL aside."""
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else toml_string(key)


def toml_array(values: Sequence[str], indent: str = "    ") -> list[str]:
    """`[...]` on one line when it fits, else one value per line (the last line closes)."""
    one_line = "[" + ", ".join(toml_string(v) for v in values) + "]"
    if len(one_line) <= WIDTH:
        return [one_line]
    return ["[", *(f"{indent}{toml_string(v)}," for v in values), "]"]


def toml_assign_map(name: str, mapping: Mapping[str, str]) -> list[str]:
    """`name = { a = "x" }` when it fits; dotted keys otherwise (an inline table must stay
    on one line)."""
    pairs = [f"{toml_key(k)} = {toml_string(v)}" for k, v in mapping.items()]
    one_line = f"{name} = {{ {', '.join(pairs)} }}"
    if len(one_line) <= WIDTH:
        return [one_line]
    return [f"{name}.{pair}" for pair in pairs]


def toml_assign_array(name: str, values: Sequence[str]) -> list[str]:
    lines = toml_array(values)
    return [f"{name} = {lines[0]}", *lines[1:]]


def _commented(lines: Iterable[str]) -> list[str]:
    return [f"# {line}" for line in lines]


def section_text(proposal: Proposal, newline: str = "\n") -> str:
    blocks = [
        [
            f"[tool.{SECTION}]",
            "# Proposed by `orgscope-lint init`: review each key, then run `orgscope-lint audit`.",
        ],
        _key_block(proposal),
        _schema_block(proposal),
        _table_keys_block(proposal),
        _global_block(proposal),
        _classes_block(proposal),
        _helpers_block(proposal),
    ]
    text = "\n\n".join("\n".join(block) for block in blocks if block) + "\n"
    return text.replace("\n", newline)


def _key_block(p: Proposal) -> list[str]:
    if not p.key_counts:
        why = (
            "No migration table carries a tenant-like column: set this to yours."
            if p.tables
            else "No SQL migration found: set this to your tenant column."
        )
        return [
            f"# The column every tenant-owned table is filtered by. {why}",
            f"tenant-key = {toml_string(p.tenant_key)}",
        ]
    counts = ", ".join(f"{key}: {n}" for key, n in p.key_counts)
    return [
        "# The column every tenant-owned table is filtered by: the tenant-like column most",
        f"# of the {p.tables} tables in the migrations carry ({counts}).",
        f"tenant-key = {toml_string(p.tenant_key)}",
    ]


def _schema_block(p: Proposal) -> list[str]:
    default = toml_assign_array("schema", Config().schema)
    if p.migrations:
        return [
            f"# SQL migrations replayed in file-name order ({p.migrations} found) to learn which",
            "# tables carry the tenant key.",
            *default,
        ]
    return [
        "# Where your SQL migrations are; without any, every table not in `global-tables`",
        "# is treated as a tenant table (or list them in `tenant-tables`).",
        *_commented(default),
        "# tenant-tables = []",
    ]


def _table_keys_block(p: Proposal) -> list[str]:
    if not p.table_keys:
        return []
    return [
        "# Tables scoped by another column than `tenant-key`.",
        *toml_assign_map("table-keys", p.table_keys),
    ]


def _global_block(p: Proposal) -> list[str]:
    if not p.global_candidates:
        return []
    return [
        "# Tables with no tenant column in the migrations: are they shared by every tenant?",
        "# Uncomment to confirm (a global table is never reported); a table that is",
        "# tenant-owned needs its tenant column (or an entry in `table-keys`).",
        *_commented(toml_assign_array("global-tables", p.global_candidates)),
    ]


def _classes_block(p: Proposal) -> list[str]:
    if not p.db_classes:
        return [
            "# Classes whose instances run queries (none found defining several of",
            "# select/select_one/insert/update/delete): name yours.",
            *_commented(toml_assign_array("db-classes", Config().db_classes)),
        ]
    lines = [
        "# Classes whose instances run queries: they define select/insert/update/delete.",
        *toml_assign_array("db-classes", p.db_classes),
    ]
    if p.rls_bypass_classes:
        lines += [
            "",
            "# DB classes whose client bypasses row-level security (an admin or service-role",
            "# key): their filters are the only guard.",
            *toml_assign_array("rls-bypass-classes", p.rls_bypass_classes),
        ]
    return lines


def _helpers_block(p: Proposal) -> list[str]:
    if not p.scoped_helpers:
        return []
    return [
        "# Methods of the DB classes that take the org: every call must pass it.",
        *toml_assign_map("scoped-helpers", p.scoped_helpers),
    ]


# --- writing ---------------------------------------------------------------------------


def existing_config(directory: Path) -> Path | None:
    """The file in `directory` that already configures orgscope-lint, if any."""
    standalone = directory / "orgscope.toml"
    if standalone.is_file():
        return standalone
    pyproject = directory / PYPROJECT
    if pyproject.is_file() and SECTION in _parse(pyproject.read_bytes(), pyproject).get("tool", {}):
        return pyproject
    return None


def append_section(pyproject: Path, section: str) -> None:
    """Append `section` after the file's last byte; refuse if the result is not valid TOML."""
    data = pyproject.read_bytes() if pyproject.exists() else b""
    newline = "\r\n" if b"\r\n" in data else "\n"
    lead = ""
    if data:
        lead = newline if data.endswith(b"\n") else newline * 2
    addition = (lead + section.replace("\n", newline)).encode("utf-8")
    combined = _parse(data + addition, pyproject, after_edit=True)
    if SECTION not in combined.get("tool", {}):
        raise InitError(
            f"{pyproject}: the section would not be read as [tool.{SECTION}]; "
            "add it by hand (`orgscope-lint init --print` shows it)",
            2,
        )
    with pyproject.open("ab") as handle:
        handle.write(addition)


def _parse(data: bytes, path: Path, after_edit: bool = False) -> dict:
    try:
        return tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        if after_edit:
            message = f"{path}: appending the section would make invalid TOML ({exc}); "
            message += "add it by hand (`orgscope-lint init --print` shows it)"
        else:
            message = f"{path}: not valid TOML ({exc}); fix it first, or use --print"
        raise InitError(message, 2) from None


def describe(proposal: Proposal) -> str:
    """One line on what was found, for the person who ran init."""
    parts = [f"tenant-key = {proposal.tenant_key!r}"]
    parts.append(f"{proposal.tables} tables in {proposal.migrations} migrations")
    if proposal.table_keys:
        parts.append(f"{len(proposal.table_keys)} with their own key")
    if proposal.global_candidates:
        parts.append(f"{len(proposal.global_candidates)} global-table candidates (commented)")
    parts.append(f"{len(proposal.db_classes)} DB classes")
    parts.append(f"{len(proposal.scoped_helpers)} scoped helpers")
    return ", ".join(parts)


def init(directory: Path, print_only: bool) -> int:
    """What `orgscope-lint init` does; returns the exit code (0, 1 refused, 2 error)."""
    import click

    if not directory.is_dir():
        click.echo(f"orgscope-lint: error: {directory}: not a directory", err=True)
        return 2
    try:
        configured = None if print_only else existing_config(directory)
        if configured is not None:
            raise InitError(
                f"{configured} already configures orgscope-lint: left as it is "
                "(`orgscope-lint init --print` shows the proposal)",
                1,
            )
        proposal = propose(directory.resolve())
        if print_only:
            click.echo(section_text(proposal), nl=False)
            return 0
        target = directory / PYPROJECT
        append_section(target, section_text(proposal))
    except InitError as exc:
        click.echo(f"orgscope-lint: {'error: ' if exc.exit_code == 2 else ''}{exc}", err=True)
        return exc.exit_code
    click.echo(f"wrote [tool.{SECTION}] to {target}: {describe(proposal)}")
    click.echo(f"next: review it, then run `orgscope-lint audit {directory}`")
    return 0
