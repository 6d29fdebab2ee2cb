"""A Fixit rule equivalent to the simplest form of ORG001, for timing comparisons.

`db.select/select_one/count/update/delete("table", {...})` whose literal filter has no
`"clerk_org_id"` key. Global tables are the generated corpus's reference tables.
"""

from __future__ import annotations

import libcst as cst
from fixit import Invalid, LintRule, Valid

TENANT_KEY = "clerk_org_id"
METHODS = frozenset({"select", "select_one", "count", "update", "delete"})
RECEIVERS = frozenset({"db", "admin_db", "db_admin", "database"})
GLOBAL_TABLES = frozenset(
    {
        "plans",
        "feature_flags",
        "countries",
        "currencies",
        "timezones",
        "voice_library",
        "integration_catalog",
    }
)


def _receiver_name(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name):
        return node.attr.value if node.value.value == "self" else None
    return None


def _string(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


class MissingTenantFilter(LintRule):
    """A literal filter on a tenant table without the tenant key."""

    VALID = [
        Valid('db.select("agents", {"clerk_org_id": org, "id": i})'),
        Valid('db.select("plans", {"id": i})'),
        Valid('self.db.update("agents", {"id": i, "clerk_org_id": org}, data)'),
        Valid('client.select("agents", {"id": i})'),
    ]
    INVALID = [
        Invalid('db.select_one("agents", {"id": i})'),
        Invalid('self.db.delete("agents", {"id": i})'),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not isinstance(func, cst.Attribute) or func.attr.value not in METHODS:
            return
        if _receiver_name(func.value) not in RECEIVERS or len(node.args) < 2:
            return
        table = _string(node.args[0].value)
        filters = node.args[1].value
        if table is None or table in GLOBAL_TABLES or not isinstance(filters, cst.Dict):
            return
        for element in filters.elements:
            if isinstance(element, cst.DictElement) and _string(element.key) == TENANT_KEY:
                return
        self.report(node, f"{func.attr.value} on {table!r} does not filter by {TENANT_KEY}")
