"""Configuration: defaults, every key from both files, errors that name the file and the
key (exit 2), where the file is found, and what the tenant-model keys change."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from conftest import CliResult, run_cli

from orgscope_lint.config import (
    DEFAULT_SCOPED_HELPERS,
    Config,
    ConfigError,
    find_config_file,
    load_config,
)

# ------------------------------------------------------------------------ defaults


def test_defaults_reproduce_the_seed_backend() -> None:
    config = Config()
    assert config.tenant_key == "clerk_org_id"
    assert dict(config.table_keys) == {}
    assert config.legacy_keys == ("client_id",)
    assert config.tenant_tables == ()
    assert config.schema == ("**/migrations/**/*.sql",)
    assert config.global_tables == ()
    assert config.db_classes == ("DatabaseService", "DatabaseAdminService")
    assert config.rls_bypass_classes == ("DatabaseAdminService",)
    assert config.db_receivers == ("db", "admin_db", "db_admin", "database")
    assert dict(config.scoped_helpers) == {
        "get_voice": "org_id",
        "get_call": "org_id",
        "get_campaign": "org_id",
    }
    assert config.principal_names == ("current_user",)
    assert config.owner_keys == ("user_id", "owner_id", "created_by")
    assert config.tenant_key_candidates == (
        "organization_id",
        "org_id",
        "tenant_id",
        "workspace_id",
        "account_id",
    )
    assert (config.exclude, config.select, config.ignore) == ((), (), ())
    assert dict(config.per_file_ignores) == {}


def test_no_configuration_file_runs_on_defaults(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    config = load_config(start=tmp_path / "app")
    assert config.source is None
    assert config.tenant_key == "clerk_org_id"


# ------------------------------------------------------------------------ every key

# key -> (TOML value, attribute, the value it must load as)
KEYS: dict[str, tuple[str, str, object]] = {
    "tenant-key": ('"org_id"', "tenant_key", "org_id"),
    "table-keys": ('{api_keys = "client_id"}', "table_keys", {"api_keys": "client_id"}),
    "legacy-keys": ('["client_id", "account"]', "legacy_keys", ("client_id", "account")),
    "tenant-tables": ('["calls", "voices"]', "tenant_tables", ("calls", "voices")),
    "schema": ('["db/schema/*.sql"]', "schema", ("db/schema/*.sql",)),
    "global-tables": ('["plans"]', "global_tables", ("plans",)),
    "db-classes": ('["Repo"]', "db_classes", ("Repo",)),
    "rls-bypass-classes": ('["AdminRepo"]', "rls_bypass_classes", ("AdminRepo",)),
    "db-receivers": ('["repo", "store"]', "db_receivers", ("repo", "store")),
    "scoped-helpers": (
        '{get_agent = "org_id"}',
        "scoped_helpers",
        {**DEFAULT_SCOPED_HELPERS, "get_agent": "org_id"},
    ),
    "principal-names": ('["user", "principal"]', "principal_names", ("user", "principal")),
    "owner-keys": ('["author_id"]', "owner_keys", ("author_id",)),
    "tenant-key-candidates": ('["team_id"]', "tenant_key_candidates", ("team_id",)),
    "exclude": ('["scripts/**"]', "exclude", ("scripts/**",)),
    "extend-exclude": ('["generated"]', "extend_exclude", ("generated",)),
    "per-file-ignores": (
        '{"tests/**" = ["ORG001", "ORG004"], "scripts/*.py" = "ORG006"}',
        "per_file_ignores",
        {"tests/**": ("ORG001", "ORG004"), "scripts/*.py": ("ORG006",)},
    ),
    "select": ('["ORG00", "ORG010"]', "select", ("ORG00", "ORG010")),
    "ignore": ('["ORG006"]', "ignore", ("ORG006",)),
    "require-suppression-reason": ("true", "require_suppression_reason", True),
    "respect-gitignore": ("false", "respect_gitignore", False),
}


def _loaded(value: object) -> object:
    return dict(value) if hasattr(value, "items") else value  # type: ignore[call-overload]


@pytest.mark.parametrize(("toml", "attribute", "expected"), KEYS.values(), ids=KEYS.keys())
def test_every_key_parses_from_pyproject(
    tmp_path: Path, toml: str, attribute: str, expected: object
) -> None:
    key = next(k for k, v in KEYS.items() if v == (toml, attribute, expected))
    path = tmp_path / "pyproject.toml"
    path.write_text(
        f'[project]\nname = "x"\n\n[tool.orgscope-lint]\n{key} = {toml}\n', encoding="utf-8"
    )
    config = load_config(start=tmp_path)
    assert _loaded(getattr(config, attribute)) == expected
    assert config.source is not None and config.source.resolve() == path.resolve()


@pytest.mark.parametrize(("toml", "attribute", "expected"), KEYS.values(), ids=KEYS.keys())
def test_every_key_parses_from_orgscope_toml(
    tmp_path: Path, toml: str, attribute: str, expected: object
) -> None:
    key = next(k for k, v in KEYS.items() if v == (toml, attribute, expected))
    path = tmp_path / "orgscope.toml"
    path.write_text(f"{key} = {toml}\n", encoding="utf-8")
    config = load_config(start=tmp_path / "some" / "file.py")
    assert _loaded(getattr(config, attribute)) == expected
    assert config.source is not None and config.source.resolve() == path.resolve()


def test_all_keys_together(tmp_path: Path) -> None:
    lines = [f"{key} = {toml}" for key, (toml, _, _) in KEYS.items()]
    (tmp_path / "orgscope.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = load_config(start=tmp_path)
    for toml, attribute, expected in KEYS.values():
        assert _loaded(getattr(config, attribute)) == expected, (attribute, toml)


def test_a_single_string_where_a_list_is_expected(tmp_path: Path) -> None:
    (tmp_path / "orgscope.toml").write_text('legacy-keys = "client_id"\n', encoding="utf-8")
    assert load_config(start=tmp_path).legacy_keys == ("client_id",)


def test_configuration_root_is_the_file_directory(tmp_path: Path) -> None:
    (tmp_path / "orgscope.toml").write_text('tenant-key = "org_id"\n', encoding="utf-8")
    (tmp_path / "app" / "api").mkdir(parents=True)
    config = load_config(start=tmp_path / "app" / "api")
    assert config.root == tmp_path.resolve()


# ------------------------------------------------------------------------ errors: exit 2


def _check(cwd: Path, *args: str) -> CliResult:
    result = run_cli(["check", *args], cwd=cwd)
    assert "Traceback" not in result.stdout + result.stderr
    return result


def _project(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


BUG = 'def f(db, i):\n    db.delete("calls", {"id": i})\n'


@pytest.mark.parametrize("file_name", ["pyproject.toml", "orgscope.toml"])
def test_unknown_key_is_an_error_naming_file_and_key(tmp_path: Path, file_name: str) -> None:
    header = "[tool.orgscope-lint]\n" if file_name == "pyproject.toml" else ""
    _project(tmp_path, {file_name: header + 'tenant-key = "org_id"\nfavourite-colour = "red"\n'})
    _project(tmp_path, {"app.py": BUG})
    result = _check(tmp_path, "app.py")
    assert result.exit_code == 2
    assert str(tmp_path.resolve() / file_name) in result.stderr
    assert "favourite-colour" in result.stderr
    assert result.stdout == ""


def test_typo_of_a_key_suggests_the_right_one(tmp_path: Path) -> None:
    _project(tmp_path, {"pyproject.toml": '[tool.orgscope-lint]\ntenant_key = "org_id"\n'})
    result = _check(tmp_path, ".")
    assert result.exit_code == 2
    assert "tenant_key" in result.stderr
    assert "did you mean `tenant-key`" in result.stderr


WRONG_TYPES: dict[str, tuple[str, str]] = {
    "tenant-key-number": ("tenant-key = 3", "tenant-key"),
    "tenant-key-empty": ('tenant-key = ""', "tenant-key"),
    "legacy-keys-numbers": ("legacy-keys = [1]", "legacy-keys"),
    "legacy-keys-mixed": ('legacy-keys = ["client_id", 2]', "legacy-keys"),
    "table-keys-list": ('table-keys = ["api_keys"]', "table-keys"),
    "table-keys-number-value": ("table-keys = {api_keys = 1}", "table-keys"),
    "scoped-helpers-list": ('scoped-helpers = ["get_agent"]', "scoped-helpers"),
    "global-tables-table": ("global-tables = {plans = true}", "global-tables"),
    "per-file-ignores-number": ('per-file-ignores = {"tests/**" = 1}', "per-file-ignores"),
    "per-file-ignores-list": ('per-file-ignores = ["tests/**"]', "per-file-ignores"),
    "respect-gitignore-string": ('respect-gitignore = "yes"', "respect-gitignore"),
    "select-number": ("select = 1", "select"),
}


@pytest.mark.parametrize(("line", "key"), WRONG_TYPES.values(), ids=WRONG_TYPES.keys())
def test_wrong_type_is_an_error_naming_the_key(tmp_path: Path, line: str, key: str) -> None:
    _project(tmp_path, {"orgscope.toml": line + "\n", "app.py": BUG})
    result = _check(tmp_path, "app.py")
    assert result.exit_code == 2
    assert f"`{key}`" in result.stderr
    assert str(tmp_path.resolve() / "orgscope.toml") in result.stderr


def test_section_that_is_not_a_table(tmp_path: Path) -> None:
    _project(tmp_path, {"pyproject.toml": '[tool]\norgscope-lint = "on"\n', "app.py": BUG})
    result = _check(tmp_path, "app.py")
    assert result.exit_code == 2
    assert "tool.orgscope-lint" in result.stderr


def test_invalid_toml_in_orgscope_toml(tmp_path: Path) -> None:
    _project(tmp_path, {"orgscope.toml": "tenant-key = \n", "app.py": BUG})
    result = _check(tmp_path, "app.py")
    assert result.exit_code == 2
    assert "orgscope.toml" in result.stderr
    assert "invalid TOML" in result.stderr


def test_invalid_toml_in_an_explicit_pyproject(tmp_path: Path) -> None:
    _project(tmp_path, {"pyproject.toml": "[tool.orgscope-lint\ntenant-key = 1\n", "app.py": BUG})
    result = _check(tmp_path, "--config", "pyproject.toml", "app.py")
    assert result.exit_code == 2
    assert "pyproject.toml" in result.stderr
    assert "invalid TOML" in result.stderr


def test_invalid_toml_in_a_discovered_pyproject_with_our_section(tmp_path: Path) -> None:
    _project(
        tmp_path,
        {
            "pyproject.toml": '[tool.orgscope-lint]\ntenant-key = "org_id"\nglobal-tables = [\n',
            "app.py": BUG,
        },
    )
    result = _check(tmp_path, "app.py")
    assert result.exit_code == 2
    assert "pyproject.toml" in result.stderr


def test_unknown_key_error_also_from_explicit_config(tmp_path: Path) -> None:
    _project(tmp_path, {"conf/lint.toml": "tenant-keys = 'org_id'\n", "app.py": BUG})
    result = _check(tmp_path, "--config", "conf/lint.toml", "app.py")
    assert result.exit_code == 2
    assert "lint.toml" in result.stderr
    assert "tenant-keys" in result.stderr
    assert "did you mean `tenant-key`" in result.stderr


def test_missing_explicit_config_is_an_error(tmp_path: Path) -> None:
    _project(tmp_path, {"app.py": BUG})
    result = _check(tmp_path, "--config", "nowhere.toml", "app.py")
    assert result.exit_code == 2
    assert "nowhere.toml" in result.stderr


# ------------------------------------------------------------------------ finding the file


def _findings(result: CliResult) -> list[tuple[str, int, str]]:
    assert "Traceback" not in result.stdout + result.stderr
    return [(f["path"], f["line"], f["code"]) for f in json.loads(result.stdout)["findings"]]


ORG_ID_API = """
def scoped(db, org_id, i):
    db.delete("calls", {"id": i, "org_id": org_id})

def legacy(db, org, i):
    db.delete("calls", {"id": i, "clerk_org_id": org})
"""


def test_explicit_config_file_wins_over_discovered_one(tmp_path: Path) -> None:
    _project(
        tmp_path,
        {
            "orgscope.toml": 'tenant-key = "clerk_org_id"\n',
            "conf/custom.toml": 'tenant-key = "org_id"\n',
            "api.py": ORG_ID_API,
        },
    )
    default = _check(tmp_path, "api.py", "--output-format", "json")
    assert _findings(default) == [("api.py", 3, "ORG001")]
    explicit = _check(tmp_path, "api.py", "--config", "conf/custom.toml", "--output-format", "json")
    assert _findings(explicit) == [("api.py", 6, "ORG001")]


def test_explicit_pyproject_reads_its_section(tmp_path: Path) -> None:
    _project(
        tmp_path,
        {
            "settings/pyproject.toml": '[tool.orgscope-lint]\ntenant-key = "org_id"\n',
            "api.py": ORG_ID_API,
        },
    )
    result = _check(
        tmp_path, "api.py", "--config", "settings/pyproject.toml", "--output-format", "json"
    )
    assert _findings(result) == [("api.py", 6, "ORG001")]


def test_config_found_by_walking_up_from_the_first_path(tmp_path: Path) -> None:
    _project(
        tmp_path,
        {
            # The working directory's own configuration must not be the one used.
            "orgscope.toml": 'tenant-key = "clerk_org_id"\n',
            "service/orgscope.toml": 'tenant-key = "org_id"\n',
            "service/app/api/calls.py": ORG_ID_API,
        },
    )
    result = _check(tmp_path, "service/app/api", "--output-format", "json")
    assert _findings(result) == [("service/app/api/calls.py", 6, "ORG001")]
    found = find_config_file(tmp_path / "service" / "app" / "api" / "calls.py")
    assert found == (tmp_path / "service" / "orgscope.toml").resolve()


def test_pyproject_without_our_section_is_skipped(tmp_path: Path) -> None:
    _project(
        tmp_path,
        {
            "pyproject.toml": '[tool.orgscope-lint]\ntenant-key = "org_id"\n',
            "service/pyproject.toml": "[project]\nname = 'service'\n\n[tool.ruff]\n",
            "service/api.py": ORG_ID_API,
        },
    )
    result = _check(tmp_path / "service", "api.py", "--output-format", "json")
    assert _findings(result) == [("api.py", 6, "ORG001")]


def test_orgscope_toml_wins_over_pyproject_in_the_same_directory(tmp_path: Path) -> None:
    _project(
        tmp_path,
        {
            "pyproject.toml": '[tool.orgscope-lint]\ntenant-key = "clerk_org_id"\n',
            "orgscope.toml": 'tenant-key = "org_id"\n',
        },
    )
    assert load_config(start=tmp_path).tenant_key == "org_id"


def test_config_error_is_raised_for_unknown_key_by_the_loader(tmp_path: Path) -> None:
    (tmp_path / "orgscope.toml").write_text("exlude = ['x']\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"unknown key `exlude`.*did you mean `exclude`"):
        load_config(start=tmp_path)


# ------------------------------------------------------------------------ tenant model keys

MIGRATION = "create table calls (id uuid primary key, clerk_org_id text not null);\n"


def test_table_keys_make_a_table_a_tenant_table_with_that_key(tmp_path: Path) -> None:
    api = """
    def f(db, i, client_id):
        db.select("api_keys", {"id": i})
        db.select("api_keys", {"id": i, "client_id": client_id})
        db.select("api_keys", {"id": i, "clerk_org_id": client_id})
    """
    unkeyed = "\n".join(line for line in api.splitlines() if "clerk_org_id" not in line)
    _project(tmp_path, {"migrations/001_init.sql": MIGRATION, "api.py": unkeyed})
    without = _check(tmp_path, "api.py", "--output-format", "json")
    # The schema knows only `calls`, and no query keys `api_keys` by the tenant key.
    assert _findings(without) == []
    (tmp_path / "api.py").write_text(textwrap.dedent(api), encoding="utf-8")
    (tmp_path / "orgscope.toml").write_text(
        'table-keys = { api_keys = "client_id" }\n', encoding="utf-8"
    )
    result = _check(tmp_path, "api.py", "--output-format", "json")
    entries = json.loads(result.stdout)["findings"]
    assert [(f["line"], f["code"]) for f in entries] == [(3, "ORG001"), (5, "ORG001")]
    assert "`client_id`" in entries[0]["message"]


def test_table_keys_override_the_key_the_schema_gives(tmp_path: Path) -> None:
    api = """
    def f(db, i, org):
        db.select("calls", {"id": i, "clerk_org_id": org})
        db.select("calls", {"id": i, "team": org})
    """
    _project(
        tmp_path,
        {
            "migrations/001_init.sql": MIGRATION,
            "orgscope.toml": 'table-keys = { calls = "team" }\n',
            "api.py": api,
        },
    )
    result = _check(tmp_path, "api.py", "--output-format", "json")
    assert _findings(result) == [("api.py", 3, "ORG001")]


@pytest.mark.parametrize("with_schema", [False, True], ids=["assumed", "from-schema"])
def test_global_tables_are_never_reported(tmp_path: Path, with_schema: bool) -> None:
    api = """
    def f(db, i):
        db.select("plans", {"id": i})
        db.delete("plans")
        db.insert("plans", {"name": "pro"})
        db.select("calls", {"id": i})
    """
    files = {"api.py": api}
    if with_schema:
        files["migrations/001_init.sql"] = MIGRATION + (
            "create table plans (id uuid primary key, clerk_org_id text, name text);\n"
        )
    _project(tmp_path, files)
    before = _findings(_check(tmp_path, "api.py", "--output-format", "json"))
    assert {line for _, line, _ in before} == {3, 4, 5, 6}
    (tmp_path / "orgscope.toml").write_text('global-tables = ["plans"]\n', encoding="utf-8")
    after = _findings(_check(tmp_path, "api.py", "--output-format", "json"))
    assert after == [("api.py", 6, "ORG001")]


def test_scoped_helpers_add_to_the_defaults(tmp_path: Path) -> None:
    api = """
    def f(db, agent_id, call_id, org_id):
        db.get_agent(agent_id)
        db.get_call(call_id)
        db.get_agent(agent_id, org_id=org_id)
    """
    _project(tmp_path, {"api.py": api})
    before = _findings(_check(tmp_path, "api.py", "--output-format", "json"))
    assert before == [("api.py", 4, "ORG004")]
    (tmp_path / "orgscope.toml").write_text(
        'scoped-helpers = { get_agent = "org_id" }\n', encoding="utf-8"
    )
    after = _findings(_check(tmp_path, "api.py", "--output-format", "json"))
    assert after == [("api.py", 3, "ORG004"), ("api.py", 4, "ORG004")]


def test_tenant_tables_and_db_receivers_and_select_from_config(tmp_path: Path) -> None:
    api = """
    def f(repo, db, i):
        repo.select("calls", {"id": i})
        db.select("voices", {"id": i})
        db.select("agents", {"id": i})
        return client_id
    """
    _project(
        tmp_path,
        {
            "migrations/001_init.sql": MIGRATION,
            "orgscope.toml": textwrap.dedent(
                """\
                tenant-tables = ["voices"]
                db-receivers = ["repo", "db"]
                ignore = ["ORG006"]
                """
            ),
            "api.py": api,
        },
    )
    result = _findings(_check(tmp_path, "api.py", "--output-format", "json"))
    assert result == [("api.py", 3, "ORG001"), ("api.py", 4, "ORG001")]
