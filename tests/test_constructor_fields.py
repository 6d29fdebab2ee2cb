"""analysis/constructor_fields and constructions: what an object holds from its
constructor, and the constructions the caller proof follows (docs/architecture.md,
"Parameters proven by their callers")."""

from __future__ import annotations

import ast

import pytest

from orgscope_lint.analysis import analyze_module
from orgscope_lint.analysis.constructor_fields import constructor_fields, field_origin
from orgscope_lint.analysis.plain_calls import plain_calls, source_lines
from orgscope_lint.config import Config


def _fields(source: str) -> dict:
    return constructor_fields(ast.parse(source))


def test_attributes_set_from_parameters_in_init() -> None:
    source = """
class Service:
    def __init__(self, client, auth, *, user_id: str):
        self.client = client
        self.user = auth["user"]
        self.owner: str = user_id
        self.cache = {}
"""
    assert _fields(source) == {"Service": {"client": "client", "user": "auth", "owner": "user_id"}}


@pytest.mark.parametrize(
    "body",
    [
        # set again in another method
        "self.user = user\n    def switch(self, other):\n        self.user = other",
        # the parameter rebound first
        "user = user or anonymous()\n        self.user = user",
        # only on one branch
        "if user:\n            self.user = user",
        # from a call, not the parameter
        "self.user = load(user)",
    ],
)
def test_attributes_that_may_hold_something_else_are_no_fields(body: str) -> None:
    source = f"class Service:\n    def __init__(self, user):\n        {body}\n"
    assert _fields(source) == {}


def test_two_classes_of_one_name_have_none() -> None:
    init = "    def __init__(self, user):\n        self.user = user\n"
    assert _fields(f"class A:\n{init}\nclass A:\n{init}") == {}


def test_a_nested_class_has_its_own() -> None:
    source = """
class Outer:
    class Inner:
        def __init__(self, user):
            self.user = user
"""
    assert _fields(source) == {"Inner": {"user": "user"}}


@pytest.mark.parametrize(
    ("expression", "origin"),
    [
        ("self.user", "init:auth"),
        ("self.user.id", "init:auth"),
        ('self.user["id"]', "init:auth"),
        ("self.cache", None),
        ("other.user.id", None),
    ],
)
def test_a_value_read_from_a_field_carries_its_parameter(expression: str, origin) -> None:
    node = ast.parse(expression, mode="eval").body
    assert field_origin(node, {"user": "auth"}) == origin


SERVICE = """
class RoleService:
    def __init__(self, client, user_id):
        self.client = client
        self.user_id = user_id

    def roles(self):
        return list_roles(self.client, self.user_id)
"""


def test_methods_of_a_class_no_database_call_names_are_read() -> None:
    tree = ast.parse(SERVICE)
    found = plain_calls(tree.body, source_lines(SERVICE), constructor_fields(tree))
    assert {fn.qualname for fn in found.functions} == {"RoleService.__init__", "RoleService.roles"}
    (call,) = found.calls
    assert call.function == "RoleService.roles"
    assert [(a.slot, a.origin) for a in call.args] == [("0", "init:client"), ("1", "init:user_id")]


def _analysed(source: str):
    return analyze_module("m.py", source, ast.parse(source), Config())


def test_a_construction_is_recorded_when_an_argument_says_where_it_comes_from() -> None:
    source = """
def mine(current_user):
    rows = db.table("calls").select("*").execute()
    return RoleService(db, current_user["id"]).roles()
"""
    facts = _analysed(source)
    (made,) = [c for c in facts.calls if c.name == "RoleService"]
    assert [a.origin for a in made.args] == [None, "principal"]
    assert "RoleService" not in facts.unseen_calls


def test_a_construction_with_nothing_known_makes_its_class_constructed_unseen() -> None:
    source = """
def build():
    rows = db.table("calls").select("*").execute()
    return RoleService(make_client(), "fixed")
"""
    facts = _analysed(source)
    assert not [c for c in facts.calls if c.name == "RoleService"]
    assert "RoleService" in facts.unseen_calls
