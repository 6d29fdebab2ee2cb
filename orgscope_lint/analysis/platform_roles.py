"""Which roles are the platform's own (its staff), not a tenant's.

A branch only platform staff take (`if current_user["role"] == UserRole.SUPER_ADMIN:`,
`if user.is_superuser:`) is no tenant caller's path: `if role != SUPER_ADMIN: if org !=
org_id: raise` checks the organization of every tenant caller, and the branch it skips
runs on the platform's behalf, as a route behind a platform-admin dependency does
(`system_context`). A role whose name also says it is a tenant's (`org_admin`,
`workspace_owner`) is never a platform role.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import libcst as cst

from orgscope_lint.analysis import guards
from orgscope_lint.analysis.syntax import dotted_name, string_literal
from orgscope_lint.analysis.system_context import is_platform_word


def platform_only(
    facts: Iterable[guards.Fact], is_principal: Callable[[cst.BaseExpression], bool]
) -> bool:
    """Whether the facts a test established (`guards.established`) say the caller holds
    a platform role: the principal's own role equals (or is one of) platform roles only,
    or a flag of the principal named for one is set."""
    for fact in facts:
        if isinstance(fact, guards.Equal) and fact.unless_public is None:
            for role, held in ((fact.left, fact.right), (fact.right, fact.left)):
                if _names_platform_role(role) and is_principal(held):
                    return True
        elif isinstance(fact, guards.Member):
            if _platform_roles_only(fact.collection) and is_principal(fact.element):
                return True
        elif isinstance(fact, guards.Truthy):
            name = guards.field_name(fact.node)
            if name is not None and is_platform_word(name) and is_principal(fact.node):
                return True
            if _asks_platform_role(fact.node, is_principal):
                return True
            if _platform_instance(fact.node, is_principal):
                return True
    return False


def _platform_instance(
    node: cst.BaseExpression, is_principal: Callable[[cst.BaseExpression], bool]
) -> bool:
    """`isinstance(auth, SuperAdminContext)`: the principal is of a class named for
    platform staff only (a tuple of them, too)."""
    if not isinstance(node, cst.Call) or not guards.is_isinstance_call(node):
        return False
    held, kinds = node.args[0].value, node.args[1].value
    classes = kinds.elements if isinstance(kinds, cst.Tuple) else (cst.Element(kinds),)
    return is_principal(held) and all(
        is_platform_word(dotted_name(item.value).rpartition(".")[2]) for item in classes
    )


def _asks_platform_role(
    node: cst.BaseExpression, is_principal: Callable[[cst.BaseExpression], bool]
) -> bool:
    """`user_profile.has_role("platform_admin")`: the principal's own object asked about
    platform roles only."""
    if not isinstance(node, cst.Call) or not isinstance(node.func, cst.Attribute):
        return False
    if not node.args or not is_principal(node.func.value):
        return False
    return all(_names_platform_role(arg.value) for arg in node.args)


def _names_platform_role(node: cst.BaseExpression) -> bool:
    """`"super-admin"` or `UserRole.SUPER_ADMIN`: a constant naming a platform role."""
    text = string_literal(node)
    if text is None and isinstance(node, cst.Attribute):
        text = node.attr.value if node.attr.value.isupper() else None
    return text is not None and is_platform_word(text)


def _platform_roles_only(node: cst.BaseExpression) -> bool:
    if not isinstance(node, (cst.Tuple, cst.List, cst.Set)) or not node.elements:
        return False
    return all(
        isinstance(item, cst.Element) and _names_platform_role(item.value) for item in node.elements
    )
