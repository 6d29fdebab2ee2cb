"""returned_rows: a value of the row a project function returned has the provenance of
the read that function made, when that read was scoped or found by a presented secret."""

from __future__ import annotations

from pathlib import Path

from orgscope_lint.config import load_config
from orgscope_lint.engine import RunResult, run
from orgscope_lint.facts import FileFacts, Query
from orgscope_lint.returned_rows import from_returned_row, returned_read

MIGRATION = """
create table orgs (id uuid primary key);
create table links (id uuid primary key, org_id uuid not null references orgs (id),
                    token text not null unique, email text, used boolean);
"""

HELPERS = """
from app.db import sb

def link_for_token(token):
    rows = sb.table("links").select("*").eq("token", token).execute().data
    if not rows:
        raise LookupError(token)
    return rows[0]

def link_for_email(email):
    rows = sb.table("links").select("*").eq("email", email).execute().data
    if not rows:
        raise LookupError(email)
    return rows[0]

def link_or_none(token):
    if not token:
        return {"id": None}
    return sb.table("links").select("*").eq("token", token).execute().data[0]
"""


UPDATE_BY_LINK = 'sb.table("links").update({"used": True}).eq("id", link["id"]).execute()'


def _run(tmp_path: Path, route_body: str) -> RunResult:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "p"\n[tool.orgscope-lint]\ntenant-key = "org_id"\n', encoding="utf-8"
    )
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "001.sql").write_text(MIGRATION, encoding="utf-8")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "links.py").write_text(HELPERS, encoding="utf-8")
    route = (
        "from app.db import sb\n"
        "from app.links import link_for_email, link_for_token, link_or_none\n\n"
        "def use(value):\n" + "".join(f"    {line}\n" for line in route_body.splitlines())
    )
    (tmp_path / "app" / "routes.py").write_text(route, encoding="utf-8")
    return run([tmp_path], load_config(start=tmp_path), cwd=tmp_path, jobs=1, use_cache=False)


def _update(result: RunResult) -> tuple[Query, FileFacts]:
    facts = next(f for f in result.facts if f.path.endswith("routes.py"))
    (query,) = [q for q in facts.queries if q.operation == "update"]
    return query, facts


def test_the_id_of_a_row_found_by_a_presented_token(tmp_path: Path) -> None:
    result = _run(
        tmp_path,
        f"link = link_for_token(value)\n{UPDATE_BY_LINK}",
    )
    query, facts = _update(result)
    found = returned_read(query, facts, result.project)
    assert found is not None and found.function.name == "link_for_token"
    assert not [f for f in result.active if f.path.endswith("routes.py")]


def test_a_row_found_by_a_value_anyone_may_name_proves_nothing(tmp_path: Path) -> None:
    result = _run(
        tmp_path,
        f"link = link_for_email(value)\n{UPDATE_BY_LINK}",
    )
    query, facts = _update(result)
    assert not from_returned_row(query, facts, result.project)


def test_a_function_that_returns_something_else_on_some_path_proves_nothing(
    tmp_path: Path,
) -> None:
    result = _run(
        tmp_path,
        f"link = link_or_none(value)\n{UPDATE_BY_LINK}",
    )
    query, facts = _update(result)
    assert not from_returned_row(query, facts, result.project)


def test_a_value_from_elsewhere_is_not_the_rows(tmp_path: Path) -> None:
    result = _run(
        tmp_path,
        "link = link_for_token(value)\n"
        'sb.table("links").update({"used": True}).eq("id", value).execute()',
    )
    query, facts = _update(result)
    assert not from_returned_row(query, facts, result.project)


def test_helpers_that_return_each_others_rows_prove_nothing_and_end(tmp_path: Path) -> None:
    """`f` reads by what `g` returned and `g` by what `f` returned: the verdict of one
    asks for the other's, which must not ask back for ever."""
    _run(  # the project, then the two helpers added and the route made to use them
        tmp_path,
        'row = ping(value)\nsb.table("links").update({"used": True}).eq("id", row["id"]).execute()',
    )
    (tmp_path / "app" / "cycle.py").write_text(
        "from app.db import sb\n\n"
        "def ping(x):\n"
        "    r = pong(x)\n"
        '    return sb.table("links").select("*").eq("id", r["id"]).execute().data[0]\n\n'
        "def pong(x):\n"
        "    r = ping(x)\n"
        '    return sb.table("links").select("*").eq("id", r["id"]).execute().data[0]\n',
        encoding="utf-8",
    )
    routes = tmp_path / "app" / "routes.py"
    routes.write_text(
        routes.read_text(encoding="utf-8").replace(
            "from app.db import sb\n", "from app.cycle import ping\nfrom app.db import sb\n", 1
        ),
        encoding="utf-8",
    )
    result = run([tmp_path], load_config(start=tmp_path), cwd=tmp_path, jobs=1, use_cache=False)
    assert not [f for f in result.findings if f.code == "ORG000"]
    query, facts = _update(result)
    assert not from_returned_row(query, facts, result.project)
