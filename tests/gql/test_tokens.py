"""Token attacks and token lifecycles through the API: access, refresh and agent tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

import jwt
import pytest
from sqlalchemy import text
from starlette.applications import Starlette

from gql.ids import split_global_id
from tests.conftest import TEST_SECRET
from tests.support import factories
from tests.support.api import GraphQLClient
from usecases.credentials.tokens import signing_key

ME = "{ me { id } }"
REFRESH = """
mutation Refresh($t: String!) {
  refreshToken(refreshToken: $t) { accessToken refreshToken user { id } }
}
"""
LOGOUT = "mutation Logout($t: String!) { logout(refreshToken: $t) }"
AGENT = "query Agent($id: ID!) { agent(id: $id) { id name } }"
NODE = "query Node($id: ID!) { node(id: $id) { id } }"
REVOKE = "mutation Revoke($id: ID!) { revokeAgentToken(id: $id) { id message } }"


async def _sql(app: Starlette, statement: str, **params: Any) -> Any:
    async with app.state.services.database.read() as conn:
        return await conn.execute(text(statement), params)


# --- forging access tokens -------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _claims(user_id: str, **overrides: Any) -> dict[str, Any]:
    now = int(datetime.now(UTC).timestamp())
    claims = {
        "sub": user_id,
        "typ": "access",
        "jti": uuid.uuid4().hex,
        "iat": now,
        "exp": now + 600,
    }
    claims.update(overrides)
    return claims


def _user_uuid(session: dict[str, Any]) -> str:
    return str(split_global_id(session["user_id"])[1])


def _unsigned(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    head = _b64(json.dumps(header).encode())
    body = _b64(json.dumps(claims).encode())
    return f"{head}.{body}.{_b64(signature)}"


def _hs256(claims: dict[str, Any], key: bytes) -> str:
    # By hand: PyJWT (rightly) refuses to use a public key as an HMAC secret; attackers don't.
    head = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    signing_input = f"{head}.{_b64(json.dumps(claims).encode())}"
    mac = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(mac)}"


def _probable_prime(n: int) -> bool:
    if n < 2 or any(n % p == 0 for p in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29)):
        return n in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29)
    d, r = n - 1, 0
    while d % 2 == 0:
        d, r = d // 2, r + 1
    for _ in range(20):
        x = pow(secrets.randbelow(n - 3) + 2, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _prime(bits: int) -> int:
    while True:
        candidate = secrets.randbits(bits) | (1 << (bits - 1)) | 1
        if _probable_prime(candidate):
            return candidate


def _rsa_key(bits: int = 1024) -> tuple[int, int, int]:
    """(n, e, d) of a fresh RSA key (no crypto library needed for a test's attacker)."""
    e = 65537
    while True:
        p, q = _prime(bits // 2), _prime(bits // 2)
        phi = (p - 1) * (q - 1)
        if p != q and phi % e != 0:
            return p * q, e, pow(e, -1, phi)


def _rs256(claims: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """A correctly RS256-signed token with the attacker's own key, and that key's public JWK."""
    n, e, d = _rsa_key()
    head = _b64(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
    signing_input = f"{head}.{_b64(json.dumps(claims).encode())}".encode()
    digest_info = bytes.fromhex("3031300d060960864801650304020105000420")
    digest_info += hashlib.sha256(signing_input).digest()
    size = (n.bit_length() + 7) // 8
    padded = b"\x00\x01" + b"\xff" * (size - len(digest_info) - 3) + b"\x00" + digest_info
    signature = pow(int.from_bytes(padded, "big"), d, n).to_bytes(size, "big")
    jwk = {
        "kty": "RSA",
        "n": _b64(n.to_bytes(size, "big")),
        "e": _b64(e.to_bytes(3, "big")),
    }
    return f"{signing_input.decode()}.{_b64(signature)}", jwk


@pytest.fixture
async def victim(api: GraphQLClient, app: Starlette) -> dict[str, Any]:
    """A superuser: the account a forged token would most like to be."""
    return await factories.superuser(api, app)


async def _refused(api: GraphQLClient, token: str) -> str:
    result = await api.error(ME, token=token)
    assert result.code == "UNAUTHENTICATED", result.errors
    assert result.data is None
    return str(result.errors[0]["message"])


async def test_the_genuine_token_works(api: GraphQLClient, victim: dict[str, Any]) -> None:
    assert (await api.ok(ME, token=victim["token"]))["me"]["id"] == victim["user_id"]


async def test_alg_none_is_refused(api: GraphQLClient, victim: dict[str, Any]) -> None:
    claims = _claims(_user_uuid(victim))
    for alg in ("none", "None", "NONE"):
        await _refused(api, _unsigned({"alg": alg, "typ": "JWT"}, claims))


async def test_rs256_signed_by_an_attacker_key_is_refused(
    api: GraphQLClient, victim: dict[str, Any]
) -> None:
    token, jwk = _rs256(_claims(_user_uuid(victim)))
    await _refused(api, token)
    # The classic confusion: HS256 keyed with the public key a server might trust for RS256.
    for public_key in (json.dumps(jwk), jwk["n"]):
        await _refused(api, _hs256(_claims(_user_uuid(victim)), public_key.encode()))


async def test_other_hmac_algorithms_are_refused_even_with_the_real_key(
    api: GraphQLClient, victim: dict[str, Any]
) -> None:
    key = signing_key(TEST_SECRET)
    await _refused(api, jwt.encode(_claims(_user_uuid(victim)), key * 2, algorithm="HS512"))
    await _refused(api, jwt.encode(_claims(_user_uuid(victim)), key * 2, algorithm="HS384"))


async def test_expired_tokens_are_refused(api: GraphQLClient, victim: dict[str, Any]) -> None:
    past = int(datetime.now(UTC).timestamp()) - 1
    token = jwt.encode(
        _claims(_user_uuid(victim), iat=past - 900, exp=past), signing_key(TEST_SECRET)
    )
    assert "expired" in await _refused(api, token)


async def test_tampered_tokens_are_refused(api: GraphQLClient, victim: dict[str, Any]) -> None:
    user = await factories.register(api)
    header, _, signature = user["token"].split(".")
    # The user's own signature on a payload naming the superuser.
    forged_body = _b64(json.dumps(_claims(_user_uuid(victim))).encode())
    await _refused(api, f"{header}.{forged_body}.{signature}")
    # One flipped signature character.
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    await _refused(api, user["token"].rsplit(".", 1)[0] + "." + flipped)
    # Signed with the server secret itself rather than the key derived for access tokens.
    await _refused(api, jwt.encode(_claims(_user_uuid(victim)), TEST_SECRET, algorithm="HS256"))


async def test_wrong_type_or_missing_claims_are_refused(
    api: GraphQLClient, victim: dict[str, Any]
) -> None:
    key = signing_key(TEST_SECRET)
    user_id = _user_uuid(victim)
    assert "wrong token type" in await _refused(
        api, jwt.encode(_claims(user_id, typ="refresh"), key)
    )
    for claim in ("exp", "iat", "sub", "typ", "jti"):
        claims = _claims(user_id)
        del claims[claim]
        await _refused(api, jwt.encode(claims, key))
    await _refused(api, jwt.encode(_claims(str(uuid.uuid4())), key))  # no such user


# --- refresh tokens --------------------------------------------------------------------------


async def test_refresh_rotates_the_token(api: GraphQLClient) -> None:
    session = await factories.register(api)
    data = (await api.ok(REFRESH, {"t": session["refresh"]}))["refreshToken"]
    assert data["refreshToken"] != session["refresh"]
    assert data["refreshToken"].startswith("agr_")
    assert data["user"]["id"] == session["user_id"]
    assert (await api.ok(ME, token=data["accessToken"]))["me"]["id"] == session["user_id"]


async def test_a_reused_refresh_token_revokes_its_family(api: GraphQLClient) -> None:
    session = await factories.register(api)
    other_sign_in = await factories.login(api, session["email"])
    rotated = (await api.ok(REFRESH, {"t": session["refresh"]}))["refreshToken"]["refreshToken"]
    replay = await api.error(REFRESH, {"t": session["refresh"]})  # the thief, or the victim
    assert replay.code == "UNAUTHENTICATED"
    assert "revoked" in replay.errors[0]["message"]
    # The legitimate successor is dead too: the whole family went.
    assert (await api.error(REFRESH, {"t": rotated})).code == "UNAUTHENTICATED"
    # Another sign-in of the same user is another family, untouched.
    await api.ok(REFRESH, {"t": other_sign_in["refresh"]})


async def test_tokens_cannot_stand_in_for_each_other(api: GraphQLClient) -> None:
    session = await factories.register(api)
    as_refresh = await api.error(REFRESH, {"t": session["token"]})
    assert as_refresh.code == "UNAUTHENTICATED"
    as_access = await api.error(ME, token=session["refresh"])
    assert as_access.code == "UNAUTHENTICATED"
    assert "refresh token cannot authenticate" in as_access.errors[0]["message"]
    # The refresh token was not consumed by being misused as an access token.
    await api.ok(REFRESH, {"t": session["refresh"]})


async def test_unknown_and_expired_refresh_tokens_fail(api: GraphQLClient, app: Starlette) -> None:
    assert (await api.error(REFRESH, {"t": "agr_" + "x" * 43})).code == "UNAUTHENTICATED"
    session = await factories.register(api)
    async with app.state.services.database.transaction() as conn:
        await conn.execute(text("UPDATE refresh_tokens SET expires_at = now() - interval '1 s'"))
    assert (await api.error(REFRESH, {"t": session["refresh"]})).code == "UNAUTHENTICATED"


async def test_logout_revokes_the_family(api: GraphQLClient) -> None:
    session = await factories.register(api)
    rotated = (await api.ok(REFRESH, {"t": session["refresh"]}))["refreshToken"]
    assert (await api.ok(LOGOUT, {"t": rotated["refreshToken"]}, token=session["token"])) == {
        "logout": True
    }
    assert (await api.error(REFRESH, {"t": rotated["refreshToken"]})).code == "UNAUTHENTICATED"
    # Unknown tokens are not an error: nothing to reveal.
    assert (await api.ok(LOGOUT, {"t": "agr_unknown"}, token=session["token"]))["logout"] is True


async def test_logout_cannot_revoke_another_users_sessions(api: GraphQLClient) -> None:
    alice = await factories.register(api)
    mallory = await factories.register(api)
    await api.ok(LOGOUT, {"t": alice["refresh"]}, token=mallory["token"])
    await api.ok(REFRESH, {"t": alice["refresh"]})


async def test_logout_needs_a_signed_in_user(api: GraphQLClient) -> None:
    session = await factories.register(api)
    assert (await api.error(LOGOUT, {"t": session["refresh"]})).code == "UNAUTHENTICATED"
    await api.ok(REFRESH, {"t": session["refresh"]})


async def test_refresh_tokens_are_stored_hashed(api: GraphQLClient, app: Starlette) -> None:
    session = await factories.register(api)
    stored = (await _sql(app, "SELECT token_hash FROM refresh_tokens")).scalars().all()
    assert stored == [hashlib.sha256(session["refresh"].encode()).hexdigest()]


# --- agent tokens ----------------------------------------------------------------------------


@pytest.fixture
async def fleet(api: GraphQLClient, app: Starlette) -> dict[str, Any]:
    """An owner's project with two agents, a stranger, and a superuser."""
    admin = await factories.superuser(api, app)
    owner = await factories.register(api)
    stranger = await factories.register(api)
    type_id = await factories.create_agent_type(api, admin["token"])
    project_id = await factories.create_project(api, owner["token"])
    agent_id = await factories.spawn_agent(api, owner["token"], project_id, type_id, "Worker")
    sibling_id = await factories.spawn_agent(api, owner["token"], project_id, type_id, "Sibling")
    return {
        "admin": admin, "owner": owner, "stranger": stranger,
        "project_id": project_id, "agent_id": agent_id, "sibling_id": sibling_id,
    }  # fmt: skip


async def test_an_agent_token_acts_as_its_agent_only(
    api: GraphQLClient, app: Starlette, fleet: dict[str, Any]
) -> None:
    created = await api.ok(
        factories.CREATE_AGENT_TOKEN,
        {"agentId": fleet["agent_id"], "name": "runtime"},
        token=fleet["owner"]["token"],
    )
    payload = created["createAgentToken"]
    assert payload["agent"]["id"] == fleet["agent_id"]
    secret = payload["token"]
    assert secret.startswith("aga_")
    stored = (await _sql(app, "SELECT token_hash, name FROM agent_tokens")).one()
    assert stored.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert stored.name == "runtime"

    data = await api.ok(AGENT, {"id": fleet["agent_id"]}, token=secret)
    assert data["agent"] == {"id": fleet["agent_id"], "name": "Worker"}
    assert (await api.ok(NODE, {"id": fleet["agent_id"]}, token=secret))["node"] is not None
    sibling = await api.error(AGENT, {"id": fleet["sibling_id"]}, token=secret)
    assert sibling.code == "NOT_FOUND"
    assert (await api.error(NODE, {"id": fleet["sibling_id"]}, token=secret)).code == "NOT_FOUND"
    assert (await api.error(ME, token=secret)).code == "FORBIDDEN"
    project = await api.error(
        factories.CREATE_PROJECT, {"input": {"name": "x", "slug": "by-agent"}}, token=secret
    )
    assert project.code == "FORBIDDEN"
    another = await api.error(
        factories.CREATE_AGENT_TOKEN, {"agentId": fleet["agent_id"]}, token=secret
    )
    assert another.code == "FORBIDDEN"
    last_used = (await _sql(app, "SELECT last_used_at FROM agent_tokens")).scalar_one()
    assert last_used is not None


async def test_who_may_create_agent_tokens(api: GraphQLClient, fleet: dict[str, Any]) -> None:
    variables = {"agentId": fleet["agent_id"]}
    stranger = await api.error(
        factories.CREATE_AGENT_TOKEN, variables, token=fleet["stranger"]["token"]
    )
    assert stranger.code == "NOT_FOUND"
    anonymous = await api.error(factories.CREATE_AGENT_TOKEN, variables)
    assert anonymous.code == "UNAUTHENTICATED"
    admin = await api.ok(factories.CREATE_AGENT_TOKEN, variables, token=fleet["admin"]["token"])
    assert admin["createAgentToken"]["token"].startswith("aga_")
    missing = await api.error(
        factories.CREATE_AGENT_TOKEN,
        {"agentId": base64.b64encode(f"Agent:{uuid.uuid4()}".encode()).decode()},
        token=fleet["owner"]["token"],
    )
    assert missing.code == "NOT_FOUND"
    wrong_kind = await api.error(
        factories.CREATE_AGENT_TOKEN,
        {"agentId": fleet["project_id"]},
        token=fleet["owner"]["token"],
    )
    assert wrong_kind.code == "VALIDATION_ERROR"
    assert wrong_kind.errors[0]["extensions"]["field"] == "agentId"


async def test_revoking_an_agent_token(api: GraphQLClient, fleet: dict[str, Any]) -> None:
    token = await factories.agent_token(api, fleet["owner"]["token"], fleet["agent_id"])
    await api.ok(AGENT, {"id": fleet["agent_id"]}, token=token["token"])

    by_agent = await api.error(REVOKE, {"id": token["id"]}, token=token["token"])
    assert by_agent.code == "FORBIDDEN"
    by_stranger = await api.error(REVOKE, {"id": token["id"]}, token=fleet["stranger"]["token"])
    assert by_stranger.code == "NOT_FOUND"
    revoked = await api.ok(REVOKE, {"id": token["id"]}, token=fleet["owner"]["token"])
    assert revoked["revokeAgentToken"]["id"] == token["id"]

    refused = await api.error(AGENT, {"id": fleet["agent_id"]}, token=token["token"])
    assert refused.code == "UNAUTHENTICATED"
    assert refused.errors[0]["message"] == "Invalid or revoked agent token."
    # Revoking twice is harmless; a superuser may revoke too.
    await api.ok(REVOKE, {"id": token["id"]}, token=fleet["admin"]["token"])


async def test_agent_tokens_are_not_refresh_tokens(
    api: GraphQLClient, fleet: dict[str, Any]
) -> None:
    token = await factories.agent_token(api, fleet["owner"]["token"], fleet["agent_id"])
    assert (await api.error(REFRESH, {"t": token["token"]})).code == "UNAUTHENTICATED"
    assert (await api.error(ME, token="aga_" + "x" * 43)).code == "UNAUTHENTICATED"
