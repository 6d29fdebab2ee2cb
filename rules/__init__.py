"""The rule catalogue: one module per rule, registered here in code order."""

from __future__ import annotations

from orgscope_lint.rule import Rule

from .org000_parse_error import ParseError
from .org001_missing_tenant_filter import MissingTenantFilter
from .org002_unfiltered_query import UnfilteredQuery
from .org003_insert_without_tenant import InsertWithoutTenant
from .org004_unscoped_helper_call import UnscopedHelperCall
from .org005_helper_drops_tenant import HelperDropsTenant
from .org006_undefined_tenant_name import UndefinedTenantName
from .org007_conditional_tenant_filter import ConditionalTenantFilter
from .org008_unverified_tenant_id import UnverifiedTenantId
from .org009_untrusted_tenant_source import UntrustedTenantSource
from .org010_stale_tenant_key import StaleTenantKey
from .org011_service_without_tenant_context import ServiceWithoutTenantContext
from .org012_unverifiable_filter import UnverifiableFilter
from .org013_implicit_tenant_scope import ImplicitTenantScope
from .org100_unused_suppression import UnusedSuppression
from .org201_rls_disabled import RlsDisabled
from .org202_policy_ignores_tenant import PolicyIgnoresTenant
from .org203_policy_trusts_caller import PolicyTrustsCaller
from .org204_tenant_column_weakened import TenantColumnWeakened
from .org205_rls_bypass_object import RlsBypassObject
from .org206_policy_legacy_key import PolicyLegacyKey

ALL_RULES: tuple[type[Rule], ...] = (
    ParseError,
    MissingTenantFilter,
    UnfilteredQuery,
    InsertWithoutTenant,
    UnscopedHelperCall,
    HelperDropsTenant,
    UndefinedTenantName,
    ConditionalTenantFilter,
    UnverifiedTenantId,
    UntrustedTenantSource,
    StaleTenantKey,
    ServiceWithoutTenantContext,
    UnverifiableFilter,
    ImplicitTenantScope,
    UnusedSuppression,
    RlsDisabled,
    PolicyIgnoresTenant,
    PolicyTrustsCaller,
    TenantColumnWeakened,
    RlsBypassObject,
    PolicyLegacyKey,
)

RULES_BY_CODE: dict[str, type[Rule]] = {rule.code: rule for rule in ALL_RULES}


def get_rule(code: str) -> type[Rule] | None:
    return RULES_BY_CODE.get(code.upper())
