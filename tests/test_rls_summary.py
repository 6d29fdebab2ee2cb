"""`--verbose` and `audit` show each tenant table's row-level security."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from orgscope_lint.cli import cli

SEED = Path(__file__).resolve().parent.parent / "fixtures" / "clerk_backend" / "before"


@pytest.fixture()
def seed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    work = tmp_path / "before"
    shutil.copytree(SEED, work, ignore=shutil.ignore_patterns("__pycache__", ".*"))
    monkeypatch.chdir(work)
    return work


def test_audit_json_has_rls_per_tenant_table(seed: Path) -> None:
    result = CliRunner().invoke(cli, ["audit", ".", "--format", "json"])
    tables = {t["name"]: t["rls"] for t in json.loads(result.output)["tenant_model"]["tables"]}
    assert tables["api_keys"] == "off (migrations/023_drop_account_policies.sql:5)"
    assert tables["agents"].startswith("on (migrations/002_row_level_security.sql:30)")
    assert (
        "select `org members read agents` to public by clerk_org_id "
        "(migrations/002_row_level_security.sql:37)" in tables["agents"]
    )


def test_verbose_prints_rls_under_each_table(seed: Path) -> None:
    result = CliRunner().invoke(cli, ["check", ".", "--verbose", "--no-cache"])
    lines = result.stderr.splitlines() if hasattr(result, "stderr") else result.output.splitlines()
    index = next(i for i, line in enumerate(lines) if line.strip().startswith("api_keys:"))
    assert lines[index + 1].strip() == (
        "row-level security: off (migrations/023_drop_account_policies.sql:5)"
    )


def test_a_table_no_migration_mentions_has_no_rls_line(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "orgscope.toml").write_text('tenant-tables = ["calls"]\n')
    (tmp_path / "api.py").write_text("x = 1\n")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["audit", ".", "--format", "json"])
    (table,) = json.loads(result.output)["tenant_model"]["tables"]
    assert table["rls"] == ""
