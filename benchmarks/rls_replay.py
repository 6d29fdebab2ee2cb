"""How long the schema replay (tables and row-level security) takes on 500 migrations.

Writes a history of 500 migration files in the shapes real Supabase projects use (tables,
RLS switches, policies, DO-block loops, grants, views, SECURITY DEFINER functions) to a
temporary directory, then times `schema.replay` on one core: the best of five runs, and
the part of it the RLS replay alone costs. A benchmark, not a test: it prints numbers.

    python benchmarks/rls_replay.py [--files 500]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from orgscope_lint.rls.replay import RlsReplay
from orgscope_lint.schema import read_migrations, replay, split_statements_at


def migration(index: int) -> str:
    table = f"entity_{index}"
    kind = index % 5
    parts = [
        f"create table if not exists {table} (\n"
        "    id uuid primary key default gen_random_uuid(),\n"
        "    clerk_org_id text not null,\n"
        "    name text not null,\n"
        "    status text not null default 'active',\n"
        "    created_at timestamptz not null default now()\n"
        ");\n",
        f"create index if not exists {table}_org_idx on {table} (clerk_org_id);\n",
        f"alter table {table} enable row level security;\n",
        f'create policy "{table} read" on {table} for select to authenticated\n'
        "    using (clerk_org_id = auth.jwt() ->> 'org_id');\n",
        f'create policy "{table} write" on {table} for all to authenticated\n'
        "    using (clerk_org_id = auth.jwt() ->> 'org_id')\n"
        "    with check (clerk_org_id = auth.jwt() ->> 'org_id');\n",
    ]
    if kind == 1:
        parts.append(
            "do $$\ndeclare t text;\nbegin\n"
            f"    foreach t in array array['{table}'] loop\n"
            "        execute format('alter table %I force row level security', t);\n"
            "    end loop;\nend $$;\n"
        )
    elif kind == 2:
        parts.append(
            f"create view {table}_summary with (security_invoker = true) as\n"
            f"    select clerk_org_id, count(*) from {table} group by clerk_org_id;\n"
            f"revoke all on {table}_summary from anon;\n"
        )
    elif kind == 3:
        parts.append(
            f"create or replace function {table}_count() returns bigint\n"
            "language sql stable security definer set search_path = public as $$\n"
            f"    select count(*) from {table} where clerk_org_id = auth.jwt() ->> 'org_id'\n"
            "$$;\n"
            f"revoke execute on function {table}_count() from public, anon;\n"
        )
    else:
        parts.append(
            f"alter table {table} add column if not exists notes text;\n"
            f'drop policy if exists "{table} read" on {table};\n'
            f'create policy "{table} read" on {table} for select to authenticated\n'
            "    using (clerk_org_id in (select org_id from members where user_id = auth.uid()));\n"
        )
    return "\n".join(parts)


def best_of(runs: int, work) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        (root / "migrations").mkdir()
        for index in range(args.files):
            (root / "migrations" / f"{index:04d}_step.sql").write_text(migration(index))
        migrations = read_migrations(root, ["**/migrations/**/*.sql"])
        texts = [(path, text) for path, _, text, _ in migrations.contents if text]
        statements = sum(len(split_statements_at(text)) for _, text in texts)

        def rls_only() -> None:
            state = RlsReplay()
            for path, text in texts:
                for line, statement in split_statements_at(text):
                    state.observe(statement, path, line)
            state.result()

        replay(migrations)  # warm imports (sqlglot, the regular expressions)
        whole = best_of(args.runs, lambda: replay(migrations))
        rls = best_of(args.runs, rls_only)
        model = replay(migrations).rls
        assert model is not None
        policies = sum(len(t.policies) for t in model.tables.values())
    print(f"{args.files} migration files, {statements} statements, {policies} final policies")
    print(f"schema replay (tables + RLS), best of {args.runs}: {whole:.3f} s")
    print(f"  of which the RLS replay alone:      {rls:.3f} s")
    print(f"  files per second:                   {args.files / whole:,.0f}")


if __name__ == "__main__":
    main()
