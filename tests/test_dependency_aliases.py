"""dependency_aliases: FastAPI dependencies routes name through `Annotated` aliases
(docs/architecture.md, "Dependencies named through an alias")."""

from __future__ import annotations

import ast
from dataclasses import replace
from pathlib import Path

import pytest

from orgscope_lint import dependency_aliases, engine
from orgscope_lint.analysis import analyze_module
from orgscope_lint.analysis.module_links import module_links
from orgscope_lint.config import Config, load_config
from orgscope_lint.facts import FileFacts


@pytest.mark.parametrize(
    ("line", "alias"),
    [
        ("M = Annotated[dict, Depends(require_member)]", ("M", "require_member", False, None)),
        ("M = Annotated[User, Security(auth.current_user)]", ("M", "current_user", False, "User")),
        ("A = Annotated[dict, Depends(require_role('admin'))]", ("A", "require_role", True, None)),
        ("D: TypeAlias = typing.Annotated[Db, Depends(get_db)]", ("D", "get_db", False, "Db")),
    ],
)
def test_a_module_level_alias_names_its_dependency(line: str, alias: tuple) -> None:
    assert dependency_aliases.aliases_in(ast.parse(line)) == (alias,)


@pytest.mark.parametrize(
    "source",
    [
        "Member = Annotated[dict, Field(max_length=3)]",  # metadata, no dependency
        "Member = Optional[dict]",
        "Member = Annotated[dict]",
        "def f():\n    Member = Annotated[dict, Depends(require_member)]",  # not module level
        "Member = Annotated[dict, Depends()]",  # `Depends()` with the class itself
    ],
)
def test_other_annotations_are_no_aliases(source: str) -> None:
    assert dependency_aliases.aliases_in(ast.parse(source)) == ()


def _file(path: str, source: str) -> FileFacts:
    tree = ast.parse(source)
    facts = analyze_module(path, source, tree, Config())
    return replace(facts, links=module_links(tree, source))


ROUTE = """
@router.get("/orgs/{org_id}/projects")
def projects(org_id: str, member: Member, who: CurrentUser | None):
    return sb.table("projects").select("*").eq("org_id", who["org_id"]).execute()
"""
DEPS = """
Member = Annotated[dict, Depends(require_member)]
CurrentUser = Annotated[User, Depends(get_current_user)]
"""


def test_parameters_annotated_by_a_plain_name_are_recorded() -> None:
    (fn,) = _file("routes.py", ROUTE).functions
    assert fn.annotated_params == (("member", "Member"), ("who", "CurrentUser"))
    assert fn.depends_on == () and fn.param_dependencies == ()


def test_an_alias_of_another_file_gives_the_route_its_dependencies() -> None:
    routes, _ = dependency_aliases.resolve(
        [_file("routes.py", ROUTE), _file("deps.py", DEPS)], Config()
    )
    (fn,) = routes.functions
    assert fn.depends_on == ("get_current_user", "require_member")
    assert fn.param_dependencies == (("member", "require_member"), ("who", "get_current_user"))
    assert not fn.anonymous


def test_a_value_of_an_aliased_parameter_is_no_request_body() -> None:
    before = _file("routes.py", ROUTE)
    assert before.queries[0].shape.get("org_id").origin == "request:body"
    routes, _ = dependency_aliases.resolve([before, _file("deps.py", DEPS)], Config())
    assert routes.queries[0].shape.get("org_id").origin is None


def test_a_name_two_files_define_is_left_alone_but_a_files_own_wins() -> None:
    other = _file("other.py", "Member = Annotated[dict, Depends(require_admin)]\n")
    routes, _, _ = dependency_aliases.resolve(
        [_file("routes.py", ROUTE), _file("deps.py", DEPS), other], Config()
    )
    assert routes.functions[0].depends_on == ("get_current_user",)
    own = _file("own.py", ROUTE + "\nMember = Annotated[dict, Depends(require_owner)]\n")
    resolved, _, _ = dependency_aliases.resolve([own, _file("deps.py", DEPS), other], Config())
    assert "require_owner" in resolved.functions[0].depends_on


def test_no_alias_anywhere_changes_nothing() -> None:
    facts = [_file("routes.py", ROUTE)]
    assert dependency_aliases.resolve(facts, Config())[0] is facts[0]


def _project(root: Path) -> Path:
    (root / "pyproject.toml").write_text("[tool.orgscope-lint]\ntenant-tables = ['projects']\n")
    (root / "deps.py").write_text(
        "from typing import Annotated\nfrom fastapi import Depends\n"
        "def get_current_user(token=Depends(bearer)):\n    return verify(token)\n"
        "CurrentUser = Annotated[dict, Depends(get_current_user)]\n"
    )
    (root / "routes.py").write_text(
        "from deps import CurrentUser\n"
        '@router.get("/mine")\n'
        "def mine(user: CurrentUser):\n"
        '    return sb.table("projects").select("*")'
        '.eq("clerk_org_id", user["clerk_org_id"]).execute()\n'
        '@router.post("/search")\n'
        "def search(body: Filter):\n"
        '    return sb.table("projects").select("*").eq("clerk_org_id", body.org).execute()\n'
    )
    return root


def _findings(result: engine.RunResult) -> list[tuple[str, str, int]]:
    return [(f.path, f.code, f.line) for f in result.findings]


def test_a_run_on_the_route_file_alone_knows_the_alias(tmp_path: Path) -> None:
    root = _project(tmp_path)
    config = load_config(start=root)
    whole = engine.run([root], config, cwd=root, use_cache=False)
    assert _findings(whole) == [("routes.py", "ORG009", 7)]  # the body, not the principal
    alone = engine.run([root / "routes.py"], config, cwd=root, use_cache=False)
    assert _findings(alone) == _findings(whole)
    # The same from the summaries a full run leaves behind.
    cache = root / ".cache"
    engine.run([root], config, cwd=root, cache_dir=cache)
    (root / "routes.py").write_text((root / "routes.py").read_text() + "\n")
    hook = engine.run([root / "routes.py"], config, cwd=root, cache_dir=cache)
    assert _findings(hook) == _findings(whole)
