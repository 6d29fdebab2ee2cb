"""Which tests only the platform's own staff pass (analysis/platform_roles.py)."""

from __future__ import annotations

import libcst as cst
import pytest

from orgscope_lint.analysis import guards, platform_roles


def _platform_only(test: str, truth: bool = True, principal: str = "auth") -> bool:
    facts = guards.established(cst.parse_expression(test), truth)

    def is_principal(node: cst.BaseExpression) -> bool:
        return isinstance(node, cst.Name) and node.value == principal

    return platform_roles.platform_only(facts, is_principal)


@pytest.mark.parametrize(
    ("test", "truth", "expected"),
    [
        ("isinstance(auth, SuperAdminContext)", True, True),
        ("isinstance(auth, models.PlatformStaff)", True, True),
        ("isinstance(auth, (SuperAdminContext, SuperUser))", True, True),
        ("isinstance(auth, SuperAdminContext) and body.org_id", True, True),
        # Not taken: any tenant caller goes this way.
        ("isinstance(auth, SuperAdminContext)", False, False),
        # A tenant's own role, or one tenant class among the alternatives.
        ("isinstance(auth, OrgAdminContext)", True, False),
        ("isinstance(auth, (SuperAdminContext, MemberContext))", True, False),
        # Of the request body, not of the caller.
        ("isinstance(body, SuperAdminContext)", True, False),
        ("isinstance(auth, SuperAdminContext) or body.org_id", True, False),
    ],
)
def test_the_principal_of_a_platform_class(test: str, truth: bool, expected: bool) -> None:
    assert _platform_only(test, truth) is expected


def test_isinstance_is_a_truth_value_of_two_plain_arguments() -> None:
    assert guards.is_isinstance_call(cst.parse_expression("isinstance(x, C)"))
    assert not guards.is_isinstance_call(cst.parse_expression("isinstance(*pair)"))
    assert not guards.is_isinstance_call(cst.parse_expression("is_instance(x, C)"))
