"""Accounts and sessions through the API: register, login, me, throttling, who may call what."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from graphql import (
    GraphQLInputObjectType,
    GraphQLNamedType,
    get_named_type,
    is_abstract_type,
    is_enum_type,
    is_input_object_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
)
from graphql.pyutils import Undefined
from sqlalchemy import text
from starlette.applications import Starlette

from gql.schema import build_schema
from tests.support import factories
from tests.support.api import GraphQLClient
from tests.support.factories import DEFAULT_PASSWORD, LOGIN, REGISTER

PUBLIC_FIELDS = {"register", "login", "refreshToken"}
ME = "{ me { id email firstName lastName isSuperuser createdAt } }"


async def _client_at(app: Starlette, address: str) -> AsyncIterator[GraphQLClient]:
    transport = httpx.ASGITransport(app=app, client=(address, 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://agentgraph.test") as http:
        yield GraphQLClient(http)


async def _sql(app: Starlette, statement: str, **params: Any) -> Any:
    async with app.state.services.database.transaction() as conn:
        return await conn.execute(text(statement), params)


# --- register and me -------------------------------------------------------------------------


async def test_register_signs_in_and_me_returns_the_user(api: GraphQLClient) -> None:
    session = await factories.register(api, firstName="Ada", lastName="Lovelace")
    assert session["token"].count(".") == 2  # a JWT
    assert session["refresh"].startswith("agr_")
    data = await api.ok(ME, token=session["token"])
    assert data["me"] == {
        "id": session["user_id"],
        "email": session["email"],
        "firstName": "Ada",
        "lastName": "Lovelace",
        "isSuperuser": False,
        "createdAt": data["me"]["createdAt"],
    }


async def test_register_returns_the_token_lifetime(api: GraphQLClient, app: Starlette) -> None:
    variables = {"input": {"email": "ttl@example.com", "password": DEFAULT_PASSWORD}}
    data = await api.ok(REGISTER, variables)
    assert data["register"]["expiresIn"] == app.state.settings.access_token_ttl_s == 900


async def test_emails_are_case_insensitive_and_unique(api: GraphQLClient) -> None:
    session = await factories.register(api, email="  Mixed.Case@Example.COM ")
    assert session["email"] == "mixed.case@example.com"
    again = await api.error(
        REGISTER, {"input": {"email": "MIXED.case@example.com", "password": DEFAULT_PASSWORD}}
    )
    assert again.code == "VALIDATION_ERROR"
    assert again.errors[0]["extensions"]["field"] == "input.email"
    login = await factories.login(api, "mixed.CASE@EXAMPLE.com")
    assert login["user_id"] == session["user_id"]


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"email": "short@example.com", "password": "123456789"}, "input.password"),
        ({"email": "not-an-email", "password": DEFAULT_PASSWORD}, "input.email"),
        ({"email": "a@b", "password": DEFAULT_PASSWORD}, "input.email"),
        ({"email": "ok@example.com", "password": DEFAULT_PASSWORD, "firstName": "x" * 101},
         "input.firstName"),
    ],
)  # fmt: skip
async def test_register_validates_its_input(
    api: GraphQLClient, variables: dict[str, str], field: str
) -> None:
    result = await api.error(REGISTER, {"input": variables})
    assert result.code == "VALIDATION_ERROR"
    assert result.errors[0]["extensions"]["field"] == field
    assert variables["password"] not in result.errors[0]["message"]


async def test_password_is_stored_as_argon2id_with_owasp_parameters(
    api: GraphQLClient, app: Starlette
) -> None:
    session = await factories.register(api)
    stored = (
        await _sql(app, "SELECT password_hash FROM users WHERE email = :e", e=session["email"])
    ).scalar_one()
    assert re.fullmatch(
        r"\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+", stored
    )
    assert DEFAULT_PASSWORD not in stored


# --- login -----------------------------------------------------------------------------------


async def test_wrong_email_and_wrong_password_fail_alike(api: GraphQLClient) -> None:
    session = await factories.register(api)
    wrong_password = await api.error(
        LOGIN, {"input": {"email": session["email"], "password": "not the password"}}
    )
    unknown_email = await api.error(
        LOGIN, {"input": {"email": "nobody@example.com", "password": DEFAULT_PASSWORD}}
    )
    assert wrong_password.code == unknown_email.code == "UNAUTHENTICATED"
    assert wrong_password.errors[0]["message"] == unknown_email.errors[0]["message"]
    assert wrong_password.errors[0]["message"] == "Invalid email or password."


async def test_login_rehashes_a_password_hashed_with_old_parameters(
    api: GraphQLClient, app: Starlette
) -> None:
    session = await factories.register(api)
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(DEFAULT_PASSWORD)
    await _sql(
        app, "UPDATE users SET password_hash = :h WHERE email = :e", h=weak, e=session["email"]
    )
    await factories.login(api, session["email"])
    stored = (
        await _sql(app, "SELECT password_hash FROM users WHERE email = :e", e=session["email"])
    ).scalar_one()
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    await factories.login(api, session["email"])  # the new hash verifies the same password


async def test_a_disabled_account_is_locked_out_everywhere(
    api: GraphQLClient, app: Starlette
) -> None:
    session = await factories.register(api)
    await _sql(app, "UPDATE users SET is_active = false WHERE email = :e", e=session["email"])
    me = await api.error(ME, token=session["token"])
    assert me.code == "UNAUTHENTICATED"
    login = await api.error(
        LOGIN, {"input": {"email": session["email"], "password": DEFAULT_PASSWORD}}
    )
    assert login.code == "UNAUTHENTICATED"
    refresh = await api.error(
        "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken } }",
        {"t": session["refresh"]},
    )
    assert refresh.code == "UNAUTHENTICATED"


async def test_a_bad_token_does_not_block_login(api: GraphQLClient) -> None:
    session = await factories.register(api)
    variables = {"input": {"email": session["email"], "password": DEFAULT_PASSWORD}}
    result = await api.execute(LOGIN, variables, token="garbage.garbage.garbage")
    assert not result.errors
    me = await api.error(ME, token="garbage.garbage.garbage")
    assert me.code == "UNAUTHENTICATED"
    assert me.errors[0]["message"] == "Invalid access token."


# --- throttling ------------------------------------------------------------------------------


def _aliased_logins(count: int, email: str, password: str) -> str:
    fields = "\n".join(
        f'a{i}: login(input: {{email: "{email}", password: "{password}"}}) {{ accessToken }}'
        for i in range(count)
    )
    return f"mutation {{\n{fields}\n}}"


async def test_repeated_failures_are_rate_limited_per_email(
    api: GraphQLClient, app: Starlette
) -> None:
    limit = app.state.settings.login_max_failures
    session = await factories.register(api)
    wrong = {"input": {"email": session["email"], "password": "wrong password!"}}
    for _ in range(limit):
        assert (await api.error(LOGIN, wrong)).code == "UNAUTHENTICATED"
    right = {"input": {"email": session["email"].upper(), "password": DEFAULT_PASSWORD}}
    limited = await api.error(LOGIN, right)  # even the right password waits now
    assert limited.code == "RATE_LIMITED"
    assert limited.errors[0]["extensions"]["retryAfterSeconds"] > 0
    assert session["email"] not in limited.errors[0]["message"]


async def test_a_successful_login_resets_the_count(api: GraphQLClient, app: Starlette) -> None:
    limit = app.state.settings.login_max_failures
    session = await factories.register(api)
    wrong = {"input": {"email": session["email"], "password": "wrong password!"}}
    for _ in range(limit - 1):
        await api.error(LOGIN, wrong)
    await factories.login(api, session["email"])
    for _ in range(limit - 1):
        assert (await api.error(LOGIN, wrong)).code == "UNAUTHENTICATED"


async def _guesses_until_refused(api: GraphQLClient, document: str, rounds: int) -> list[str]:
    codes: list[str] = []
    for _ in range(rounds):
        codes.extend((await api.execute(document)).codes)
    return codes


async def test_aliasing_login_does_not_multiply_guesses(api: GraphQLClient, app: Starlette) -> None:
    # Five logins are the most one document may hold (each costs 1000 of the 5000). Mutation
    # fields run one after another and login is non-null, so the first failure ends the
    # document: each document is one guess, and the limit holds over any number of them.
    limit = app.state.settings.login_max_failures
    session = await factories.register(api)
    document = _aliased_logins(5, session["email"], "wrong password!")
    codes = await _guesses_until_refused(api, document, rounds=limit + 1)
    assert codes == ["UNAUTHENTICATED"] * limit + ["RATE_LIMITED"]
    right = {"input": {"email": session["email"], "password": DEFAULT_PASSWORD}}
    assert (await api.error(LOGIN, right)).code == "RATE_LIMITED"


@pytest.mark.parametrize("aliases", [6, 50])
async def test_more_logins_than_a_document_may_hold_are_refused_whole(
    api: GraphQLClient, app: Starlette, aliases: int
) -> None:
    # Six exceed the cost limit, fifty the alias limit too (SPEC §8): refused before anything
    # runs, so none of them is a guess and the right password still signs in afterwards.
    limit = app.state.settings.login_max_failures
    session = await factories.register(api)
    document = _aliased_logins(aliases, session["email"], "wrong password!")
    codes = await _guesses_until_refused(api, document, rounds=limit + 1)
    assert codes and set(codes) == {"QUERY_TOO_COMPLEX"}
    await factories.login(api, session["email"])


async def test_one_address_spraying_many_emails_is_rate_limited(app: Starlette) -> None:
    throttle = app.state.services.sign_in_throttle
    async for api in _client_at(app, "203.0.113.7"):
        for i in range(throttle.address_max_failures):
            variables = {"input": {"email": f"spray{i}@example.com", "password": "guess-123456"}}
            assert (await api.error(LOGIN, variables)).code == "UNAUTHENTICATED"
        fresh = {"input": {"email": "fresh@example.com", "password": "guess-123456"}}
        assert (await api.error(LOGIN, fresh)).code == "RATE_LIMITED"
    async for other in _client_at(app, "198.51.100.9"):
        fresh = {"input": {"email": "fresh@example.com", "password": "guess-123456"}}
        assert (await other.error(LOGIN, fresh)).code == "UNAUTHENTICATED"


# --- who may call what -----------------------------------------------------------------------


_SAMPLE_SCALARS: dict[str, Any] = {
    "ID": "x", "String": "x", "Int": 1, "Float": 1.0, "Boolean": True, "JSON": {},
    "DateTime": "2026-01-01T00:00:00+00:00",
}  # fmt: skip


def _sample(type_: Any) -> Any:
    """A value of ``type_`` that passes GraphQL validation (the resolver is never reached)."""
    if is_non_null_type(type_):
        return _sample(type_.of_type)
    if is_list_type(type_):
        return []
    if is_enum_type(type_):
        return next(iter(type_.values))
    if is_input_object_type(type_):
        assert isinstance(type_, GraphQLInputObjectType)
        return {
            name: _sample(field.type)
            for name, field in type_.fields.items()
            if is_non_null_type(field.type) and field.default_value is Undefined
        }
    return _SAMPLE_SCALARS[type_.name]


def _document(operation: str, name: str, field: Any) -> tuple[str, dict[str, Any]]:
    required = {
        arg_name: arg
        for arg_name, arg in field.args.items()
        if is_non_null_type(arg.type) and arg.default_value is Undefined
    }
    declared = ", ".join(f"${n}: {a.type}" for n, a in required.items())
    passed = ", ".join(f"{n}: ${n}" for n in required)
    named: GraphQLNamedType = get_named_type(field.type)
    selection = "{ __typename }" if is_object_type(named) or is_abstract_type(named) else ""
    head = f"{operation}({declared})" if declared else operation
    call = f"{name}({passed})" if passed else name
    return f"{head} {{ {call} {selection} }}", {n: _sample(a.type) for n, a in required.items()}


def _root_fields() -> list[tuple[str, str, Any]]:
    schema = build_schema()._schema
    fields = []
    for operation, root in (("query", schema.query_type), ("mutation", schema.mutation_type)):
        if root is not None:
            fields.extend((operation, name, field) for name, field in root.fields.items())
    return fields


@pytest.mark.parametrize(
    ("operation", "name", "field"),
    [f for f in _root_fields() if f[1] not in PUBLIC_FIELDS],
    ids=lambda value: value if isinstance(value, str) else "",
)
async def test_every_other_root_field_needs_a_token(
    api: GraphQLClient, operation: str, name: str, field: Any
) -> None:
    document, variables = _document(operation, name, field)
    result = await api.execute(document, variables)
    assert result.codes == ["UNAUTHENTICATED"], (document, result.errors)


def test_the_public_fields_exist() -> None:
    names = {name for _, name, _ in _root_fields()}
    assert names >= PUBLIC_FIELDS


async def test_an_expired_or_bad_token_is_explained_on_protected_fields(api: GraphQLClient) -> None:
    result = await api.error(ME, token="aga_not-a-real-agent-token")
    assert result.code == "UNAUTHENTICATED"
    assert result.errors[0]["message"] == "Invalid or revoked agent token."
