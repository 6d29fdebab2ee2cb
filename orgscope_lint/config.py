"""The tenant model's configuration: `[tool.orgscope-lint]` or `orgscope.toml`.

Every key has a default that reproduces the seed's backend, so no configuration is needed
there. Unknown keys and wrong types are errors that name the file and the key.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from orgscope_lint.paths import resolved

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

SECTION = "orgscope-lint"
CONFIG_FILES = ("orgscope.toml", "pyproject.toml")

DEFAULT_SCOPED_HELPERS = {"get_voice": "org_id", "get_call": "org_id", "get_campaign": "org_id"}


class ConfigError(Exception):
    """A configuration problem the user must fix; the CLI exits 2 with this message."""


@dataclass(frozen=True)
class Config:
    tenant_key: str = "clerk_org_id"
    table_keys: Mapping[str, str] = field(default_factory=dict)
    legacy_keys: tuple[str, ...] = ("client_id",)
    tenant_tables: tuple[str, ...] = ()
    schema: tuple[str, ...] = ("**/migrations/**/*.sql",)
    global_tables: tuple[str, ...] = ()
    db_classes: tuple[str, ...] = ("DatabaseService", "DatabaseAdminService")
    rls_bypass_classes: tuple[str, ...] = ("DatabaseAdminService",)
    rls_clients: tuple[str, ...] = ()
    db_receivers: tuple[str, ...] = ("db", "admin_db", "db_admin", "database")
    scoped_helpers: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_SCOPED_HELPERS))
    principal_names: tuple[str, ...] = ("current_user",)
    owner_keys: tuple[str, ...] = ("user_id", "owner_id", "created_by")
    tenant_key_candidates: tuple[str, ...] = (
        "organization_id",
        "org_id",
        "tenant_id",
        "workspace_id",
        "account_id",
    )
    # FastAPI dependencies that mark a deliberately cross-tenant route (a platform-admin
    # guard, a webhook signature check): such routes are system context.
    system_dependencies: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    extend_exclude: tuple[str, ...] = ()
    per_file_ignores: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    require_suppression_reason: bool = False
    respect_gitignore: bool = True
    # The cache: off with `cache = false`; `cache-dir` is relative to the project root.
    cache: bool = True
    cache_dir: str = ".orgscope_cache"
    # Where the configuration was read from; None when running on defaults.
    source: Path | None = None
    root: Path = field(default_factory=Path.cwd)

    @property
    def tenant_like_names(self) -> frozenset[str]:
        """Names ORG006 watches: the keys and the usual spellings of a tenant id."""
        names = {self.tenant_key, "org_id", "tenant_id", "organization_id"}
        names.update(self.table_keys.values())
        names.update(self.legacy_keys)
        return frozenset(names)

    def fingerprint(self) -> str:
        """A stable text of every setting that can change facts or findings."""
        parts = []
        for f in fields(self):
            if f.name in ("source", "root", "cache", "cache_dir"):
                continue
            value = getattr(self, f.name)
            if isinstance(value, Mapping):
                value = sorted(value.items())
            parts.append(f"{f.name}={value!r}")
        return "\n".join(parts)


# key in the file -> (attribute, kind); kind drives validation and conversion.
_KEYS: dict[str, tuple[str, str]] = {
    "tenant-key": ("tenant_key", "str"),
    "table-keys": ("table_keys", "str-map"),
    "legacy-keys": ("legacy_keys", "str-list"),
    "tenant-tables": ("tenant_tables", "str-list"),
    "schema": ("schema", "str-list"),
    "global-tables": ("global_tables", "str-list"),
    "db-classes": ("db_classes", "str-list"),
    "rls-bypass-classes": ("rls_bypass_classes", "str-list"),
    "rls-clients": ("rls_clients", "str-list"),
    "db-receivers": ("db_receivers", "str-list"),
    "scoped-helpers": ("scoped_helpers", "str-map"),
    "principal-names": ("principal_names", "str-list"),
    "owner-keys": ("owner_keys", "str-list"),
    "tenant-key-candidates": ("tenant_key_candidates", "str-list"),
    "system-dependencies": ("system_dependencies", "str-list"),
    "exclude": ("exclude", "str-list"),
    "extend-exclude": ("extend_exclude", "str-list"),
    "per-file-ignores": ("per_file_ignores", "list-map"),
    "select": ("select", "str-list"),
    "ignore": ("ignore", "str-list"),
    "require-suppression-reason": ("require_suppression_reason", "bool"),
    "respect-gitignore": ("respect_gitignore", "bool"),
    "cache": ("cache", "bool"),
    "cache-dir": ("cache_dir", "relative-path"),
}

_KIND_WORDS = {
    "str": "a string",
    "bool": "true or false",
    "str-list": "a list of strings (or one string)",
    "str-map": "a table of string values",
    "list-map": "a table of lists of rule codes",
    "relative-path": "a relative path that stays inside the project",
}


def find_config_file(start: Path) -> Path | None:
    """Walk up from `start` to the first orgscope.toml, or pyproject.toml with our section."""
    here = resolved(start)
    if here.is_file():
        here = here.parent
    for directory in (here, *here.parents):
        for name in CONFIG_FILES:
            candidate = directory / name
            if candidate.is_file() and (name != "pyproject.toml" or _has_section(candidate)):
                return candidate
    return None


_ROOT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git")


def project_root(start: Path) -> Path:
    """Without a configuration file, the nearest directory that looks like a project root;
    migrations are discovered below it."""
    here = resolved(start)
    if not here.is_dir():
        here = here.parent
    for directory in (here, *here.parents):
        if any((directory / marker).exists() for marker in _ROOT_MARKERS):
            return directory
    # No marker anywhere: the folder given (or the file's), never a directory above it:
    # from `/`, a root there would replay every migration on the disk.
    return here


def load_config(explicit: Path | None = None, start: Path | None = None) -> Config:
    path = explicit if explicit is not None else find_config_file(start or Path.cwd())
    if path is None:
        return Config(root=project_root(start or Path.cwd()))
    if not path.is_file():
        raise ConfigError(f"{path}: configuration file not found")
    table = _read_table(path)
    # A configuration found by walking up sits at the project root; one given with
    # --config may live anywhere, so the project is still the one being checked.
    root = project_root(start or Path.cwd()) if explicit is not None else None
    return config_from_mapping(table, source=path, root=root)


def config_from_mapping(
    table: Mapping[str, Any], source: Path | None = None, root: Path | None = None
) -> Config:
    where = str(source) if source else "configuration"
    values: dict[str, Any] = {}
    for key, raw in table.items():
        if key not in _KEYS:
            raise ConfigError(f"{where}: unknown key `{key}`{_suggest(key)}")
        attribute, kind = _KEYS[key]
        values[attribute] = _convert(raw, kind, where, key)
    _check_patterns(values, where)
    if "scoped_helpers" in values:
        # Configured helpers add to the defaults; they never silently remove one.
        values["scoped_helpers"] = {**DEFAULT_SCOPED_HELPERS, **values["scoped_helpers"]}
    if root is None:
        root = source.parent.resolve() if source else Path.cwd()
    return Config(**values, source=source, root=root)


def _has_section(pyproject: Path) -> bool:
    try:
        text = pyproject.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        # Broken TOML that names our section is ours to report, not to skip silently.
        return f"[tool.{SECTION}" in text
    return SECTION in data.get("tool", {})


def _read_table(path: Path) -> Mapping[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read configuration: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    if path.name == "pyproject.toml":
        section = data.get("tool", {}).get(SECTION, {})
        if not isinstance(section, dict):
            raise ConfigError(f"{path}: [tool.{SECTION}] must be a table")
        return section
    return data


def _convert(raw: Any, kind: str, where: str, key: str) -> Any:
    def bad() -> ConfigError:
        return ConfigError(
            f"{where}: `{key}` must be {_KIND_WORDS[kind]}, got {type(raw).__name__} {raw!r}"
        )

    if kind == "str":
        if not isinstance(raw, str) or not raw:
            raise bad()
        return raw
    if kind == "relative-path":
        # The configuration comes with the checkout: it may not send the cache elsewhere.
        if not isinstance(raw, str) or not raw or _escapes(raw):
            raise bad()
        return raw
    if kind == "bool":
        if not isinstance(raw, bool):
            raise bad()
        return raw
    if kind == "str-list":
        if isinstance(raw, str):
            return (raw,)
        if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
            raise bad()
        return tuple(raw)
    if kind == "str-map":
        if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
            raise bad()
        return dict(raw)
    if kind == "list-map":
        if not isinstance(raw, dict):
            raise bad()
        out = {}
        for pattern, codes in raw.items():
            if isinstance(codes, str):
                codes = [codes]
            if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
                raise bad()
            out[pattern] = tuple(codes)
        return out
    raise AssertionError(kind)  # pragma: no cover


def _check_patterns(values: Mapping[str, Any], where: str) -> None:
    """Compile every pattern now: a bad one is a configuration error naming the key and
    the pattern, not a traceback from deep inside the run."""
    import fnmatch
    import re
    import warnings

    import pathspec

    def glob_regex(pattern: str) -> object:
        from orgscope_lint.schema import _glob_regex  # the matcher `schema` is read with

        return _glob_regex(pattern)

    def compile_gitignore(pattern: str) -> object:
        with warnings.catch_warnings():  # `[[id]]`: Python warns of a nested set
            warnings.simplefilter("ignore", FutureWarning)
            return pathspec.GitIgnoreSpec.from_lines([pattern])

    def compile_fnmatch(pattern: str) -> object:
        return re.compile(fnmatch.translate(pattern))

    checks = {
        "schema": ("schema", glob_regex),
        "exclude": ("exclude", compile_gitignore),
        "extend_exclude": ("extend-exclude", compile_gitignore),
        "per_file_ignores": ("per-file-ignores", compile_fnmatch),
    }
    for attribute, (key, compile_one) in checks.items():
        for pattern in values.get(attribute, ()):
            try:
                compile_one(pattern)
            except Exception as exc:  # re.error, pathspec's own errors, ValueError
                reason = str(exc) or type(exc).__name__
                message = f"{where}: `{key}`: invalid pattern {pattern!r}: {reason}"
                raise ConfigError(message) from None


def _escapes(path: str) -> bool:
    from pathlib import PurePosixPath, PureWindowsPath

    parts = PurePosixPath(path.replace("\\", "/")).parts
    return PureWindowsPath(path).is_absolute() or path.startswith("/") or ".." in parts


def _suggest(key: str) -> str:
    import difflib

    close = difflib.get_close_matches(key, _KEYS, n=1)
    return f" (did you mean `{close[0]}`?)" if close else ""
