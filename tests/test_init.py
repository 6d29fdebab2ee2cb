"""`orgscope-lint init`, end to end through the CLI on small projects built in tmp_path."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from orgscope_lint.cli import cli
from orgscope_lint.config import config_from_mapping
from orgscope_lint.init_config import toml_assign_map, toml_key, toml_string

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

MIGRATION = """
CREATE TABLE plans (id uuid PRIMARY KEY, name text);
CREATE TABLE projects (id uuid PRIMARY KEY, organization_id text NOT NULL, name text);
CREATE TABLE tasks (id uuid PRIMARY KEY, organization_id text NOT NULL, title text);
CREATE TABLE invoices (id uuid PRIMARY KEY, account_id text NOT NULL);
CREATE TABLE "audit log" (id uuid PRIMARY KEY, account_id text);
"""

REPOSITORY = '''
class Repository:
    def __init__(self, client, organization_id=None):
        self.client = client

    def select(self, table, filters=None): ...
    def select_one(self, table, filters): ...
    def insert(self, table, data): ...
    def update(self, table, filters, data): ...
    def delete(self, table, filters): ...

    def get_project(self, project_id, organization_id=None):
        return self.select_one("projects", {"id": project_id})


class AdminRepository(Repository):
    """Service-role client: bypasses row-level security."""


class Unrelated:
    def select(self, what): ...
'''

VIEWS = """
def show(db, project_id, organization_id):
    return db.select_one("projects", {"id": project_id})
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "db" / "migrations").mkdir(parents=True)
    (root / "db" / "migrations" / "001_init.sql").write_text(MIGRATION)
    (root / "app").mkdir()
    (root / "app" / "repository.py").write_text(REPOSITORY)
    (root / "app" / "views.py").write_text(VIEWS)
    return root


def init(*args: str) -> Result:
    return CliRunner().invoke(cli, ["init", *args], catch_exceptions=False)


def section(path: Path) -> dict:
    data = tomllib.loads((path / "pyproject.toml").read_text(encoding="utf-8"))
    return data["tool"]["orgscope-lint"]


def test_proposes_the_most_common_tenant_column(project: Path) -> None:
    result = init(str(project))
    assert result.exit_code == 0, result.output
    found = section(project)
    assert found["tenant-key"] == "organization_id"
    assert found["table-keys"] == {"invoices": "account_id", "audit log": "account_id"}
    assert found["db-classes"] == ["AdminRepository", "Repository"]
    assert found["rls-bypass-classes"] == ["AdminRepository"]
    assert found["scoped-helpers"] == {"get_project": "organization_id"}
    assert "global-tables" not in found  # a candidate only, commented out
    text = (project / "pyproject.toml").read_text(encoding="utf-8")
    assert '# global-tables = ["plans"]' in text
    config_from_mapping(found)  # every key is known and well typed


def test_the_majority_wins_over_the_candidates_order(tmp_path: Path) -> None:
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "001.sql").write_text(
        "CREATE TABLE a (id int, org_id text);\n"
        "CREATE TABLE b (id int, workspace_id text);\n"
        "CREATE TABLE c (id int, workspace_id text);\n"
    )
    assert init(str(tmp_path)).exit_code == 0
    found = section(tmp_path)
    assert found["tenant-key"] == "workspace_id"
    assert found["table-keys"] == {"a": "org_id"}


def test_every_key_is_explained_by_a_comment(project: Path) -> None:
    init(str(project))
    lines = (project / "pyproject.toml").read_text(encoding="utf-8").splitlines()
    for index, line in enumerate(lines):
        if line and not line.startswith(("#", "[", " ", "]")):
            assert lines[index - 1].startswith("#"), line


def test_the_tool_runs_with_the_written_section(project: Path) -> None:
    assert init(str(project)).exit_code == 0
    check = CliRunner().invoke(cli, ["check", str(project), "--output-format", "json"])
    assert check.exit_code == 1, check.output  # never 2: the configuration is valid
    findings = json.loads(check.stdout)["findings"]
    by_code = {f["code"]: f for f in findings}
    assert sorted(by_code) == ["ORG001", "ORG005"]  # the view's read; get_project drops the org
    assert by_code["ORG001"]["table"] == "projects"
    assert "organization_id" in by_code["ORG001"]["message"]
    audit = CliRunner().invoke(cli, ["audit", str(project), "--format", "json"])
    assert audit.exit_code == 0
    model = json.loads(audit.stdout)["tenant_model"]
    assert model["tenant_key"] == "organization_id"
    assert model["config"].endswith("pyproject.toml")


def test_existing_file_is_kept_byte_for_byte(project: Path) -> None:
    original = (
        b"[project]\r\nname = 'proj'   # odd spacing, kept\r\n\r\n"
        b"[tool.black]\r\nline-length = 99"  # CRLF and no final newline
    )
    (project / "pyproject.toml").write_bytes(original)
    assert init(str(project)).exit_code == 0
    written = (project / "pyproject.toml").read_bytes()
    assert written.startswith(original + b"\r\n\r\n[tool.orgscope-lint]\r\n")
    assert b"\n" not in written.replace(b"\r\n", b"")  # the file's line endings throughout
    data = tomllib.loads(written.decode("utf-8"))
    assert data["tool"]["black"] == {"line-length": 99}
    assert data["tool"]["orgscope-lint"]["tenant-key"] == "organization_id"


def test_init_twice_refuses_to_overwrite(project: Path) -> None:
    assert init(str(project)).exit_code == 0
    before = (project / "pyproject.toml").read_bytes()
    again = init(str(project))
    assert again.exit_code == 1
    assert "already configures orgscope-lint" in again.stderr
    assert (project / "pyproject.toml").read_bytes() == before


def test_a_hand_written_section_is_never_touched(project: Path) -> None:
    original = '[tool.orgscope-lint]\ntenant-key = "tenant_id"\n'
    (project / "pyproject.toml").write_text(original)
    assert init(str(project)).exit_code == 1
    assert (project / "pyproject.toml").read_text() == original


def test_orgscope_toml_counts_as_configured(project: Path) -> None:
    (project / "orgscope.toml").write_text('tenant-key = "tenant_id"\n')
    result = init(str(project))
    assert result.exit_code == 1
    assert "orgscope.toml" in result.stderr
    assert not (project / "pyproject.toml").exists()


def test_print_writes_nothing(project: Path) -> None:
    result = init(str(project), "--print")
    assert result.exit_code == 0
    assert not (project / "pyproject.toml").exists()
    printed = tomllib.loads(result.stdout)["tool"]["orgscope-lint"]
    assert printed["tenant-key"] == "organization_id"
    assert result.stdout.startswith("[tool.orgscope-lint]\n")


def test_invalid_pyproject_is_an_error_and_left_alone(project: Path) -> None:
    (project / "pyproject.toml").write_text("[project\nname = 1\n")
    result = init(str(project))
    assert result.exit_code == 2
    assert "not valid TOML" in result.stderr
    assert (project / "pyproject.toml").read_text() == "[project\nname = 1\n"


def test_refuses_when_appending_would_break_the_file(project: Path) -> None:
    original = "tool = { black = { line-length = 99 } }\n"
    (project / "pyproject.toml").write_text(original)
    result = init(str(project))
    assert result.exit_code == 2
    assert "add it by hand" in result.stderr
    assert (project / "pyproject.toml").read_text() == original


def test_without_migrations_the_proposal_stays_valid(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("def f(db):\n    return db.select('calls', {})\n")
    assert init(str(tmp_path)).exit_code == 0
    found = section(tmp_path)
    assert found["tenant-key"] == "clerk_org_id"
    assert "schema" not in found  # commented: the user has to point it somewhere
    config_from_mapping(found)
    check = CliRunner().invoke(cli, ["check", str(tmp_path)])
    assert check.exit_code == 1  # assumed tenant table, no filter: ORG002


def test_missing_directory_is_an_error(tmp_path: Path) -> None:
    assert init(str(tmp_path / "nope")).exit_code == 2


@pytest.mark.parametrize(
    "value", ["plain", 'quote " and \\ backslash', "tab\tnew\nline", "del\x7f", "café ☕", "\x00"]
)
def test_toml_strings_read_back_equal(value: str) -> None:
    text = f"{toml_key(value)} = {toml_string(value)}\n"
    assert tomllib.loads(text) == {value: value}


def test_long_maps_become_dotted_keys() -> None:
    helpers = {f"get_{name}_by_identifier": "organization_id" for name in "abcdef"}
    lines = toml_assign_map("scoped-helpers", helpers)
    assert len(lines) == len(helpers)
    assert tomllib.loads("\n".join(lines))["scoped-helpers"] == helpers
