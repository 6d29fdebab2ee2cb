"""A policy admitting only a role no API request runs as lets no tenant's rows through."""

from __future__ import annotations

import pytest

from orgscope_lint.rls.policies import Context, Scope, judge

CONTEXT = Context(
    key="tenant_id", legacy=frozenset(), owners=frozenset({"user_id"}), caller_settings=frozenset()
)


@pytest.mark.parametrize(
    "expression",
    [
        "auth.role() = 'service_role'",
        "'service_role' = auth.role()",
        "(auth.jwt() ->> 'role') = 'service_role'",
        "(current_setting('request.jwt.claims', true)::jsonb ->> 'role') = 'service_role'",
        "current_user = 'postgres'",
        "auth.role() = 'service_role' OR tenant_id = auth.uid()",
    ],
)
def test_only_roles_the_api_never_runs_as(expression: str) -> None:
    assert judge(expression, CONTEXT) is Scope.SCOPED


@pytest.mark.parametrize(
    "expression",
    [
        "auth.role() = 'authenticated'",  # every signed-in user, every tenant's rows
        "auth.role() = 'anon'",
        "auth.role() = 'service_role' OR true",
        "status = 'service_role'",  # a column of the row, not the caller's role
        "auth.role() = 'service_role' OR current_setting('request.jwt.claims', true) IS NULL",
    ],
)
def test_api_roles_or_anything_else_are_not(expression: str) -> None:
    assert judge(expression, CONTEXT) is Scope.NONE
