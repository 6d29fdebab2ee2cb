"""The caller's own identity row: which filters reach only the authenticated user's row."""

from __future__ import annotations

import ast
import textwrap

import pytest

from orgscope_lint.analysis import analyze_module, identity
from orgscope_lint.config import Config
from orgscope_lint.facts import FileFacts


def facts_of(source: str) -> FileFacts:
    text = textwrap.dedent(source)
    facts = analyze_module("auth.py", text, ast.parse(text), Config())
    assert facts.error is None, facts.error
    return facts


def own_identity(source: str, providers: set[str] | None = None) -> bool:
    facts = facts_of(source)
    (query,) = facts.queries
    function = facts.function(query.function)
    depended_on = {name for fn in facts.functions for name in fn.depends_on}
    return identity.pins_own_identity(
        query.shape, function, depended_on if providers is None else providers
    )


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        ("id", True),
        ("email", True),
        ("clerk_user_id", True),
        ("user_id", True),
        ("sub", True),
        ("clerk_org_id", False),
        ("name", False),
        ("user_ids", False),
    ],
)
def test_identity_columns_are_a_generic_vocabulary(column: str, expected: bool) -> None:
    assert identity.is_identity_column(column) is expected


def test_principal_identity_field_pins_own_row() -> None:
    assert own_identity(
        """
        def me(current_user):
            return db.select("users", {"clerk_user_id": current_user["clerk_user_id"]})
        """
    )


def test_request_value_is_not_the_caller() -> None:
    assert not own_identity(
        """
        @router.get("/users/{user_id}")
        def user(user_id: str, current_user=Depends(get_current_user)):
            return db.select("users", {"id": user_id})
        """
    )


def test_non_identity_column_pinned_to_principal_is_not_an_identity_row() -> None:
    assert not own_identity(
        """
        def mine(current_user):
            return db.select("users", {"team": current_user["team"]})
        """
    )


RESOLVER = """
def resolve(creds=Depends(bearer)):
    claims = clerk.parse_claims(creds.credentials, KEY)
    return db.select("users", {"email": claims["email"]})

@router.get("/me")
def me(current_user=Depends(resolve)):
    return current_user
"""


def test_verified_subject_inside_the_principal_resolver_pins_own_row() -> None:
    assert own_identity(RESOLVER)


def test_the_same_function_is_no_resolver_when_nothing_depends_on_it() -> None:
    assert not own_identity(RESOLVER, providers=set())


def test_a_header_read_by_the_resolver_is_request_input() -> None:
    assert not own_identity(
        """
        def resolve(x_user_id: str = Header(...)):
            return db.select("users", {"id": x_user_id})

        @router.get("/me")
        def me(current_user=Depends(resolve)):
            return current_user
        """
    )


def test_identity_set_on_some_paths_only_does_not_count() -> None:
    assert not own_identity(
        """
        def me(current_user, flag):
            filters = {}
            if flag:
                filters["id"] = current_user["id"]
            return db.select("users", filters)
        """
    )


def test_a_verified_token_subject_is_the_caller_anywhere() -> None:
    assert own_identity(
        """
        @router.post("/sessions/update")
        async def update(request: Request):
            session_id = verify_jwt(request.headers["authorization"], SECRET)
            return db.select("sessions", {"id": session_id})
        """,
        providers=set(),
    )


def test_the_presented_api_key_finds_its_own_row() -> None:
    assert own_identity(
        """
        @router.post("/sessions")
        async def create(request: Request):
            api_key = request.headers.get("X-Api-Key")
            return db.select("projects", {"api_key": api_key})
        """
    )


def test_an_api_key_from_the_body_is_not_presented_credentials() -> None:
    assert not own_identity(
        """
        @router.post("/sessions")
        async def create(body: Body):
            return db.select("projects", {"api_key": body.api_key})
        """
    )


def test_a_secret_a_caller_hands_the_helper_finds_its_own_row() -> None:
    assert own_identity(
        """
        def org_for_secret(secret):
            return db.select("org_secrets", {"webhook_secret": secret})
        """
    )


def test_a_flag_named_for_secrets_is_no_secret() -> None:
    assert not own_identity(
        """
        def secret_documents(flag):
            return db.select("documents", {"is_secret": flag})
        """
    )


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        ("token", True),
        ("invite_token", True),
        ("share_token_hash", True),
        ("hashed_token", True),
        ("token_type", False),
        ("tokens_used", False),
        ("max_tokens", False),
    ],
)
def test_link_token_columns(column: str, expected: bool) -> None:
    assert identity.is_link_token_column(column) is expected


def test_a_link_token_from_the_path_finds_its_own_row() -> None:
    assert own_identity(
        """
        @router.post("/invitations/{token}/decline")
        async def decline(token: str = Path(...)):
            return db.select("invitations", {"token": token})
        """
    )


def test_the_hash_of_a_presented_token_finds_its_own_row() -> None:
    assert own_identity(
        """
        @router.get("/shared/{token}")
        async def shared(token: str = Path(...)):
            digest = hashlib.sha256(token.encode()).hexdigest()
            return db.select("documents", {"share_token_hash": digest})
        """
    )


def test_a_token_handed_in_finds_its_holders_row() -> None:
    # Whoever calls it holds the secret: a token read from another row is judged where
    # that row was read.
    assert own_identity(
        """
        def invitation_for(token):
            return db.select("invitations", {"token": token})
        """
    )


def test_a_token_read_from_a_row_is_not_presented() -> None:
    facts = facts_of(
        """
        def resend(invitation_id):
            old = db.select_one("invitations", {"id": invitation_id})
            return db.select("invitations", {"token": old["token"]})
        """
    )
    resent = facts.queries[1]
    assert not identity.pins_own_identity(resent.shape, facts.function(resent.function), set())


def test_the_hash_of_a_request_value_finds_its_holders_row() -> None:
    assert own_identity(
        """
        @router.post("/sessions/check")
        async def check(body: Presented):
            return db.select("user_sessions", {"token_hash": _hash_token(body.token)})
        """,
        providers=set(),
    )


def test_the_resolver_finds_the_row_of_the_token_it_was_presented() -> None:
    source = """
        def get_current_auth(credentials = Depends(bearer)):
            digest = hash_api_token(credentials.credentials)
            return db.select_one("api_tokens", {"token_hash": digest})
        """
    assert own_identity(source, providers={"get_current_auth"})
    assert own_identity(source.replace('"token_hash"', '"key_digest"'), {"get_current_auth"})


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("verify_jwt", True),
        ("jwt.decode", True),
        ("auth.verify_id_token", True),
        ("validate_token", True),
        ("wh.verify", False),
        ("payload.decode", False),
        ("verify_signature", False),
    ],
)
def test_token_verification_vocabulary(name: str, expected: bool) -> None:
    assert identity.verifies_token(name) is expected


def test_a_token_check_that_returns_its_claims_is_token_verification() -> None:
    assert identity.verifies_token("decode_jwt_claims")
    assert identity.verifies_token("verify_token_payload")
    assert not identity.verifies_token("decode_claims")


USER_OR = """
def _user_or(request, fallback):
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        sub = verify_jwt(header[7:], SECRET).get("sub")
        if sub:
            return sub
    return fallback
"""


def _returns_identity(source: str) -> tuple[str, ...] | None:
    (function,) = facts_of(source).functions
    return function.returns_identity


def test_a_function_returning_the_subject_or_a_parameter_returns_identity() -> None:
    assert _returns_identity(USER_OR) == ("fallback",)
    only_subject = "def uid(request):\n    return verify_jwt(request.headers['a'], S)['sub']\n"
    assert _returns_identity(only_subject) == ()


@pytest.mark.parametrize(
    "body",
    [
        "    return fallback\n",  # no identity at all: a pass-through
        "    if fallback:\n        return fallback.upper()\n    return verify_jwt(t, S)['sub']\n",
        "    if fallback:\n        return None\n    return verify_jwt(t, S)['sub']\n",
        "    return fallback['user_id']\n",  # read from whatever dict it is handed
    ],
)
def test_anything_else_returned_is_no_identity(body: str) -> None:
    assert _returns_identity("def f(fallback, t):\n" + body) is None


@pytest.mark.parametrize(
    ("argument", "mine"),
    [
        ('current_user["id"]', True),
        ("user_id", False),  # the path's
        ('body["user_id"]', False),
    ],
)
def test_the_result_is_the_callers_id_when_it_is_handed_the_principals(
    argument: str, mine: bool
) -> None:
    source = USER_OR + textwrap.dedent(
        f"""
        @router.get("/users/{{user_id}}/notes")
        def notes(request, user_id: str, body: dict, current_user=Depends(get_current_user)):
            return db.select("notes", {{"user_id": _user_or(request, {argument})}})
        """
    )
    assert own_identity(source, providers=set()) is mine
