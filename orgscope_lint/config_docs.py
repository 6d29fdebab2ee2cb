"""What each configuration key means, and the reference page generated from it.

The keys, their types and their defaults come from `config.py` (the key table and the
`Config` defaults); this module adds only what the code cannot say: a sentence on what
the key does and one example value. `docs/configuration.md` is `reference_markdown()`,
written by `python -m orgscope_lint.config_docs docs/configuration.md`; a test fails
when a key has no entry here or when the page is stale.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from orgscope_lint.config import _KEYS, SECTION, Config

# The key table's kinds, as the reference names them.
TYPE_NAMES = {
    "str": "string",
    "bool": "boolean",
    "str-list": "list of strings (one string is a list of one)",
    "str-map": "table of strings",
    "list-map": "table of lists of rule codes",
    "relative-path": "relative path inside the project",
}


@dataclass(frozen=True)
class KeyDoc:
    meaning: str  # Markdown, one paragraph
    example: str  # a TOML value, checked by the tests to load


KEY_DOCS: dict[str, KeyDoc] = {
    "tenant-key": KeyDoc(
        "The column every tenant table is scoped by. A query on a tenant table whose filter "
        "lacks it is ORG001; an insert whose record lacks it is ORG003.",
        '"org_id"',
    ),
    "table-keys": KeyDoc(
        "Per-table tenant column, for tables scoped by another column than `tenant-key`. "
        "A table named here is a tenant table even when no migration shows it.",
        '{ api_keys = "client_id" }',
    ),
    "legacy-keys": KeyDoc(
        "Old tenant columns. Filtering by one of them alone on a table now scoped by "
        "another key is ORG010; a migration column with this name makes a table a "
        "tenant table.",
        '["client_id", "account_id"]',
    ),
    "tenant-tables": KeyDoc(
        "Tables to treat as tenant tables (scoped by `tenant-key`) in addition to those "
        "the migrations show.",
        '["projects", "invoices"]',
    ),
    "schema": KeyDoc(
        "Glob patterns, relative to the project root, of the SQL migrations replayed in "
        "file-name order to learn which tables carry a tenant column. Migrations that undo "
        "others (`*_rollback.sql`, `*.down.sql`, a `down/` folder) are left out unless a "
        "pattern names the file itself.",
        '["db/migrations/*.sql", "supabase/migrations/*.sql"]',
    ),
    "global-tables": KeyDoc(
        "Tables shared by every tenant (plans, catalogues): never reported, whatever their filter.",
        '["plans", "voice_library"]',
    ),
    "db-classes": KeyDoc(
        "Classes whose instances are database services: `x.select(...)`, "
        "`x.update(...)` on one of them are queries, and their methods are helpers.",
        '["DatabaseService", "Repository"]',
    ),
    "rls-bypass-classes": KeyDoc(
        "Database classes that bypass row-level security (a service-role client). "
        "Building one without an org is not ORG011.",
        '["DatabaseAdminService", "ServiceRoleClient"]',
    ),
    "rls-clients": KeyDoc(
        "Query-builder clients that carry the end user's token (an anon-key client with "
        "the user's JWT), so the database's row-level security applies to their queries. "
        "A missing filter on a table whose policies scope the operation is then a warning "
        "(defence in depth). Unlisted builder clients are not assumed to respect RLS: "
        "server code usually holds the service-role key, which bypasses it.",
        '["user_client", "self.client"]',
    ),
    "db-receivers": KeyDoc(
        "Variable and attribute names trusted as database services when no type is "
        "visible (`db.select(...)` where `db` comes from a dependency).",
        '["db", "repo"]',
    ),
    "scoped-helpers": KeyDoc(
        "Helpers that must receive the org, mapped to the parameter that takes it; "
        "calling one without it is ORG004. Added to the built-in ones and to the "
        "helpers inferred from the code; never replaces them.",
        '{ get_agent = "org_id" }',
    ),
    "principal-names": KeyDoc(
        "Names of the authenticated principal: a tenant id read from one of them is "
        "trusted, one read from anywhere else in the request is ORG009. A parameter "
        "FastAPI fills from the dependency named for one of them is the principal too, "
        "whatever it is called (`user = Depends(get_current_user)`; also `require_`, "
        "`fetch_` and `load_`).",
        '["current_user", "principal"]',
    ),
    "owner-keys": KeyDoc(
        "Columns that pin a row to one user. A filter setting one of them to the "
        "principal's own id is narrower than the tenant, so it is safe without the "
        "tenant key.",
        '["user_id", "owner_id"]',
    ),
    "tenant-key-candidates": KeyDoc(
        "Other tenant columns a table may carry. A migration column with one of these "
        "names makes its table a tenant table scoped by that column; `init` proposes "
        "the most common one as `tenant-key`.",
        '["organization_id", "workspace_id"]',
    ),
    "system-dependencies": KeyDoc(
        "FastAPI dependencies that mark a deliberately cross-tenant route (a "
        "platform-admin guard, a webhook signature check): a route that depends on one "
        "is system context and the tenant rules skip it.",
        '["require_platform_admin"]',
    ),
    "exclude": KeyDoc(
        "Gitignore-style patterns of files and directories not to check, relative to "
        "the project root; added to the built-in exclusions (virtualenvs, caches, "
        "`.git`), which always apply. Paths named on the command line are checked "
        "anyway unless `--force-exclude` is given.",
        '["scripts/**", "*_pb2.py", "/setup.py"]',
    ),
    "extend-exclude": KeyDoc(
        "More patterns like `exclude`'s, added to them: for a shared base configuration "
        "that sets `exclude` and a project that adds its own.",
        '["generated/"]',
    ),
    "per-file-ignores": KeyDoc(
        "Glob patterns mapped to the rule codes (or prefixes) not reported in matching files.",
        '{ "tests/**" = ["ORG001"], "scripts/*.py" = ["ORG0"] }',
    ),
    "select": KeyDoc(
        "Rule codes or prefixes to run; empty runs every rule except the opt-in ones "
        "(ORG012 runs only with `--strict` or when selected). `--select` on the command "
        "line replaces it.",
        '["ORG001", "ORG002", "ORG003"]',
    ),
    "ignore": KeyDoc(
        "Rule codes or prefixes never to run. `--ignore` on the command line adds to it.",
        '["ORG011"]',
    ),
    "require-suppression-reason": KeyDoc(
        "When true, a suppression comment without `-- reason` suppresses nothing and is "
        "reported as ORG100.",
        "true",
    ),
    "respect-gitignore": KeyDoc(
        "Skip the files `.gitignore` files (and `.git/info/exclude`) ignore. "
        "`--no-respect-gitignore` turns it off for one run.",
        "false",
    ),
    "cache": KeyDoc(
        "Whether facts, the replayed schema and findings are cached between runs. "
        "`--no-cache` or `ORGSCOPE_LINT_NO_CACHE=1` turn it off for one run.",
        "false",
    ),
    "cache-dir": KeyDoc(
        "Where the cache lives, relative to the project root; it must stay inside the "
        "project (the configuration comes with the checkout). `--cache-dir` and "
        "`ORGSCOPE_LINT_CACHE_DIR` take precedence and may point anywhere.",
        '".cache/orgscope-lint"',
    ),
}


def toml_value(value: object) -> str:
    """A setting as TOML writes it, inline: what the reference and `config` print."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        items = ", ".join(f"{_toml_key(k)} = {toml_value(v)}" for k, v in value.items())
        return "{ " + items + " }"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    raise TypeError(f"no TOML form for {value!r}")


def _toml_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _toml_key(key: str) -> str:
    bare = key.replace("-", "").replace("_", "").isalnum() and key.isascii()
    return key if bare else _toml_string(key)


def default_of(key: str) -> object:
    return getattr(Config(), _KEYS[key][0])


def shown_default(key: str) -> str:
    """The default as the reference prints it; a key unset by default says so."""
    value = default_of(key)
    return "unset" if value is None else toml_value(value)


def reference_markdown() -> str:
    lines = [
        "# Configuration reference",
        "",
        "<!-- Generated by `python -m orgscope_lint.config_docs docs/configuration.md` from",
        "     the key table in orgscope_lint/config.py: edit that, not this page. -->",
        "",
        f"orgscope-lint reads `[tool.{SECTION}]` in `pyproject.toml`, or the same keys at the",
        "top level of `orgscope.toml`, from the first directory holding one, walking up from",
        "the first path checked (`--config FILE` names one). Every key is optional: the",
        "defaults fit a backend shaped like the one in `fixtures/clerk_backend/`. An unknown",
        "key or a value of the wrong type stops the run with exit code 2, naming the file",
        "and the key. `orgscope-lint config` prints the settings in effect and where each",
        "one comes from.",
        "",
        "| key | type | default |",
        "|---|---|---|",
    ]
    for key, (_, kind) in _KEYS.items():
        default = shown_default(key)
        lines.append(f"| [`{key}`](#{key}) | {TYPE_NAMES[kind]} | `{default}` |")
    for key, (_, kind) in _KEYS.items():
        doc = KEY_DOCS[key]
        lines += [
            "",
            f"## `{key}`",
            "",
            doc.meaning,
            "",
            f"Type: {TYPE_NAMES[kind]}. Default: `{shown_default(key)}`.",
            "",
            "```toml",
            f"[tool.{SECTION}]",
            f"{key} = {doc.example}",
            "```",
        ]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    """Write the reference to the file named, or print it."""
    text = reference_markdown()
    if argv:
        Path(argv[0]).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
