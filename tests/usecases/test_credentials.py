"""Credentials without a database: argon2id hashing, access-token checks, opaque secrets."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from argon2 import PasswordHasher

from domain.errors import Unauthenticated
from usecases.credentials import passwords, tokens

SECRET = "a-server-secret-for-unit-tests-0123456789"
USER = uuid.UUID("6f1c2b9e-2f4c-4c1e-9c55-0d8f3c0a9b11")


# --- passwords -------------------------------------------------------------------------------


def test_hash_is_argon2id_with_owasp_parameters() -> None:
    digest = passwords.hash_password("correct horse battery")
    assert digest.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert passwords.verify_password(digest, "correct horse battery")
    assert not passwords.verify_password(digest, "correct horse battery!")
    assert not passwords.needs_rehash(digest)


def test_salts_differ_per_hash() -> None:
    assert passwords.hash_password("same password") != passwords.hash_password("same password")


def test_weaker_or_foreign_hashes_need_rehash() -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("pw-0123456789")
    assert passwords.verify_password(weak, "pw-0123456789")
    assert passwords.needs_rehash(weak)
    assert passwords.needs_rehash("not-a-hash")
    assert not passwords.verify_password("not-a-hash", "pw-0123456789")


# --- access tokens ---------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _claims(**overrides: object) -> dict[str, object]:
    now = int(datetime.now(UTC).timestamp())
    claims: dict[str, object] = {
        "sub": str(USER), "typ": "access", "jti": uuid.uuid4().hex, "iat": now, "exp": now + 60,
    }  # fmt: skip
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _signed(claims: dict[str, object]) -> str:
    return jwt.encode(claims, tokens.signing_key(SECRET), algorithm="HS256")


def test_access_token_round_trip() -> None:
    token = tokens.issue_access_token(SECRET, USER, 900)
    claims = tokens.decode_access_token(SECRET, token)
    assert claims.user_id == USER
    assert claims.expires_at - datetime.now(UTC) <= timedelta(seconds=900)
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header["alg"] == "HS256"
    payload = jwt.decode(token, tokens.signing_key(SECRET), algorithms=["HS256"])
    assert set(payload) == {"exp", "iat", "sub", "typ", "jti"}


@pytest.mark.parametrize(
    ("token", "message"),
    [
        pytest.param(
            lambda: (
                _b64(b'{"alg":"none","typ":"JWT"}')
                + "."
                + _b64(json.dumps(_claims()).encode())
                + "."
            ),
            "Invalid access token.",
            id="alg-none",
        ),
        pytest.param(
            # Refused for its algorithm alone (HS512 wants a 64-byte key: ours, repeated).
            lambda: jwt.encode(_claims(), tokens.signing_key(SECRET) * 2, algorithm="HS512"),
            "Invalid access token.",
            id="other-alg",
        ),
        pytest.param(
            lambda: jwt.encode(
                _claims(), "some other key of sufficient length!!", algorithm="HS256"
            ),
            "Invalid access token.",
            id="foreign-key",
        ),
        pytest.param(
            lambda: jwt.encode(_claims(), SECRET, algorithm="HS256"),
            "Invalid access token.",
            id="raw-server-secret",
        ),
        pytest.param(
            lambda: _signed(_claims(exp=int(datetime.now(UTC).timestamp()) - 5)),
            "Access token expired; get a new one with refreshToken.",
            id="expired",
        ),
        pytest.param(
            lambda: _signed(_claims(typ="refresh")),
            "Invalid access token: wrong token type.",
            id="wrong-typ",
        ),
        pytest.param(lambda: _signed(_claims(jti=None)), "Invalid access token.", id="no-jti"),
        pytest.param(lambda: _signed(_claims(exp=None)), "Invalid access token.", id="no-exp"),
        pytest.param(lambda: _signed(_claims(typ=None)), "Invalid access token.", id="no-typ"),
        pytest.param(lambda: _signed(_claims(sub="root")), "Invalid access token.", id="bad-sub"),
        pytest.param(lambda: "x" * 5000, "Invalid access token.", id="oversized"),
        pytest.param(lambda: "not.a.jwt", "Invalid access token.", id="garbage"),
    ],
)
def test_bad_access_tokens_are_refused(token: object, message: str) -> None:
    with pytest.raises(Unauthenticated) as caught:
        tokens.decode_access_token(SECRET, token())  # type: ignore[operator]
    assert caught.value.message == message


def test_tampered_payload_is_refused() -> None:
    header, _, signature = tokens.issue_access_token(SECRET, USER, 900).split(".")
    forged = _b64(json.dumps(_claims(sub=str(uuid.uuid4()))).encode())
    with pytest.raises(Unauthenticated):
        tokens.decode_access_token(SECRET, f"{header}.{forged}.{signature}")


def test_opaque_secrets_have_prefixes_and_are_stored_as_sha256() -> None:
    refresh, agent = tokens.new_refresh_secret(), tokens.new_agent_secret()
    assert refresh.startswith("agr_") and tokens.is_refresh_secret(refresh)
    assert agent.startswith("aga_") and tokens.is_agent_secret(agent)
    assert len(refresh) >= 4 + 43  # 32 random bytes, base64url
    assert tokens.secret_hash(refresh) != tokens.secret_hash(tokens.new_refresh_secret())
    assert len(tokens.secret_hash(agent)) == 64
    assert not tokens.is_refresh_secret(agent)


# --- throttling ------------------------------------------------------------------------------
