"""Which tables the migrations share with every reader on purpose (`rls/shared_reads.py`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from orgscope_lint.config import load_config
from orgscope_lint.project import build_project
from orgscope_lint.rls.shared_reads import shared_for_reading
from orgscope_lint.schema import load_schema

TABLE = """
create table t (id uuid primary key, org_id text, body text);
alter table t enable row level security;
"""
READ_ALL = "create policy r on t for select using (true);\n"
SCOPED_INSERT = "create policy w on t for insert with check (org_id = (auth.jwt() ->> 'org_id'));\n"


def _shared(tmp_path: Path, sql: str) -> str | None:
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "001.sql").write_text(sql, encoding="utf-8")
    (tmp_path / "orgscope.toml").write_text('tenant-key = "org_id"\n', encoding="utf-8")
    config = load_config(start=tmp_path)
    schema = load_schema(config.root, config.schema)
    policy = shared_for_reading("t", build_project(config, schema))
    return policy.name if policy is not None else None


def test_read_by_everyone_and_written_by_the_tenant(tmp_path: Path) -> None:
    assert _shared(tmp_path, TABLE + READ_ALL + SCOPED_INSERT) == "r"


def test_shared_rows_admitted_by_the_write_policy_still_count(tmp_path: Path) -> None:
    admits_shared = SCOPED_INSERT.replace("'org_id'))", "'org_id') or org_id is null)")
    assert _shared(tmp_path, TABLE + READ_ALL + admits_shared) == "r"


@pytest.mark.parametrize(
    "sql",
    [
        pytest.param(TABLE + READ_ALL, id="no write policy"),
        pytest.param(TABLE + "create policy r on t for all using (true);\n", id="open for all"),
        pytest.param(
            TABLE + READ_ALL + "create policy w on t for insert with check (true);\n",
            id="writes unrestricted",
        ),
        pytest.param(
            TABLE + READ_ALL + "create policy w on t for update using (auth.uid() = id);\n",
            id="writes never name the key",
        ),
        pytest.param(
            TABLE.replace("alter table t enable row level security;\n", "")
            + READ_ALL
            + SCOPED_INSERT,
            id="row-level security off",
        ),
        pytest.param(
            TABLE + "create policy r on t for select using (org_id is not null);\n" + SCOPED_INSERT,
            id="read restricted",
        ),
    ],
)
def test_no_sign_of_intent_keeps_reads_tenant_reads(tmp_path: Path, sql: str) -> None:
    assert _shared(tmp_path, sql) is None
