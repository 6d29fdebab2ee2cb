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

import re
from collections.abc import Collection, Iterator, Sequence
from typing import TYPE_CHECKING

from orgscope_lint.facts import FunctionFact, KeyFact, Query, Shape

if TYPE_CHECKING:
    from orgscope_lint.analysis.service_api import CallArgs
    from orgscope_lint.analysis.values import Value

# Columns that name one user, and only one: pinning one of them to the caller's identity
# selects the caller's own row.
IDENTITY_COLUMNS = frozenset({"id", "uid", "sub", "email", "user_id", "auth_id", "username"})
_IDENTITY_SUFFIXES = ("_user_id", "_user_uid", "_auth_id")


# Columns holding a caller's secret: matched against the credential the request presents,
# the lookup is the authentication itself (whoever holds the key is its owner).
_CREDENTIAL_COLUMNS = frozenset({"api_key", "api_key_hash", "key_hash", "access_token"})
_CREDENTIALS_TRAVEL_IN = ("request:header", "request:cookie")
# Columns holding the secret of an invitation, share or reset link (or its hash): an
# unguessable value handed to the one person meant to use the row.
_LINK_TOKEN = re.compile(r"^(?:[a-z0-9]+_)*token(?:_hash|_digest)?$|^hashed_token$", re.I)
# Token verification, by the vocabulary every auth library and project uses for it: the
# result is the verified subject of the token, the authenticated identity.
_VERIFIES_TOKEN = re.compile(
    r"^(?:verify|validate|authenticate|decode)_?"
    r"(?:jwt|token|bearer|session_token|access_token|id_token|credentials?|auth_token)"
    r"(?:_claims|_payload)?$"  # `decode_jwt_claims(token, secret)`
    r"|^(?:verify|decode)_\w+_(?:token|jwt)$"  # `verify_impersonation_token`
    r"|(?:^|\.)jwt\.decode$",
    re.IGNORECASE,
)


# Columns holding a secret's stored form: a presented secret that matches one proves the
# presenter holds the row's credential.
_STORED_SECRET = re.compile(r"(?:^|_)(?:hash|hashed|digest|secret|password)(?:_|$)", re.I)


def is_stored_secret(column: str) -> bool:
    """`secret_key_hash`, `password_hash`, `hashed_password`, `key_digest`."""
    return bool(_STORED_SECRET.search(column))


# The same vocabulary in source text, as a call: a file or function that verifies a
# token is analysed even with no database call in it, for what it returns.
_TOKEN_CHECK_TEXT = re.compile(
    r"\b(?:verify|validate|authenticate|decode)_?\w*?"
    r"(?:jwt|token|bearer|credentials?)(?:_claims|_payload)?\s*\("
    r"|\bjwt\.decode\s*\(",
    re.IGNORECASE,
)


def mentions_token_check(text: str) -> bool:
    """`verify_jwt(`, `decode_access_token(`, `jwt.decode(` somewhere in `text`."""
    return _TOKEN_CHECK_TEXT.search(text) is not None


def verifies_token(name: str) -> bool:
    """`verify_jwt(token, secret)`, `jwt.decode(...)`, `auth.verify_id_token(...)`."""
    last = name.rsplit(".", 1)[-1]
    return bool(_VERIFIES_TOKEN.search(name) or _VERIFIES_TOKEN.match(last))


# An identity provider's look-up of one account by its id (Supabase's admin API): handed
# the principal's own id, what it returns is the caller's own account.
_LOOKS_UP_ACCOUNT = re.compile(r"(?:^|\.)auth\.admin\.get_user_by_id$")


def looks_up_account(name: str) -> bool:
    """`supabase.auth.admin.get_user_by_id(user_id)`."""
    return bool(_LOOKS_UP_ACCOUNT.search(name))


# The identity provider's answer about who is calling, or about the account the call has
# just created (Supabase's auth API): the user in it is the caller's own account (the
# credentials, the code or the session presented), or a new one no other tenant holds.
# Not an account looked up by a value the request names (`generate_link(email=...)`
# answers with whichever existing account has that email).
_AUTHENTICATES = re.compile(
    r"(?:^|\.)auth\.(?:sign_in_with_password|sign_in_with_otp|sign_in_with_id_token"
    r"|sign_up|verify_otp|get_user|update_user|exchange_code_for_session|set_session"
    r"|refresh_session|admin\.create_user)$"
)


def authenticates(name: str) -> bool:
    """`client.auth.sign_in_with_password({...})`, `admin.auth.admin.create_user({...})`."""
    return bool(_AUTHENTICATES.search(name))


def is_identity_column(column: str) -> bool:
    return column in IDENTITY_COLUMNS or column.endswith(_IDENTITY_SUFFIXES)


def pins_own_identity(
    shape: Shape,
    function: FunctionFact | None,
    principal_providers: Collection[str],
    identity_params: Collection[str] = (),
) -> bool:
    """A filter that pins an identity column to the authenticated identity on every path.
    `identity_params`: the function's parameters a dependency fills with the caller's
    own id (`dependency_values.identity_params`)."""
    # The caller's own identity row, or the row of the secret the caller presented
    # (`.eq("token_hash", hash_token(credentials.credentials))`).
    return pins_presented_credential(shape) or any(
        is_identity_column(column) or _holds_secret(column)
        for column in _authenticated_columns(shape, function, principal_providers, identity_params)
    )


def own_identity_record(
    shape: Shape,
    function: FunctionFact | None,
    principal_providers: Collection[str],
    identity_params: Collection[str],
    unique_columns: Collection[str],
) -> bool:
    """A record that sets a column naming one row of its table (`profiles.id`) to the
    authenticated identity: the caller's own row, the only one that id can make."""
    return any(
        column in unique_columns and is_identity_column(column)
        for column in _authenticated_columns(shape, function, principal_providers, identity_params)
    )


def _authenticated_columns(
    shape: Shape,
    function: FunctionFact | None,
    principal_providers: Collection[str],
    identity_params: Collection[str],
) -> Iterator[str]:
    """The columns `shape` pins to the authenticated identity on every path."""
    providing = function is not None and function.name in principal_providers
    provider = function if providing else None
    for fact in shape.keys:
        if _authenticated(fact, provider, identity_params):
            yield fact.key


def _holds_secret(column: str) -> bool:
    return _is_credential_column(column) or is_link_token_column(column) or is_stored_secret(column)


def pins_presented_credential(shape: Shape) -> bool:
    """A filter matching a credential column to the one the request presents, or a
    link's token column to the token the request carries: its rows belong to whoever
    holds that secret."""
    return any(
        (_is_credential_column(f.key) and _presented_credential(f))
        or (is_link_token_column(f.key) and _presented_token(f))
        for f in shape.keys
    )


def found_by_secret(query: Query) -> bool:
    """Found by a secret the request presented (a credential, a link's token) or one
    matched against the row's stored hash: the presenter's own row."""
    return query.credential_verified or pins_presented_credential(query.shape)


def is_link_token_column(column: str) -> bool:
    """`token`, `invite_token`, `share_token_hash`: a secret a link carries."""
    return bool(_LINK_TOKEN.match(column))


def _presented_token(fact: KeyFact) -> bool:
    """Matched by equality to a value from the request (an invitation link's path or
    query, a reset form's body), or to one a caller hands the function (`def
    validate_session(db, token)`): finding a row needs the secret itself."""
    if not fact.always or fact.empty or fact.maybe_empty or fact.row:
        return False
    origin = fact.origin or ""
    return origin.startswith("request") or (fact.origin is None and bool(fact.params))


def _is_credential_column(column: str) -> bool:
    """`api_key`, `stripe_api_key`, and a stored secret matched as such: `secret`,
    `webhook_secret` (an organization's shared secret for its webhooks)."""
    if column.startswith(("is_", "has_")):
        return False  # `is_secret`: a flag, not the secret
    return (
        column in _CREDENTIAL_COLUMNS
        or column.endswith(("_api_key", "_secret"))
        or column == "secret"
    )


def _presented_credential(fact: KeyFact) -> bool:
    """Matched by equality to a credential the request presents (a header, a cookie),
    or to one a caller hands the function (`def org_for_secret(secret)`), as a link's
    token is: finding a row needs the secret itself."""
    if not fact.always or fact.empty or fact.maybe_empty or fact.row:
        return False
    origin = fact.origin or ""
    return origin.startswith(_CREDENTIALS_TRAVEL_IN) or (fact.origin is None and bool(fact.params))


def _authenticated(
    fact: KeyFact, provider: FunctionFact | None, identity_params: Collection[str]
) -> bool:
    if not fact.always or fact.empty:
        return False
    if fact.origin == "unverified":
        return True  # `claims.get("sub")`: the subject, or None, which matches no row
    if fact.maybe_empty:
        return False
    if fact.origin == "principal":
        return True
    own = fact.origin is None and not fact.row and bool(fact.params)
    if own and set(fact.params) <= set(identity_params):
        return True  # what a dependency that returns the caller's own id filled
    if provider is None or fact.origin is not None or fact.row:
        return False
    # Computed from the credentials the principal-resolving function was given.
    return bool(fact.params) and set(fact.params) <= set(provider.params)


# --- functions that return the caller's own identity -------------------------------
#
# ```python
# def _user_id(request, fallback):
#     claims = decode_jwt(request.headers["Authorization"][7:], SECRET)
#     return claims.get("sub") or fallback
# ```
# Each `return` is the verified subject of a token, or a parameter as given: called with
# the principal's id for `fallback`, the result is the caller's own id, whichever path.

_IDENTITY = ("principal", "unverified")


def returned_identity(name: str | None, value: Value, params: Sequence[str]) -> str | None:
    """What one `return` hands back (`name`: the name it returns, if a bare one): "" for
    the authenticated identity, the name of a parameter returned as given (`return
    fallback`), None for anything else."""
    if value.origin in _IDENTITY and not value.row and not value.params:
        return ""  # not computed from a parameter: a `current_user` of the caller's choice
    if name in params and value.origin is None and value.params == {name} and not value.row:
        return name
    return None


def returns_identity(returned: Sequence[str | None]) -> tuple[str, ...] | None:
    """`FunctionFact.returns_identity` from what each `return` hands back."""
    if "" not in returned or None in returned:
        return None
    return tuple(dict.fromkeys(param for param in returned if param))


def identity_value(fn: FunctionFact, args: CallArgs, filled: Collection[str]) -> Value | None:
    """The result of calling `fn` with `args`, when it is the caller's own id: each
    parameter it may return is handed the principal's id, or a parameter of the caller
    that a dependency fills (`filled`: the project decides whether that one returns the
    caller's id, `dependency_values.identity_params`; the result carries its name)."""
    from orgscope_lint.analysis.values import Value

    if args.starred:
        return None
    given = [_argument(fn, args, param) for param in fn.returns_identity or ()]
    params: set[str] = set()
    for value in given:
        if value is not None and _filled_param(value, filled):
            params |= value.params
        elif value is None or value.origin not in _IDENTITY:
            return None
    if params:
        return Value(params=frozenset(params))
    if all(value is not None and value.origin == "principal" for value in given):
        return Value(origin="principal")
    return Value(origin="unverified", nullable=True)


def _filled_param(value: Value, filled: Collection[str]) -> bool:
    """The caller's own parameter as given, one a dependency fills."""
    return (
        value.origin is None
        and not value.row
        and len(value.params) == 1
        and value.params <= set(filled)
    )


def _argument(fn: FunctionFact, args: CallArgs, param: str) -> Value | None:
    if param in args.keywords:
        return args.keywords[param]
    position = fn.params.index(param) if param in fn.params else None
    if position is not None and position < len(args.positional):
        return args.positional[position]
    return None
