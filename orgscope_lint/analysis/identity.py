"""Whether a query reaches only the caller's own identity row.

Authentication code resolves who is calling before any tenant is known: it looks the
user up by the verified subject of a token, and later code reads or updates that same
row by the principal's own id. Such a lookup pins a unique identity column to the
authenticated identity, so it can only ever reach the caller's row: it is not a tenant
query, whatever tenant or legacy key the table also carries.

The authenticated identity is either a value read from the principal (`current_user["id"]`)
or, inside a function that resolves the principal (one that other functions
`Depends(...)` on), a value computed from that function's own parameters (the
credentials it was handed), never one taken from request input.
"""

from __future__ import annotations

from collections.abc import Collection

from orgscope_lint.facts import FunctionFact, KeyFact, Shape

# Columns that name one user, and only one: pinning one of them to the caller's identity
# selects the caller's own row.
IDENTITY_COLUMNS = frozenset({"id", "uid", "sub", "email", "user_id", "auth_id", "username"})
_IDENTITY_SUFFIXES = ("_user_id", "_user_uid", "_auth_id")


def is_identity_column(column: str) -> bool:
    return column in IDENTITY_COLUMNS or column.endswith(_IDENTITY_SUFFIXES)


def pins_own_identity(
    shape: Shape, function: FunctionFact | None, principal_providers: Collection[str]
) -> bool:
    """A filter that pins an identity column to the authenticated identity on every path."""
    providing = function is not None and function.name in principal_providers
    return any(
        is_identity_column(fact.key) and _authenticated(fact, function if providing else None)
        for fact in shape.keys
    )


def _authenticated(fact: KeyFact, provider: FunctionFact | None) -> bool:
    if not fact.always or fact.empty or fact.maybe_empty:
        return False
    if fact.origin == "principal":
        return True
    if provider is None or fact.origin is not None or fact.row:
        return False
    # Computed from the credentials the principal-resolving function was given.
    return bool(fact.params) and set(fact.params) <= set(provider.params)
