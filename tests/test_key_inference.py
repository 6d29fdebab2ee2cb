"""Projects without SQL migrations: the tenant key is inferred from how the code filters."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from orgscope_lint.cli import cli

SCOPED_BY_ORG_ID = """\
def list_calls(sb, current_user):
    org_id = current_user["org_id"]
    return sb.table("calls").select("*").eq("org_id", org_id).execute()


def get_agent(sb, agent_id, current_user):
    org_id = current_user["org_id"]
    return sb.table("agents").select("*").eq("id", agent_id).eq("org_id", org_id).execute()


def leak(sb, agent_id):
    return sb.table("agents").select("*").eq("id", agent_id).execute()
"""


def check(tmp_path: Path, source: str, *args: str):
    (tmp_path / "api.py").write_text(source, encoding="utf-8")
    return CliRunner().invoke(cli, ["check", "--no-cache", str(tmp_path / "api.py"), *args])


def test_scoped_queries_are_not_flagged_for_lacking_the_default_key(tmp_path: Path) -> None:
    result = check(tmp_path, SCOPED_BY_ORG_ID)
    reported = [line for line in result.stdout.splitlines() if ": ORG" in line]
    assert len(reported) == 1 and "api.py:12:" in reported[0]
    assert "does not filter by `org_id`" in reported[0]
    assert result.stderr.count("no SQL migrations found") == 1
    assert "tenant key inferred from usage: `org_id` (2 of 3 queries" in result.stderr
    assert "orgscope-lint init" in result.stderr


def test_the_configured_key_in_use_is_kept(tmp_path: Path) -> None:
    source = SCOPED_BY_ORG_ID + (
        "\n\ndef other(sb, org):\n"
        '    return sb.table("notes").select("*").eq("clerk_org_id", org).execute()\n'
    )
    result = check(tmp_path, source)
    assert "inferred" not in result.stderr
    assert "no SQL migrations found" in result.stderr
    # With the default key in use, the org_id-scoped queries lack it.
    assert sum(": ORG001" in line for line in result.stdout.splitlines()) == 3


def test_a_schema_means_no_inference_and_no_note(tmp_path: Path) -> None:
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "001.sql").write_text(
        "create table agents (id uuid, org_id uuid);", encoding="utf-8"
    )
    result = check(tmp_path, SCOPED_BY_ORG_ID)
    assert "no SQL migrations" not in result.stderr
    assert "inferred" not in result.stderr


# Migrations that define some tables only: the rest live in an ORM's migrations or were
# made by hand, and the code filters them by the tenant key like any tenant table.
PARTLY_MIGRATED = """\
def list_environments(sb, current_user):
    return sb.table("environments").select("*").eq("tenant_id", current_user["tenant_id"]).execute()


def get_environment(sb, environment_id):
    return sb.table("environments").select("*").eq("id", environment_id).execute()


def list_providers(sb):
    return sb.table("providers").select("*").execute()
"""
PARTIAL_SCHEMA = "create table tenants (id uuid primary key);\ncreate table plans (id uuid);\n"
PARTIAL_CONFIG = '[tool.orgscope-lint]\ntenant-key = "tenant_id"\n'


def partly_migrated(tmp_path: Path, config: str = PARTIAL_CONFIG) -> Path:
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "001.sql").write_text(PARTIAL_SCHEMA, encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(config, encoding="utf-8")
    (tmp_path / "api.py").write_text(PARTLY_MIGRATED, encoding="utf-8")
    return tmp_path


def test_a_table_no_migration_defines_is_a_tenant_table_when_the_code_filters_it_by_the_key(
    tmp_path: Path,
) -> None:
    root = partly_migrated(tmp_path)
    result = CliRunner().invoke(cli, ["check", "--no-cache", str(root / "api.py"), "--verbose"])
    reported = [line for line in result.stdout.splitlines() if ": ORG" in line]
    # The unfiltered read of `environments` is a leak; `providers`, never filtered by
    # the key anywhere, stays unknown to the model and silent.
    assert len(reported) == 1 and "api.py:6:" in reported[0] and "ORG001" in reported[0]
    assert "1 table(s) the migrations do not give `tenant_id` are checked as tenant" in (
        result.stderr
    )
    assert "environments: tenant_id  (inferred: the code filters it by `tenant_id`" in (
        result.stderr
    )


def test_a_partial_run_infers_the_table_from_the_other_files_summaries(tmp_path: Path) -> None:
    root = partly_migrated(tmp_path)
    source = PARTLY_MIGRATED.split("\n\n\n")
    (root / "api.py").write_text(source[0] + "\n", encoding="utf-8")
    (root / "detail.py").write_text(source[1] + "\n", encoding="utf-8")
    cache = ["--cache-dir", str(tmp_path / "cache")]
    full = CliRunner().invoke(cli, ["check", str(root), *cache])
    assert "detail.py:2:" in full.stdout and "ORG001" in full.stdout
    # Edited after the full run, so this run analyses it anew; only `api.py` filters
    # `environments` by the key, and its summary carries that.
    with (root / "detail.py").open("a", encoding="utf-8") as handle:
        handle.write("# edited\n")
    partial = CliRunner().invoke(cli, ["check", str(root / "detail.py"), *cache])
    assert [line for line in partial.stdout.splitlines() if ": ORG" in line] == [
        line for line in full.stdout.splitlines() if ": ORG" in line
    ]


def test_a_global_table_is_never_inferred(tmp_path: Path) -> None:
    config = PARTIAL_CONFIG + 'global-tables = ["environments"]\n'
    root = partly_migrated(tmp_path, config)
    result = CliRunner().invoke(cli, ["check", "--no-cache", str(root / "api.py")])
    assert ": ORG" not in result.stdout
    assert "are checked as tenant tables" not in result.stderr
