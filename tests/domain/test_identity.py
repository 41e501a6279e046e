"""Credentials without a database: argon2id hashing, access-token checks, secrets, throttling."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from argon2 import PasswordHasher

from domain.errors import RateLimited, Unauthenticated
from domain.throttle import LoginThrottle
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


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _throttle(clock: _Clock, **kwargs: object) -> LoginThrottle:
    return LoginThrottle(3, 60.0, clock=clock, **kwargs)  # type: ignore[arg-type]


def test_failures_per_email_are_limited_within_the_window() -> None:
    clock = _Clock()
    throttle = _throttle(clock)
    delays = [throttle.begin("A@example.com", "1.1.1.1").delay_s for _ in range(3)]
    assert delays == pytest.approx([0.0, 0.1, 0.2])  # slower with every failure
    clock.now += 10
    with pytest.raises(RateLimited) as caught:
        throttle.begin("a@EXAMPLE.com", "2.2.2.2")  # same email, any case, any address
    assert caught.value.retry_after_s == pytest.approx(50.0)
    assert caught.value.extensions() == {"retryAfterSeconds": 50.0}
    throttle.begin("b@example.com", "1.1.1.1")  # other emails are not affected
    clock.now += 51  # the oldest failures leave the window
    throttle.begin("a@example.com", "3.3.3.3")


def test_refusals_do_not_extend_the_lockout() -> None:
    clock = _Clock()
    throttle = _throttle(clock)
    for _ in range(3):
        throttle.begin("a@example.com", "1.1.1.1")
    for _ in range(10):
        with pytest.raises(RateLimited):
            throttle.begin("a@example.com", "1.1.1.1")
    clock.now += 60
    throttle.begin("a@example.com", "1.1.1.1")


def test_success_forgets_the_emails_failures() -> None:
    throttle = _throttle(_Clock())
    throttle.begin("a@example.com", "1.1.1.1")
    throttle.begin("a@example.com", "1.1.1.1")
    throttle.succeeded(throttle.begin("a@example.com", "1.1.1.1"))
    for _ in range(3):
        throttle.begin("a@example.com", "1.1.1.1")
    with pytest.raises(RateLimited):
        throttle.begin("a@example.com", "1.1.1.1")


def test_attempts_are_counted_before_their_outcome_is_known() -> None:
    # Concurrent attempts (or aliases in one document) each count, even before any finishes.
    throttle = _throttle(_Clock())
    pending = [throttle.begin("a@example.com", "1.1.1.1") for _ in range(3)]
    with pytest.raises(RateLimited):
        throttle.begin("a@example.com", "1.1.1.1")
    assert len(pending) == 3


def test_an_address_spraying_many_emails_is_limited() -> None:
    throttle = _throttle(_Clock(), address_max_failures=5)
    for i in range(5):
        attempt = throttle.begin(f"user{i}@example.com", "6.6.6.6")
        assert attempt.delay_s == 0.0
    with pytest.raises(RateLimited):
        throttle.begin("fresh@example.com", "6.6.6.6")
    throttle.begin("fresh@example.com", "7.7.7.7")


def test_default_address_limit_is_a_multiple_of_the_email_limit() -> None:
    assert LoginThrottle(5, 300).address_max_failures == 20
