"""Facts-level tests of the analysis: which calls become queries, on which receiver and
table, with which tenant-key state, where they are reported, and which names are unbound.

Every case is a small module run through `analyze_module` with the default configuration
(tenant key `clerk_org_id`) unless it says otherwise; a few go through `engine.run` to
show that the facts turn into findings at the right place.
"""

from __future__ import annotations

import ast
import re
import textwrap
from pathlib import Path
from typing import Any

import pytest

from orgscope_lint.analysis import analyze_module
from orgscope_lint.config import Config, config_from_mapping
from orgscope_lint.engine import run
from orgscope_lint.facts import FileFacts, KeyState, Query, ShapeKind

KEY = "clerk_org_id"


def facts_of(source: str, **settings: Any) -> FileFacts:
    text = textwrap.dedent(source)
    facts = analyze_module("example.py", text, ast.parse(text), Config(**settings))
    assert facts.error is None, facts.error
    return facts


def only_query(source: str, **settings: Any) -> Query:
    queries = facts_of(source, **settings).queries
    assert len(queries) == 1, queries
    return queries[0]


def key_state(source: str, key: str = KEY) -> KeyState:
    return only_query(source).shape.state_for(key)


def python_lines(text: str) -> list[str]:
    """Lines as Python numbers them: only \\n, \\r\\n and \\r end a line."""
    return re.split(r"\r\n|\r|\n", text)


# ------------------------------------------------------------------------ receivers

# Each module makes exactly one call `<receiver>.select("calls", ...)` through a receiver
# the analysis must recognise as a DB service; the value is the class it must report
# (None when only the receiver's name is known).
RECEIVERS: dict[str, tuple[str, str | None]] = {
    "constructed-in-function": (
        """
        def f(i):
            svc = DatabaseService(token="t")
            svc.select("calls", {"id": i})
        """,
        "DatabaseService",
    ),
    "constructed-admin": (
        """
        def f(i):
            svc = DatabaseAdminService()
            svc.select("calls", {"id": i})
        """,
        "DatabaseAdminService",
    ),
    "constructed-then-awaited-in-async": (
        """
        async def f(i):
            svc = DatabaseService()
            return await svc.select("calls", {"id": i})
        """,
        "DatabaseService",
    ),
    "annotated-param": (
        """
        def f(store: DatabaseService, i):
            store.select("calls", {"id": i})
        """,
        "DatabaseService",
    ),
    "annotated-optional": (
        """
        from typing import Optional

        def f(store: Optional[DatabaseService], i):
            store.select("calls", {"id": i})
        """,
        "DatabaseService",
    ),
    "annotated-union-none": (
        """
        def f(store: DatabaseService | None, i):
            store.select("calls", {"id": i})
        """,
        "DatabaseService",
    ),
    "annotated-fastapi-depends": (
        """
        from typing import Annotated
        from fastapi import Depends

        async def f(i: str, store: Annotated[DatabaseService, Depends(get_db)]):
            store.select("calls", {"id": i})
        """,
        "DatabaseService",
    ),
    "annotated-dotted": (
        """
        import app.db

        def f(store: app.db.DatabaseAdminService, i):
            store.select("calls", {"id": i})
        """,
        "DatabaseAdminService",
    ),
    "annotated-string": (
        """
        def f(store: "DatabaseService", i):
            store.select("calls", {"id": i})
        """,
        "DatabaseService",
    ),
    "annotated-string-union": (
        """
        def f(store: "DatabaseService | None", i):
            store.select("calls", {"id": i})
        """,
        "DatabaseService",
    ),
    "annotated-keyword-only": (
        """
        def f(i, *, store: DatabaseService):
            store.select("calls", {"id": i})
        """,
        "DatabaseService",
    ),
    "self-in-db-class": (
        """
        class DatabaseService:
            def archive(self, i):
                self.select("calls", {"id": i})
        """,
        "DatabaseService",
    ),
    "self-in-subclass": (
        """
        class CallStore(DatabaseService):
            def archive(self, i):
                self.select("calls", {"id": i})
        """,
        "CallStore",
    ),
    "self-in-subclass-of-dotted-base": (
        """
        import app.db

        class CallStore(app.db.DatabaseService):
            def archive(self, i):
                self.select("calls", {"id": i})
        """,
        "CallStore",
    ),
    "self-in-closure-inside-db-method": (
        """
        class DatabaseService:
            def archive(self, i):
                def inner():
                    return self.select("calls", {"id": i})
                return inner
        """,
        "DatabaseService",
    ),
    "self-attribute-from-init": (
        """
        class CallRepo:
            def __init__(self):
                self.store = DatabaseService()

            def get(self, i):
                return self.store.select("calls", {"id": i})
        """,
        "DatabaseService",
    ),
    "self-attribute-annotated-in-init": (
        """
        class CallRepo:
            def __init__(self):
                self.store: DatabaseService = make_store()

            def get(self, i):
                return self.store.select("calls", {"id": i})
        """,
        "DatabaseService",
    ),
    "self-attribute-class-level-annotation": (
        """
        class CallRepo:
            store: DatabaseService

            def get(self, i):
                return self.store.select("calls", {"id": i})
        """,
        "DatabaseService",
    ),
    "self-attribute-used-before-init-in-source": (
        """
        class CallRepo:
            def get(self, i):
                return self.store.select("calls", {"id": i})

            def __init__(self):
                self.store = DatabaseAdminService()
        """,
        "DatabaseAdminService",
    ),
    "module-level-instance": (
        """
        store = DatabaseService()

        def f(i):
            store.select("calls", {"id": i})
        """,
        "DatabaseService",
    ),
    "module-level-query": (
        """
        store = DatabaseService()
        store.select("calls", {"id": 1})
        """,
        "DatabaseService",
    ),
    "receiver-name-db": (
        """
        def f(db, i):
            db.select("calls", {"id": i})
        """,
        None,
    ),
    "receiver-name-admin-db": (
        """
        def f(admin_db, i):
            admin_db.select("calls", {"id": i})
        """,
        None,
    ),
    "receiver-name-global-db": (
        """
        from app.deps import db

        def f(i):
            db.select("calls", {"id": i})
        """,
        None,
    ),
    "receiver-name-self-db": (
        """
        class Handler:
            def get(self, i):
                return self.db.select("calls", {"id": i})
        """,
        None,
    ),
    "receiver-name-request-app-state-db": (
        """
        def f(request, i):
            return request.app.state.db.select("calls", {"id": i})
        """,
        None,
    ),
    "db-name-kept-when-rebound-to-a-service": (
        """
        def f(i):
            db = {}
            db = DatabaseService()
            db.select("calls", {"id": i})
        """,
        "DatabaseService",
    ),
}

# The same shapes, where the analysis must see a DB service but does not yet.
LESS_COMMON_RECEIVERS: dict[str, tuple[str, str | None]] = {
    "constructed-through-module-attribute": (
        """
        import app.db

        def f(i):
            svc = app.db.DatabaseService()
            svc.select("calls", {"id": i})
        """,
        "DatabaseService",
    ),
    "annotated-string-optional": (
        """
        def f(store: "Optional[DatabaseService]", i):
            store.select("calls", {"id": i})
        """,
        "DatabaseService",
    ),
    "annotated-string-dotted": (
        """
        def f(store: "app.db.DatabaseService", i):
            store.select("calls", {"id": i})
        """,
        "DatabaseService",
    ),
    "self-in-indirect-subclass": (
        """
        class BaseStore(DatabaseService):
            pass

        class CallStore(BaseStore):
            def archive(self, i):
                self.select("calls", {"id": i})
        """,
        "CallStore",
    ),
    "self-attribute-from-annotated-init-param": (
        """
        class CallRepo:
            def __init__(self, store: DatabaseService):
                self.store = store

            def get(self, i):
                return self.store.select("calls", {"id": i})
        """,
        "DatabaseService",
    ),
    "module-level-instance-bound-below-the-function": (
        """
        def f(i):
            store.select("calls", {"id": i})

        store = DatabaseService()
        """,
        "DatabaseService",
    ),
}


@pytest.mark.parametrize(("source", "cls"), RECEIVERS.values(), ids=RECEIVERS.keys())
def test_db_receiver_is_recognised(source: str, cls: str | None) -> None:
    query = only_query(source)
    assert (query.table, query.operation, query.receiver_class) == ("calls", "read", cls)
    assert query.shape.key_names == ("id",)


@pytest.mark.parametrize(
    ("source", "cls"), LESS_COMMON_RECEIVERS.values(), ids=LESS_COMMON_RECEIVERS.keys()
)
def test_db_receiver_in_less_common_shapes(source: str, cls: str | None) -> None:
    query = only_query(source)
    assert (query.table, query.receiver_class) == ("calls", cls)


def test_queries_inside_decorated_route_handlers() -> None:
    facts = facts_of(
        """
        @router.get("/calls/{call_id}")
        async def get_call(call_id: str, db: DatabaseService = Depends(get_db)):
            return db.select_one("calls", {"id": call_id})

        @router.delete("/calls/{call_id}")
        async def delete_call(call_id: str, current_user: dict = Depends(get_current_user)):
            db = DatabaseService(token=current_user["token"])
            db.delete("calls", {"id": call_id})

        @router.get("/voices")
        async def voices(org: str, db: Annotated[DatabaseAdminService, Depends(get_db)]):
            return db.select("voices", {"clerk_org_id": org})

        @router.get("/agents")
        async def agents(db=Depends(get_db)):
            return db.count("agents")

        @requires_admin
        @log_calls(level=2)
        def admin(db, i):
            db.update("campaigns", {"id": i}, {})
        """
    )
    assert [(q.function, q.table, q.receiver_class) for q in facts.queries] == [
        ("get_call", "calls", "DatabaseService"),
        ("delete_call", "calls", "DatabaseService"),
        ("voices", "voices", "DatabaseAdminService"),
        ("agents", "agents", None),
        ("admin", "campaigns", None),
    ]


def test_configured_db_class_and_receiver_names() -> None:
    source = """
    def f(i, repo, db):
        svc = TenantRepo()
        svc.select("calls", {"id": i})
        repo.select("voices", {"id": i})
        db.select("agents", {"id": i})
        DatabaseService().select("campaigns", {"id": i})
    """
    configured = facts_of(source, db_classes=("TenantRepo",), db_receivers=("repo",))
    assert [(q.table, q.receiver_class) for q in configured.queries] == [
        ("calls", "TenantRepo"),
        ("voices", None),
    ]
    default = facts_of(source)
    assert [(q.table, q.receiver_class) for q in default.queries] == [
        ("agents", None),
        ("campaigns", "DatabaseService"),
    ]


def test_module_level_query_has_no_function() -> None:
    query = only_query(
        """
        store = DatabaseService()
        store.delete("calls", {"id": 1})
        """
    )
    assert query.function is None
    assert query.operation == "delete"


def test_query_records_its_function_qualname() -> None:
    facts = facts_of(
        """
        class CallRepo(DatabaseService):
            def get(self, i):
                def inner():
                    return db.select("calls", {"id": i})
                return self.select("voices", {"id": i})

        def top(db, i):
            db.count("agents", {"id": i})
        """
    )
    assert sorted((q.table, q.function) for q in facts.queries) == [
        ("agents", "top"),
        ("calls", "CallRepo.get.inner"),
        ("voices", "CallRepo.get"),
    ]


NOT_RECEIVERS: dict[str, str] = {
    "unannotated-param-with-another-name": """
        def f(store, i):
            store.select("calls", {"id": i})
        """,
    "param-annotated-with-another-class": """
        def f(store: CallCache, i):
            store.select("calls", {"id": i})
        """,
    "db-rebound-to-a-dict": """
        def f(i):
            db = {}
            db.select("calls", {"id": i})
        """,
    "db-rebound-to-dict-call": """
        def f(i):
            db = dict(a=1)
            db.update("calls", {"id": i})
        """,
    "db-rebound-to-a-string": """
        def f(i):
            db = "calls and voices"
            db.count("calls")
        """,
    "db-rebound-to-a-list": """
        def f(i):
            db = []
            db.count("calls")
        """,
    "self-in-a-plain-class": """
        class Report:
            def build(self, i):
                self.select("calls", {"id": i})
        """,
    "self-attribute-of-another-type": """
        class Report:
            def __init__(self):
                self.store = CallCache()

            def build(self, i):
                self.store.select("calls", {"id": i})
        """,
    "attribute-of-db-class-self-not-assigned-a-service": """
        class Report:
            store: CallCache

            def build(self, i):
                self.store.delete("calls")
        """,
    "classmethod-cls-of-db-class": """
        class DatabaseService:
            @classmethod
            def build(cls, i):
                cls.select("calls", {"id": i})
        """,
    "module-level-non-service-with-another-name": """
        store = CallCache()

        def f(i):
            store.select("calls", {"id": i})
        """,
    "service-name-shadowed-by-a-local-dict": """
        store = DatabaseService()

        def f(i):
            store = {}
            store.update("calls", {"id": i})
        """,
    "receiver-name-only-as-a-prefix": """
        def f(dbx, i):
            dbx.select("calls", {"id": i})
        """,
}

CONTAINERS_OF_SERVICES: dict[str, str] = {
    "list-of-services": """
        def f(pool: list[DatabaseService]):
            return pool.count("calls")
        """,
    "mapping-of-services": """
        def f(by_region: dict[str, DatabaseService], i):
            by_region.update("calls", {"id": i})
        """,
}


@pytest.mark.parametrize("source", NOT_RECEIVERS.values(), ids=NOT_RECEIVERS.keys())
def test_not_a_db_receiver(source: str) -> None:
    facts = facts_of(source)
    assert facts.queries == ()


@pytest.mark.parametrize(
    "source", CONTAINERS_OF_SERVICES.values(), ids=CONTAINERS_OF_SERVICES.keys()
)
def test_container_of_services_is_not_a_receiver(source: str) -> None:
    assert facts_of(source).queries == ()


# ------------------------------------------------------------------------ tables

TABLES: dict[str, tuple[str, str | None]] = {
    "string-literal": ('"calls"', "calls"),
    "single-quoted": ("'calls'", "calls"),
    "implicitly-concatenated": ('"cal" "ls"', "calls"),
    "keyword": ('table="calls"', "calls"),
    "module-constant": ("CALLS", "calls"),
    "annotated-module-constant": ("VOICES", "voices"),
    "constant-reassigned-to-non-literal": ("AGENTS", None),
    "local-string-variable": ("local", "campaigns"),
    "parameter": ("table", None),
    "f-string-without-fields": ('f"calls"', None),
    "f-string": ('f"call{suffix}"', None),
    "attribute": ("self_.table", None),
    "call": ('name("calls")', None),
    "unknown-module-name": ("IMPORTED", None),
}


@pytest.mark.parametrize(("expression", "table"), TABLES.values(), ids=TABLES.keys())
def test_table_resolution(expression: str, table: str | None) -> None:
    source = f"""
    from app.tables import IMPORTED

    CALLS = "calls"
    VOICES: str = "voices"
    AGENTS = "agents"
    AGENTS = compute_name()

    def f(db, table, suffix, self_, i):
        local = "campaigns"
        db.select({expression}, filters={{"id": i}})
    """
    queries = facts_of(source).queries
    assert [q.table for q in queries] == ([table] if table else [])


def test_parameter_shadows_a_module_constant() -> None:
    source = """
    CALLS = "calls"

    def f(db, CALLS, i):
        db.select(CALLS, {"id": i})

    def g(db, i):
        db.select(CALLS, {"id": i})
    """
    assert [(q.table, q.function) for q in facts_of(source).queries] == [("calls", "g")]


@pytest.mark.parametrize(
    ("method", "operation"),
    [
        ("select", "read"),
        ("select_one", "read"),
        ("count", "count"),
        ("update", "update"),
        ("delete", "delete"),
        ("insert", "insert"),
        ("upsert", "insert"),
    ],
)
def test_each_service_method_maps_to_its_operation(method: str, operation: str) -> None:
    query = only_query(f'def f(db, org):\n    db.{method}("calls", {{"{KEY}": org}})\n')
    assert (query.method, query.operation, query.table) == (method, operation, "calls")
    assert query.shape.state_for(KEY) is KeyState.PRESENT


def test_omitted_and_none_filters_are_no_filter() -> None:
    facts = facts_of(
        """
        def f(db):
            db.select("calls")
            db.select("calls", None)
            db.select("calls", {})
            db.select("calls", columns="id", limit=5)
        """
    )
    kinds = [q.shape.kind for q in facts.queries]
    assert kinds == [ShapeKind.NONE, ShapeKind.NONE, ShapeKind.EMPTY, ShapeKind.NONE]


# ------------------------------------------------------------------------ filter forms

PRESENT: dict[str, str] = {
    "literal": """
        def f(db, org, i):
            db.select("calls", {"id": i, "clerk_org_id": org})
        """,
    "keyword-filters": """
        def f(db, org, i):
            db.select("calls", filters={"id": i, "clerk_org_id": org})
        """,
    "local-variable": """
        def f(db, org, i):
            filters = {"id": i, "clerk_org_id": org}
            db.select("calls", filters)
        """,
    "subscript-assignment": """
        def f(db, org, i):
            filters = {"id": i}
            filters["clerk_org_id"] = org
            db.select("calls", filters)
        """,
    "update-with-dict": """
        def f(db, org, i):
            filters = {"id": i}
            filters.update({"clerk_org_id": org})
            db.select("calls", filters)
        """,
    "update-with-keywords": """
        def f(db, org, i):
            filters = {"id": i}
            filters.update(clerk_org_id=org)
            db.select("calls", filters)
        """,
    "spread-then-key": """
        def f(db, org, base):
            db.select("calls", {**base, "clerk_org_id": org})
        """,
    "key-then-spread-of-known-dict": """
        def f(db, org, i):
            base = {"clerk_org_id": org}
            db.select("calls", {**base, "id": i})
        """,
    "dict-call-keywords": """
        def f(db, org, i):
            db.select("calls", dict(id=i, clerk_org_id=org))
        """,
    "dict-call-mapping-and-keywords": """
        def f(db, org, base):
            db.select("calls", dict(base, clerk_org_id=org))
        """,
    "setdefault": """
        def f(db, org, i):
            filters = {"id": i}
            filters.setdefault("clerk_org_id", org)
            db.select("calls", filters)
        """,
    "pop-of-another-key": """
        def f(db, org, i):
            filters = {"id": i, "clerk_org_id": org}
            filters.pop("id")
            db.select("calls", filters)
        """,
    "del-of-another-key": """
        def f(db, org, i):
            filters = {"id": i, "clerk_org_id": org}
            del filters["id"]
            db.select("calls", filters)
        """,
    "in-place-or": """
        def f(db, org, i):
            filters = {"id": i}
            filters |= {"clerk_org_id": org}
            db.select("calls", filters)
        """,
    "binary-or": """
        def f(db, org, i):
            db.select("calls", {"id": i} | {"clerk_org_id": org})
        """,
    "key-through-module-constant-literal": """
        ORG_KEY = "clerk_org_id"

        def f(db, org, i):
            db.select("calls", {"id": i, ORG_KEY: org})
        """,
    "key-through-module-constant-subscript": """
        ORG_KEY = "clerk_org_id"

        def f(db, org, i):
            filters = {"id": i}
            filters[ORG_KEY] = org
            db.select("calls", filters)
        """,
    "key-through-module-constant-setdefault": """
        ORG_KEY = "clerk_org_id"

        def f(db, org, i):
            filters = {"id": i}
            filters.setdefault(ORG_KEY, org)
            db.select("calls", filters)
        """,
    "key-through-local-variable": """
        def f(db, org, i):
            key = "clerk_org_id"
            filters = {"id": i}
            filters[key] = org
            db.select("calls", filters)
        """,
    "copy-keeps-keys": """
        def f(db, org, i):
            base = {"id": i, "clerk_org_id": org}
            filters = base.copy()
            db.select("calls", filters)
        """,
    "record-of-insert": """
        def f(db, org):
            db.insert("calls", {"name": "x", "clerk_org_id": org})
        """,
    "record-keyword-data": """
        def f(db, org):
            db.insert("calls", data={"name": "x", "clerk_org_id": org})
        """,
    "list-of-records-all-stamped": """
        def f(db, org):
            db.insert("calls", [{"n": 1, "clerk_org_id": org}, {"n": 2, "clerk_org_id": org}])
        """,
    "module-level-filter-dict": """
        SCOPE = {"clerk_org_id": "org_123"}

        def f(db):
            db.select("calls", SCOPE)
        """,
}

ABSENT: dict[str, str] = {
    "literal-without-key": """
        def f(db, i):
            db.select("calls", {"id": i})
        """,
    "key-set-to-none": """
        def f(db, i):
            db.select("calls", {"id": i, "clerk_org_id": None})
        """,
    "key-set-to-empty-string": """
        def f(db, i):
            db.select("calls", {"id": i, "clerk_org_id": ""})
        """,
    "key-overwritten-with-none": """
        def f(db, org, i):
            filters = {"id": i, "clerk_org_id": org}
            filters["clerk_org_id"] = None
            db.select("calls", filters)
        """,
    "key-popped": """
        def f(db, org, i):
            filters = {"id": i, "clerk_org_id": org}
            filters.pop("clerk_org_id")
            db.select("calls", filters)
        """,
    "key-popped-with-default": """
        def f(db, org, i):
            filters = {"id": i, "clerk_org_id": org}
            filters.pop("clerk_org_id", None)
            db.select("calls", filters)
        """,
    "key-deleted": """
        def f(db, org, i):
            filters = {"id": i, "clerk_org_id": org}
            del filters["clerk_org_id"]
            db.select("calls", filters)
        """,
    "key-deleted-through-constant": """
        ORG_KEY = "clerk_org_id"

        def f(db, org, i):
            filters = {"id": i, ORG_KEY: org}
            del filters[ORG_KEY]
            db.select("calls", filters)
        """,
    "cleared": """
        def f(db, org, i):
            filters = {"clerk_org_id": org}
            filters.clear()
            filters["id"] = i
            db.select("calls", filters)
        """,
    "setdefault-does-not-overwrite-none": """
        def f(db, org, i):
            filters = {"id": i, "clerk_org_id": None}
            filters.setdefault("clerk_org_id", org)
            db.select("calls", filters)
        """,
    "update-with-another-key": """
        def f(db, org, i):
            filters = {"id": i}
            filters.update(organization=org)
            db.select("calls", filters)
        """,
    "in-place-or-with-none": """
        def f(db, org, i):
            filters = {"id": i, "clerk_org_id": org}
            filters |= {"clerk_org_id": None}
            db.select("calls", filters)
        """,
    "dict-call-with-another-key": """
        def f(db, i):
            db.select("calls", dict(id=i))
        """,
    "legacy-key-only": """
        def f(db, client_id, i):
            db.select("calls", {"id": i, "client_id": client_id})
        """,
    "key-spelled-differently": """
        def f(db, org, i):
            db.select("calls", {"id": i, "clerk_org": org, "Clerk_Org_Id": org})
        """,
    "key-mutated-on-another-dict": """
        def f(db, org, i):
            filters = {"id": i}
            other = {"id": i}
            other["clerk_org_id"] = org
            db.select("calls", filters)
        """,
    "list-of-records-one-unstamped": """
        def f(db, org):
            db.insert("calls", [{"n": 1, "clerk_org_id": org}, {"n": 2}])
        """,
}

UNKNOWN: dict[str, str] = {
    "parameter": """
        def f(db, filters):
            db.select("calls", filters)
        """,
    "attribute": """
        def f(db, request):
            db.select("calls", request.state.filters)
        """,
    "subscript-with-unknown-key": """
        def f(db, name, org, i):
            filters = {"id": i}
            filters[name] = org
            db.select("calls", filters)
        """,
    "update-with-unknown-mapping": """
        def f(db, extra, i):
            filters = {"id": i}
            filters.update(extra)
            db.select("calls", filters)
        """,
    "star-kwargs": """
        def f(db, opts):
            db.select("calls", **opts)
        """,
}


@pytest.mark.parametrize("source", PRESENT.values(), ids=PRESENT.keys())
def test_tenant_key_present(source: str) -> None:
    assert key_state(source) is KeyState.PRESENT


@pytest.mark.parametrize("source", ABSENT.values(), ids=ABSENT.keys())
def test_tenant_key_absent(source: str) -> None:
    assert key_state(source) is KeyState.ABSENT


@pytest.mark.parametrize("source", UNKNOWN.values(), ids=UNKNOWN.keys())
def test_tenant_key_unknown(source: str) -> None:
    assert key_state(source) is KeyState.UNKNOWN


def test_key_facts_name_the_parameters_the_value_comes_from() -> None:
    query = only_query(
        """
        def f(db, org_id, call_id):
            db.select("calls", {"id": call_id, "clerk_org_id": org_id})
        """
    )
    fact = query.shape.get(KEY)
    assert fact is not None and fact.params == ("org_id",)
    assert query.shape.key_names == ("clerk_org_id", "id")


# ------------------------------------------------------------------------ flow

FLOW: dict[str, tuple[str, KeyState]] = {
    "set-under-if": (
        """
        def f(db, org, i):
            filters = {"id": i}
            if org:
                filters["clerk_org_id"] = org
            db.select("calls", filters)
        """,
        KeyState.CONDITIONAL,
    ),
    "set-in-both-branches": (
        """
        def f(db, org, admin, i):
            filters = {"id": i}
            if admin:
                filters["clerk_org_id"] = admin.org
            else:
                filters["clerk_org_id"] = org
            db.select("calls", filters)
        """,
        KeyState.PRESENT,
    ),
    "set-in-every-branch-of-elif-chain": (
        """
        def f(db, org, mode, i):
            filters = {"id": i}
            if mode == 1:
                filters["clerk_org_id"] = org
            elif mode == 2:
                filters.update(clerk_org_id=org)
            else:
                filters = {"id": i, "clerk_org_id": org}
            db.select("calls", filters)
        """,
        KeyState.PRESENT,
    ),
    "missing-in-one-elif-branch": (
        """
        def f(db, org, mode, i):
            filters = {"id": i}
            if mode == 1:
                filters["clerk_org_id"] = org
            elif mode == 2:
                pass
            else:
                filters["clerk_org_id"] = org
            db.select("calls", filters)
        """,
        KeyState.CONDITIONAL,
    ),
    "else-branch-raises": (
        """
        def f(db, org, i):
            filters = {"id": i}
            if org:
                filters["clerk_org_id"] = org
            else:
                raise PermissionError("no organization")
            db.select("calls", filters)
        """,
        KeyState.PRESENT,
    ),
    "else-branch-returns": (
        """
        def f(db, org, i):
            filters = {"id": i}
            if org:
                filters["clerk_org_id"] = org
            else:
                return []
            return db.select("calls", filters)
        """,
        KeyState.PRESENT,
    ),
    "guard-raises-on-nullable-value": (
        """
        def f(db, user, i):
            org = None
            if user:
                org = user.org
            if not org:
                raise PermissionError("no organization")
            db.select("calls", {"id": i, "clerk_org_id": org})
        """,
        KeyState.PRESENT,
    ),
    "guard-returns-on-none-check": (
        """
        def f(db, user, i):
            org = None
            if user:
                org = user.org
            if org is None:
                return []
            return db.select("calls", {"id": i, "clerk_org_id": org})
        """,
        KeyState.PRESENT,
    ),
    "then-branch-sets-and-raises": (
        """
        def f(db, org, i):
            filters = {"id": i}
            if not org:
                filters["clerk_org_id"] = org
                raise PermissionError("no organization")
            db.select("calls", filters)
        """,
        KeyState.ABSENT,
    ),
    "set-inside-for-loop": (
        """
        def f(db, org, items, i):
            filters = {"id": i}
            for item in items:
                filters["clerk_org_id"] = org
            db.select("calls", filters)
        """,
        KeyState.CONDITIONAL,
    ),
    "set-inside-while-loop": (
        """
        def f(db, org, i):
            filters = {"id": i}
            while pending():
                filters["clerk_org_id"] = org
            db.select("calls", filters)
        """,
        KeyState.CONDITIONAL,
    ),
    "set-before-loop-query-inside": (
        """
        def f(db, org, ids):
            filters = {"clerk_org_id": org}
            for i in ids:
                filters["id"] = i
                db.select("calls", filters)
        """,
        KeyState.PRESENT,
    ),
    "set-in-try-handler-swallows": (
        """
        def f(db, org, i):
            filters = {"id": i}
            try:
                filters["clerk_org_id"] = resolve(org)
            except KeyError:
                pass
            db.select("calls", filters)
        """,
        KeyState.CONDITIONAL,
    ),
    "set-in-try-handler-reraises": (
        """
        def f(db, org, i):
            filters = {"id": i}
            try:
                filters["clerk_org_id"] = resolve(org)
            except KeyError:
                raise
            db.select("calls", filters)
        """,
        KeyState.PRESENT,
    ),
    "set-in-both-try-and-handler": (
        """
        def f(db, org, i):
            filters = {"id": i}
            try:
                filters["clerk_org_id"] = resolve(org)
            except KeyError:
                filters["clerk_org_id"] = org
            db.select("calls", filters)
        """,
        KeyState.PRESENT,
    ),
    "set-in-finally": (
        """
        def f(db, org, i):
            filters = {"id": i}
            try:
                prepare()
            finally:
                filters["clerk_org_id"] = org
            db.select("calls", filters)
        """,
        KeyState.PRESENT,
    ),
    "set-in-else-of-try": (
        """
        def f(db, org, i):
            filters = {"id": i}
            try:
                prepare()
            except ValueError:
                log()
            else:
                filters["clerk_org_id"] = org
            db.select("calls", filters)
        """,
        KeyState.CONDITIONAL,
    ),
    "set-in-with-block": (
        """
        def f(db, org, i):
            filters = {"id": i}
            with lock:
                filters["clerk_org_id"] = org
            db.select("calls", filters)
        """,
        KeyState.PRESENT,
    ),
    "match-every-case-with-wildcard": (
        """
        def f(db, org, kind, i):
            filters = {"id": i}
            match kind:
                case "a":
                    filters["clerk_org_id"] = org
                case _:
                    filters["clerk_org_id"] = org
            db.select("calls", filters)
        """,
        KeyState.PRESENT,
    ),
    "match-without-wildcard": (
        """
        def f(db, org, kind, i):
            filters = {"id": i}
            match kind:
                case "a":
                    filters["clerk_org_id"] = org
                case "b":
                    filters["clerk_org_id"] = org
            db.select("calls", filters)
        """,
        KeyState.CONDITIONAL,
    ),
    "match-case-returns": (
        """
        def f(db, org, kind, i):
            filters = {"id": i}
            match kind:
                case "a":
                    filters["clerk_org_id"] = org
                case _:
                    return None
            return db.select("calls", filters)
        """,
        KeyState.PRESENT,
    ),
    "nullable-value": (
        """
        def f(db, org, cond, i):
            value = None
            if cond:
                value = org
            db.select("calls", {"id": i, "clerk_org_id": value})
        """,
        KeyState.CONDITIONAL,
    ),
    "nullable-conditional-expression": (
        """
        def f(db, org, cond, i):
            db.select("calls", {"id": i, "clerk_org_id": org if cond else None})
        """,
        KeyState.CONDITIONAL,
    ),
    "none-on-the-else-path": (
        """
        def f(db, org, cond, i):
            filters = {"id": i}
            if cond:
                filters["clerk_org_id"] = org
            else:
                filters["clerk_org_id"] = None
            db.select("calls", filters)
        """,
        KeyState.CONDITIONAL,
    ),
    "none-on-every-path": (
        """
        def f(db, cond, i):
            filters = {"id": i}
            if cond:
                filters["clerk_org_id"] = None
            else:
                filters["clerk_org_id"] = ""
            db.select("calls", filters)
        """,
        KeyState.ABSENT,
    ),
    "dead-code-after-return-does-not-leak-back": (
        """
        def f(db, org, i):
            filters = {"id": i}
            db.select("calls", filters)
            return
            filters["clerk_org_id"] = org
        """,
        KeyState.ABSENT,
    ),
    "reassigned-to-a-dict-without-key": (
        """
        def f(db, org, i):
            filters = {"id": i, "clerk_org_id": org}
            if i:
                filters = {"id": i}
            db.select("calls", filters)
        """,
        KeyState.CONDITIONAL,
    ),
}


@pytest.mark.parametrize(("source", "state"), FLOW.values(), ids=FLOW.keys())
def test_flow(source: str, state: KeyState) -> None:
    assert key_state(source) is state


def test_conditional_key_carries_its_condition() -> None:
    query = only_query(
        """
        def f(db, org_id, call_id):
            filters = {"id": call_id}
            if org_id:
                filters["clerk_org_id"] = org_id
            db.update("calls", filters, {"archived": True})
        """
    )
    fact = query.shape.get(KEY)
    assert fact is not None
    assert (fact.always, fact.condition) == (False, "org_id")
    assert query.shape.state_for(KEY) is KeyState.CONDITIONAL


def test_conditional_key_in_a_loop_names_the_loop() -> None:
    query = only_query(
        """
        def f(db, org, items, i):
            filters = {"id": i}
            for item in items:
                filters["clerk_org_id"] = org
            db.select("calls", filters)
        """
    )
    fact = query.shape.get(KEY)
    assert fact is not None and fact.condition == "for item in items"


def test_each_query_sees_the_state_at_its_own_point() -> None:
    facts = facts_of(
        """
        def f(db, org, i):
            filters = {"id": i}
            db.select("calls", filters)
            filters["clerk_org_id"] = org
            db.select("voices", filters)
            del filters["clerk_org_id"]
            db.select("agents", filters)
        """
    )
    states = [(q.table, q.shape.state_for(KEY)) for q in facts.queries]
    assert states == [
        ("calls", KeyState.ABSENT),
        ("voices", KeyState.PRESENT),
        ("agents", KeyState.ABSENT),
    ]


def test_branches_do_not_leak_into_each_other() -> None:
    facts = facts_of(
        """
        def f(db, org, cond, i):
            filters = {"id": i}
            if cond:
                filters["clerk_org_id"] = org
                db.select("calls", filters)
            else:
                db.select("voices", filters)
        """
    )
    states = [(q.table, q.shape.state_for(KEY)) for q in facts.queries]
    assert states == [("calls", KeyState.PRESENT), ("voices", KeyState.ABSENT)]


def test_functions_do_not_share_locals() -> None:
    facts = facts_of(
        """
        def first(db, org, i):
            filters = {"id": i, "clerk_org_id": org}
            db.select("calls", filters)

        def second(db, filters):
            db.select("calls", filters)

        def third(db, i):
            db.select("calls", filters)
        """
    )
    states = [(q.function, q.shape.state_for(KEY)) for q in facts.queries]
    assert states == [
        ("first", KeyState.PRESENT),
        ("second", KeyState.UNKNOWN),
        ("third", KeyState.UNKNOWN),
    ]


# ------------------------------------------------------------------------ non-queries

NON_QUERIES: dict[str, str] = {
    "payload-update": """
        def f(payload, org):
            payload.update({"clerk_org_id": org})
            payload.update("calls", {"id": 1})
        """,
    "cache-delete": """
        def f(cache, key):
            cache.delete(key)
            cache.delete("calls")
        """,
    "router-decorator": """
        @router.delete("/calls/{call_id}")
        @router.update("/calls")
        def f(call_id):
            return call_id
        """,
    "router-call": """
        router.delete("/calls")(handler)
        """,
    "orm-session-delete": """
        def f(session, obj):
            session.delete(obj)
            session.delete("calls")
        """,
    "http-get": """
        import requests

        def f(url):
            return requests.get(url), requests.delete("calls")
        """,
    "http-client-helper-name": """
        def f(client, sid):
            return client.get_call(sid), client.get_voice("calls")
        """,
    "list-insert": """
        def f(items):
            items.insert(0, "calls")
            names = []
            names.insert("calls", 1)
        """,
    "str-count": """
        def f(text):
            return text.count("calls") + "calls".count("c")
        """,
    "set-update": """
        def f(tags):
            seen = set()
            seen.update("calls")
            tags.update({"calls"})
        """,
    "dict-methods-on-db-looking-dict": """
        def f(org):
            db = {"calls": []}
            db.update({"calls": [org]})
            db.pop("calls")
        """,
    "attribute-not-a-call": """
        def f(db):
            handler = db.select
            return handler
        """,
    "plain-function-named-like-a-method": """
        def f():
            select("calls", {"id": 1})
            delete("calls")
        """,
}


@pytest.mark.parametrize("source", NON_QUERIES.values(), ids=NON_QUERIES.keys())
def test_non_queries_produce_no_facts(source: str) -> None:
    facts = facts_of(source)
    assert facts.queries == ()
    assert facts.helper_calls == ()


def test_helper_call_on_a_db_receiver() -> None:
    facts = facts_of(
        """
        def f(db, sid, org_id):
            db.get_call(sid)
            db.get_call(sid, org_id=org_id)
            db.get_voice(sid, org_id=None)
            db.get_campaign(*args)
        """
    )
    calls = [
        (h.name, h.positional, h.keywords, h.empty_keywords, h.has_star_args)
        for h in facts.helper_calls
    ]
    assert calls == [
        ("get_call", 1, (), (), False),
        ("get_call", 1, ("org_id",), (), False),
        ("get_voice", 1, (), ("org_id",), False),
        ("get_campaign", 0, (), (), True),
    ]
    assert facts.queries == ()


def test_configured_scoped_helper_is_recorded() -> None:
    source = "def f(db, aid):\n    return db.get_agent(aid)\n"
    helper = Config().scoped_helpers
    assert "get_agent" not in helper
    configured = facts_of(source, scoped_helpers={**helper, "get_agent": "org_id"})
    assert [h.name for h in configured.helper_calls] == ["get_agent"]


# ------------------------------------------------------------------------ ORG006 scoping

# Each module uses tenant-like names; the value lists the (name, line) uses that are
# unbound under Python's scoping rules.
SCOPING: dict[str, tuple[str, list[tuple[str, int]]]] = {
    "unbound-in-function": (
        """
        def f(user):
            clerk_org_id = user["clerk_org_id"]
            return client_id
        """,
        [("client_id", 4)],
    ),
    "parameter-binds": (
        """
        def f(org_id, *, tenant_id, **client_id):
            return org_id, tenant_id, client_id
        """,
        [],
    ),
    "closure-binds": (
        """
        def outer(org_id):
            def inner():
                return org_id
            return inner, lambda: org_id
        """,
        [],
    ),
    "closure-bound-later-in-enclosing-function": (
        """
        def outer():
            def inner():
                return org_id
            org_id = 1
            return inner
        """,
        [],
    ),
    "inner-binding-invisible-outside": (
        """
        def outer():
            def inner():
                org_id = 1
                return org_id
            return org_id
        """,
        [("org_id", 6)],
    ),
    "lambda-parameter": (
        """
        f = lambda org_id: org_id
        g = lambda: tenant_id
        """,
        [("tenant_id", 3)],
    ),
    "comprehension-variable-stays-inside": (
        """
        def f(rows):
            ids = [org_id for org_id in rows]
            return org_id
        """,
        [("org_id", 4)],
    ),
    "comprehension-sees-enclosing-function": (
        """
        def f(rows, org_id):
            return {r: org_id for r in rows if org_id}
        """,
        [],
    ),
    "nested-comprehension-variables": (
        """
        def f(groups):
            return [tenant_id for g in groups for tenant_id in g]
        """,
        [],
    ),
    "class-body-not-visible-in-methods": (
        """
        class Settings:
            org_id = "o"
            snapshot = org_id

            def current(self):
                return org_id
        """,
        [("org_id", 7)],
    ),
    "class-body-not-visible-in-class-comprehension": (
        """
        class Settings:
            tenant_id = "t"
            ids = [tenant_id for _ in range(2)]
        """,
        [("tenant_id", 4)],
    ),
    "module-binding-visible-everywhere": (
        """
        def f():
            return org_id

        class C:
            def m(self):
                return org_id

        org_id = "bound after use, still a module name"
        """,
        [],
    ),
    "global-statement-binds-module-name": (
        """
        def setup():
            global org_id
            org_id = "o"

        def use():
            return org_id
        """,
        [],
    ),
    "global-without-assignment-binds-nothing": (
        """
        def f():
            global tenant_id
            return tenant_id
        """,
        [("tenant_id", 4)],
    ),
    "star-import": (
        """
        from settings import *

        def f():
            return org_id, tenant_id
        """,
        [],
    ),
    "import-binds": (
        """
        from settings import org_id
        import tenant_id
        from x import y as client_id

        def f():
            return org_id, tenant_id, client_id
        """,
        [],
    ),
    "del-binds-locally-only": (
        """
        def cleanup():
            organization_id = 1
            del organization_id

        def use():
            return organization_id
        """,
        [("organization_id", 7)],
    ),
    "except-as": (
        """
        def f():
            try:
                pass
            except LookupError as clerk_org_id:
                log(clerk_org_id)

        def g():
            return clerk_org_id
        """,
        [("clerk_org_id", 9)],
    ),
    "walrus": (
        """
        def f(user):
            if (org_id := user.get("org")):
                return org_id
        """,
        [],
    ),
    "walrus-in-comprehension-binds-in-function": (
        """
        def f(rows):
            [(tenant_id := r) for r in rows]
            return tenant_id
        """,
        [],
    ),
    "match-captures": (
        """
        def f(cmd):
            match cmd:
                case {"org": org_id}:
                    return org_id
                case [client_id, *tenant_id]:
                    return client_id, tenant_id
                case Point(x=organization_id):
                    return organization_id
                case str() as clerk_org_id:
                    return clerk_org_id
        """,
        [],
    ),
    "match-capture-in-another-function": (
        """
        def f(cmd):
            match cmd:
                case {"org": org_id}:
                    pass

        def g():
            return org_id
        """,
        [("org_id", 8)],
    ),
    "nonlocal": (
        """
        def outer():
            org_id = 1
            def inner():
                nonlocal org_id
                org_id = 2
                return org_id
            return inner
        """,
        [],
    ),
    "nonlocal-does-not-reach-siblings": (
        """
        def outer():
            org_id = 1
            def inner():
                nonlocal org_id
                org_id = 2
            return inner

        def sibling():
            return org_id
        """,
        [("org_id", 10)],
    ),
    "for-target-and-with-target": (
        """
        def f(rows, ctx):
            for org_id in rows:
                pass
            with ctx as tenant_id:
                pass
            return org_id, tenant_id
        """,
        [],
    ),
    "augmented-assignment-binds": (
        """
        def f():
            org_id += 1
            return org_id
        """,
        [],
    ),
    "annotation-only-binds-locally": (
        """
        def f():
            org_id: str
            return org_id
        """,
        [],
    ),
    "function-and-class-names": (
        """
        def org_id():
            return tenant_id

        class tenant_id:
            pass
        """,
        [],
    ),
    "attribute-and-keyword-are-not-names": (
        """
        def f(user, db):
            db.select("calls", {"clerk_org_id": user.clerk_org_id})
            return call(org_id=user.org_id)
        """,
        [],
    ),
    "every-use-reported": (
        """
        def f():
            log(client_id)
            return client_id
        """,
        [("client_id", 3), ("client_id", 4)],
    ),
    "in-decorator-and-default": (
        """
        @scoped(org_id)
        def f(x=tenant_id):
            return x
        """,
        [("org_id", 2), ("tenant_id", 3)],
    ),
    "in-f-string": (
        """
        def f(user):
            clerk_org_id = user["clerk_org_id"]
            return f"folders for {client_id}"
        """,
        [("client_id", 4)],
    ),
}


@pytest.mark.parametrize(("source", "unbound"), SCOPING.values(), ids=SCOPING.keys())
def test_undefined_tenant_names(source: str, unbound: list[tuple[str, int]]) -> None:
    facts = facts_of(source)
    assert [(u.name, u.span.line) for u in facts.undefined_names] == unbound


def test_configured_keys_are_watched() -> None:
    source = "def f():\n    return workspace_id, client_id, account_ref\n"
    assert [u.name for u in facts_of(source).undefined_names] == ["client_id"]
    configured = facts_of(
        source, tenant_key="workspace_id", legacy_keys=(), table_keys={"t": "account_ref"}
    )
    assert sorted(u.name for u in configured.undefined_names) == ["account_ref", "workspace_id"]


def test_undefined_name_span_points_at_the_name() -> None:
    text = 'def f():\n    x = "é"; log(client_id, client_id)\n'
    facts = facts_of(text)
    spans = [(u.span.line, u.span.column, u.span.end_column) for u in facts.undefined_names]
    assert spans == [(2, 18, 27), (2, 29, 38)]
    line = text.splitlines()[1]
    assert all(line[c - 1 : e - 1] == "client_id" for _, c, e in spans)


# ------------------------------------------------------------------------ positions


def assert_points_at_receiver(text: str, facts: FileFacts) -> None:
    lines = python_lines(text)
    for query in facts.queries:
        span = query.span
        at = lines[span.line - 1][span.column - 1 :]
        assert at.startswith(query.receiver), (query, at)
        before_end = lines[span.end_line - 1][: span.end_column - 1]
        assert before_end.endswith(")"), (query, before_end)


def test_identical_calls_in_several_functions_keep_their_own_position() -> None:
    text = textwrap.dedent(
        """\
        def a(db, i):
            db.select("calls", {"id": i})  # a

        def b(db, i):
            x = 1; db.select("calls", {"id": i})  # b

        class C:
            def a(self, db, i):
                return db.select("calls", {"id": i})  # C.a

            def b(self, db, i):
                if i:
                    return db.select("calls", {"id": i})  # C.b
                return db.select("calls", {"id": i})  # C.b
        """
    )
    facts = facts_of(text)
    lines = text.splitlines()
    assert len(facts.queries) == 5
    assert len({q.span for q in facts.queries}) == 5
    for query in facts.queries:
        assert lines[query.span.line - 1].endswith(f"# {query.function}")
    assert_points_at_receiver(text, facts)


def test_each_fact_is_paired_with_its_own_call() -> None:
    """Calls that look alike but carry different filters: each fact at its own line."""
    text = textwrap.dedent(
        """\
        def f(db, i, cond, items):
            db.select("calls", {"k_plain": i})
            if cond:
                db.select("calls", {"k_then": i})
            else:
                db.select("calls", {"k_else": i})
            for item in items:
                db.select("calls", {"k_loop": i})
            while cond:
                db.select("calls", {"k_while": i})
            with cond:
                db.select("calls", {"k_with": i})
            match cond:
                case 1:
                    db.select("calls", {"k_case": i})
            return [db.select("calls", {"k_comp": x}) for x in items]
        """
    )
    facts = facts_of(text)
    lines = text.splitlines()
    assert len(facts.queries) == 8
    for query in facts.queries:
        (key,) = query.shape.key_names
        assert f'"{key}"' in lines[query.span.line - 1], (key, query.span)


def test_each_fact_is_paired_with_its_own_call_in_try_else() -> None:
    text = textwrap.dedent(
        """\
        def f(db, i, org):
            try:
                prepare()
            except KeyError:
                db.select("calls", {"k_handler": i})
            else:
                db.select("calls", {"k_else": i})
        """
    )
    facts = facts_of(text)
    lines = text.splitlines()
    for query in facts.queries:
        (key,) = query.shape.key_names
        assert f'"{key}"' in lines[query.span.line - 1], (key, query.span)


def test_multi_line_call_points_at_its_start() -> None:
    text = textwrap.dedent(
        """\
        def f(db, i):
            return (
                db
                .update(
                    "calls",
                    {"id": i},
                    {"archived": True},
                )
            )
        """
    )
    query = only_query(text)
    assert (query.span.line, query.span.column) == (3, 9)
    assert (query.span.end_line, query.span.end_column) == (8, 10)
    assert query.snippet == "db"
    assert_points_at_receiver(text, facts_of(text))


def test_calls_inside_f_strings_and_lambdas() -> None:
    text = textwrap.dedent(
        """\
        def f(db, i):
            log(f"found {db.select('calls', {'id': i})} rows")
            count = lambda: db.count("calls", {"id": i})
            return count
        """
    )
    facts = facts_of(text)
    assert [(q.method, q.span.line, q.span.column) for q in facts.queries] == [
        ("select", 2, 18),
        ("count", 3, 21),
    ]
    assert all(q.function == "f" for q in facts.queries)
    assert_points_at_receiver(text, facts)


def test_nested_identical_calls() -> None:
    text = textwrap.dedent(
        """\
        def f(db, i):
            db.update("calls", {"id": i}, db.select("calls", {"id": i}))
        """
    )
    facts = facts_of(text)
    assert sorted((q.method, q.span.column) for q in facts.queries) == [
        ("select", 35),
        ("update", 5),
    ]
    assert_points_at_receiver(text, facts)


@pytest.mark.parametrize(
    "prefix",
    [
        's = "héllo wörld"; ',
        's = "日本語"; ',
        's = "\U0001d518\U0001d52b\U0001d526"; ',
        "s = '✓'; t = 'é'; ",
    ],
    ids=["latin", "cjk", "astral", "several"],
)
def test_columns_count_characters_not_bytes(prefix: str) -> None:
    text = f"def f(db, i):\n    {prefix}db.delete(\"calls\", {{'id': i}})\n"
    query = only_query(text)
    assert query.span.line == 2
    assert query.span.column == 5 + len(prefix)
    assert query.span.end_column == len(text.splitlines()[1]) + 1
    assert_points_at_receiver(text, facts_of(text))


def test_construction_and_helper_call_positions() -> None:
    text = textwrap.dedent(
        """\
        def f(sid):
            x = "é"; svc = DatabaseService(token="t")
            return svc.get_call(sid)
        """
    )
    facts = facts_of(text)
    lines = text.splitlines()
    (construction,) = facts.constructions
    span = construction.span
    assert lines[span.line - 1][span.column - 1 :].startswith("DatabaseService(")
    (helper,) = facts.helper_calls
    span = helper.span
    assert lines[span.line - 1][span.column - 1 :].startswith("svc.get_call(")


def test_crlf_line_endings() -> None:
    text = 'def f(db, i):\r\n    x = "é"\r\n    db.select("calls", {"id": i})\r\n'
    query = only_query(text)
    assert (query.span.line, query.span.column) == (3, 5)
    assert query.snippet == 'db.select("calls", {"id": i})'


def test_form_feed_and_unicode_line_separator_do_not_shift_lines() -> None:
    text = (
        'import os\n\x0c\n# a\u2028b\ndef f(db, i):\n    s = "é"; db.select("calls", {"id": i})\n'
    )
    facts = facts_of(text)
    (query,) = facts.queries
    assert query.span.line == 5
    assert query.snippet == 's = "é"; db.select("calls", {"id": i})'
    assert query.span.column == 14
    assert facts.lines == 5


def test_function_facts() -> None:
    text = textwrap.dedent(
        """\
        async def handler(org_id, call_id):
            return 1

        class DatabaseService:
            def get_call(self, call_id, org_id=None):
                pass
        """
    )
    facts = facts_of(text)
    found = {
        fn.qualname: (fn.span.line, fn.end_line, fn.db_class, fn.params, fn.org_params)
        for fn in facts.functions
    }
    assert found == {
        "handler": (1, 2, False, ("org_id", "call_id"), ("org_id",)),
        "DatabaseService.get_call": (5, 6, True, ("self", "call_id", "org_id"), ("org_id",)),
    }


def test_decorated_function_ends_at_its_last_line() -> None:
    text = textwrap.dedent(
        """\
        @router.get("/calls")
        @requires_auth
        def handler(org_id):
            return 1

        def other():
            return 2
        """
    )
    # `other` holds nothing tenant-related: it is left out of the LibCST parse, known
    # from the `ast` only for the calls it makes (`plain_calls`).
    handler = next(fn for fn in facts_of(text).functions if fn.name == "handler")
    assert (handler.span.line, handler.end_line) == (3, 4)


# ------------------------------------------------------------------------ through the engine


def _write(root: Path, files: dict[str, str]) -> None:
    for name, code in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(code), encoding="utf-8")


def _findings(root: Path, **settings: Any) -> list[tuple[str, int, int, str]]:
    config = config_from_mapping(settings, source=root / "orgscope.toml")
    result = run([root], config, cwd=root)
    return [(f.path, f.line, f.column, f.code) for f in result.active]


def test_engine_reports_through_every_receiver_kind(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "app/api.py": """
            from typing import Annotated, Optional

            CALLS = "calls"

            async def typed(i, store: Annotated[DatabaseService, Depends(get_db)]):
                return store.select(CALLS, {"id": i})

            def optional(i, store: Optional[DatabaseAdminService] = None):
                store.delete("calls", {"id": i})

            def built(i):
                svc = DatabaseService()
                svc.update("calls", {"id": i}, {})

            class Repo:
                def __init__(self):
                    self.svc = DatabaseService()

                def get(self, i):
                    return self.svc.count("calls", {"id": i})

            def fine(db, org, i):
                filters = {"id": i}
                if not org:
                    raise PermissionError()
                filters["clerk_org_id"] = org
                db.select("calls", filters)

            def not_db(cache, payload, i):
                cache.delete("calls")
                payload.update({"id": i})
            """,
        },
    )
    assert _findings(tmp_path) == [
        ("app/api.py", 7, 12, "ORG001"),
        ("app/api.py", 10, 5, "ORG001"),
        ("app/api.py", 14, 5, "ORG001"),
        ("app/api.py", 21, 16, "ORG001"),
    ]


def test_engine_respects_table_configuration(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "api.py": """
            def f(db, i, org):
                db.select("plans", {"id": i})
                db.select("api_keys", {"id": i, "clerk_org_id": org})
                db.select("calls", {"id": i, "clerk_org_id": org})
            """,
        },
    )
    assert _findings(
        tmp_path, **{"global-tables": ["plans"], "table-keys": {"api_keys": "client_id"}}
    ) == [("api.py", 4, 5, "ORG001")]


def test_filter_from_an_unknown_call_is_silent_by_default(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "api.py": """
            from elsewhere import build_filters

            def f(db, i):
                db.select("calls", build_filters(i))
                db.select("calls", {"id": i})
            """,
        },
    )
    assert _findings(tmp_path) == [("api.py", 6, 5, "ORG001")]


def test_system_context_of_a_decorated_function_stays_inside_it(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "api.py": """\
            @requires_admin
            @log_calls(level=2)
            def admin(db):  # orgscope: system-context -- cross-tenant admin listing
                return db.select("calls", {})
            def leak(db, i):
                db.delete("calls", {"id": i})
            """,
        },
    )
    assert _findings(tmp_path) == [("api.py", 6, 5, "ORG001")]


# ------------------------------------------------------------------------ inheritance


def test_self_in_subclass_through_a_class_without_db_calls() -> None:
    query = only_query(
        """
        class BaseService(DatabaseService):
            pass

        class CachedService(BaseService):
            def cached(self, key):
                return self._cache[key]

        class CallService(CachedService):
            def archive(self, i):
                return self.update("calls", {"id": i}, {"archived": True})
        """
    )
    assert (query.table, query.function) == ("calls", "CallService.archive")


def test_self_attribute_assigned_in_a_base_class() -> None:
    query = only_query(
        """
        class Repo:
            def __init__(self):
                self.store = DatabaseService()

        class CallRepo(Repo):
            def get(self, i):
                return self.store.select("calls", {"id": i})
        """
    )
    assert (query.table, query.receiver_class) == ("calls", "DatabaseService")
