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
