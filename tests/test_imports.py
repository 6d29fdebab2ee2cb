"""Where a file imports a name from, through the packages that re-export it
(`orgscope_lint.imports`)."""

from __future__ import annotations

from orgscope_lint.facts import ModuleLinks
from orgscope_lint.imports import ReExports

ROUTE = "app/api/projects.py"


def test_a_name_is_followed_through_the_package_that_reexports_it() -> None:
    links = {
        ROUTE: ModuleLinks(imports=("app.db.queries.get_note",)),
        "app/db/queries/__init__.py": ModuleLinks(imports=(".owned.get_note",)),
        "app/db/queries/owned.py": ModuleLinks(),
    }
    assert ReExports(links).sources("get_note", ROUTE) == [
        ("app", "db", "queries"),
        ("app", "db", "queries", "owned"),
    ]


def test_reexports_are_followed_a_few_packages_deep() -> None:
    links = {
        ROUTE: ModuleLinks(imports=("app.db.get_note",)),
        "app/db/__init__.py": ModuleLinks(imports=(".queries.get_note",)),
        "app/db/queries/__init__.py": ModuleLinks(imports=(".owned.get_note",)),
    }
    assert ReExports(links).sources("get_note", ROUTE)[-1] == ("app", "db", "queries", "owned")


def test_only_the_imported_name_is_followed() -> None:
    links = {
        ROUTE: ModuleLinks(imports=("app.db.queries.get_note",)),
        "app/db/queries/__init__.py": ModuleLinks(imports=(".owned.list_projects",)),
    }
    assert ReExports(links).sources("get_note", ROUTE) == [("app", "db", "queries")]
    assert ReExports(links).sources("list_projects", ROUTE) == []


def test_a_cycle_of_reexports_ends() -> None:
    links = {
        ROUTE: ModuleLinks(imports=("a.get_note",)),
        "a/__init__.py": ModuleLinks(imports=("b.get_note",)),
        "b/__init__.py": ModuleLinks(imports=("a.get_note",)),
    }
    assert ReExports(links).sources("get_note", ROUTE) == [("a",), ("b",)]
