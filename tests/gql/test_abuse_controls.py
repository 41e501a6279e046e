"""Abuse controls through the API (issue 13 §9): sign-in throttling is keyed, progressive and
shared by every server process (PostgreSQL); register is throttled; forwarded headers are
believed only from configured proxies."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from starlette.applications import Starlette

from agentgraph.bootstrap import create_app
from agentgraph.settings import Settings
from tests.support import factories
from tests.support.api import GraphQLClient
from tests.support.factories import DEFAULT_PASSWORD, LOGIN, REGISTER

ATTACKER = "203.0.113.7"
OWNER = "198.51.100.9"

Server = Callable[..., AbstractAsyncContextManager[Starlette]]


@pytest.fixture
def server(settings: Settings, database_url: str, tmp_path: Path) -> Server:
    """Another server process's app on the tests' database, with the default throttle."""

    @asynccontextmanager
    async def start(**overrides: Any) -> AsyncIterator[Starlette]:
        defaults = Settings(database_url=database_url, secret_key=settings.secret_key)
        chosen = {
            "register_max_per_address": defaults.register_max_per_address,
            "data_dir": tmp_path,
            **overrides,
        }
        app = create_app(settings.model_copy(update=chosen), database_url=database_url)
        async with app.router.lifespan_context(app):
            yield app

    return start


@asynccontextmanager
async def client_at(app: Starlette, address: str) -> AsyncIterator[GraphQLClient]:
    transport = httpx.ASGITransport(app=app, client=(address, 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://agentgraph.test") as http:
        yield GraphQLClient(http)


def _login(email: str, password: str = "wrong password!") -> dict[str, Any]:
    return {"input": {"email": email, "password": password}}


async def _sql(app: Starlette, statement: str) -> None:
    async with app.state.services.database.transaction() as conn:
        await conn.execute(text(statement))


async def test_an_attacker_elsewhere_cannot_lock_the_owner_out(app: Starlette) -> None:
    limit = app.state.settings.login_max_failures
    async with client_at(app, ATTACKER) as attacker, client_at(app, OWNER) as owner:
        session = await factories.register(owner)
        for _ in range(limit):
            assert (await attacker.error(LOGIN, _login(session["email"]))).code == "UNAUTHENTICATED"
        right = _login(session["email"], DEFAULT_PASSWORD)
        assert (await attacker.error(LOGIN, right)).code == "RATE_LIMITED"
        data = await owner.ok(LOGIN, right)  # from the owner's own address: signed in
        assert data["login"]["accessToken"]


async def test_waits_grow_with_every_attempt_past_the_free_ones(app: Starlette) -> None:
    settings = app.state.settings
    async with client_at(app, ATTACKER) as attacker:
        wrong = _login("victim@example.com")
        for _ in range(settings.login_max_failures):
            assert (await attacker.error(LOGIN, wrong)).code == "UNAUTHENTICATED"
        waits = []
        for _ in range(3):
            refused = await attacker.error(LOGIN, wrong)
            assert refused.code == "RATE_LIMITED"
            waits.append(refused.errors[0]["extensions"]["retryAfterSeconds"])
            # The wait is over (as if that long had passed): one more guess, counted.
            await _sql(app, "UPDATE sign_in_throttle SET blocked_until = now() - interval '1 s'")
            assert (await attacker.error(LOGIN, wrong)).code == "UNAUTHENTICATED"
    base = settings.login_delay_s
    assert waits == [pytest.approx(base * f, abs=1.0) for f in (1, 2, 4)]


async def test_the_counts_are_shared_by_every_server_process(
    app: Starlette, server: Server
) -> None:
    limit = app.state.settings.login_max_failures
    async with (
        server() as other,
        client_at(app, ATTACKER) as here,
        client_at(other, ATTACKER) as there,
    ):
        session = await factories.register(here)
        wrong = _login(session["email"])
        for i in range(limit):
            assert (await (here if i % 2 else there).error(LOGIN, wrong)).code == "UNAUTHENTICATED"
        assert (await here.error(LOGIN, wrong)).code == "RATE_LIMITED"
        assert (await there.error(LOGIN, wrong)).code == "RATE_LIMITED"


async def test_racing_attempts_on_two_processes_are_all_counted(
    app: Starlette, server: Server
) -> None:
    limit = app.state.settings.login_max_failures
    async with (
        server() as other,
        client_at(app, ATTACKER) as here,
        client_at(other, ATTACKER) as there,
    ):
        session = await factories.register(here)
        wrong = _login(session["email"])
        results = await asyncio.gather(
            *((here if i % 2 else there).execute(LOGIN, wrong) for i in range(4 * limit))
        )
    codes = [r.code for r in results]
    assert codes.count("UNAUTHENTICATED") == limit
    assert codes.count("RATE_LIMITED") == 3 * limit


async def test_one_address_spraying_emails_slows_down_there_only(app: Starlette) -> None:
    throttle = app.state.services.sign_in_throttle
    async with client_at(app, ATTACKER) as attacker, client_at(app, OWNER) as owner:
        for i in range(throttle.address_max_failures):
            assert (await attacker.error(LOGIN, _login(f"spray{i}@example.com"))).code == (
                "UNAUTHENTICATED"
            )
        assert (await attacker.error(LOGIN, _login("fresh@example.com"))).code == "RATE_LIMITED"
        assert (await owner.error(LOGIN, _login("fresh@example.com"))).code == "UNAUTHENTICATED"


async def test_register_is_throttled_per_address(server: Server) -> None:
    async with server() as app, client_at(app, ATTACKER) as attacker:
        limit = app.state.settings.register_max_per_address
        # Refused input counts too: each attempt may cost a password hash.
        bad = {"input": {"email": "not an email", "password": DEFAULT_PASSWORD}}
        assert (await attacker.error(REGISTER, bad)).code == "VALIDATION_ERROR"
        for _ in range(limit - 1):
            await factories.register(attacker)
        new = {"input": {"email": factories.unique("late") + "@example.com",
                         "password": DEFAULT_PASSWORD}}  # fmt: skip
        refused = await attacker.error(REGISTER, new)
        assert refused.code == "RATE_LIMITED"
        assert refused.errors[0]["extensions"]["retryAfterSeconds"] > 0
        async with client_at(app, OWNER) as elsewhere:
            assert (await elsewhere.ok(REGISTER, new))["register"]["accessToken"]


async def test_forwarded_for_is_not_believed_by_default(app: Starlette) -> None:
    limit = app.state.settings.login_max_failures
    async with client_at(app, "127.0.0.1") as local:
        wrong = _login("victim@example.com")
        for i in range(limit):
            forged = {"X-Forwarded-For": f"192.0.2.{i}"}
            result = await local.execute(LOGIN, wrong, headers=forged)
            assert result.code == "UNAUTHENTICATED"
        result = await local.execute(LOGIN, wrong, headers={"X-Forwarded-For": "192.0.2.99"})
        assert result.code == "RATE_LIMITED"  # every guess counted against 127.0.0.1


async def test_forwarded_for_is_believed_from_a_configured_proxy(server: Server) -> None:
    async with server(trusted_proxies="10.0.0.5, 10.0.1.0/24") as app:
        limit = app.state.settings.login_max_failures
        async with client_at(app, "10.0.1.7") as proxy, client_at(app, "10.9.9.9") as direct:
            session = await factories.register(proxy)
            wrong = _login(session["email"])
            attacker = {"X-Forwarded-For": ATTACKER}
            for _ in range(limit):
                assert (await proxy.execute(LOGIN, wrong, headers=attacker)).code == (
                    "UNAUTHENTICATED"
                )
            assert (await proxy.execute(LOGIN, wrong, headers=attacker)).code == "RATE_LIMITED"
            right = _login(session["email"], DEFAULT_PASSWORD)
            owner = await proxy.execute(LOGIN, right, headers={"X-Forwarded-For": OWNER})
            assert owner.code is None and owner.data and owner.data["login"]["accessToken"]
            # Not from a proxy: its X-Forwarded-For names nobody, the guesses count for it.
            for i in range(limit):
                forged = {"X-Forwarded-For": f"192.0.2.{i}"}
                assert (await direct.execute(LOGIN, wrong, headers=forged)).code == (
                    "UNAUTHENTICATED"
                )
            assert (await direct.execute(LOGIN, wrong, headers=attacker)).code == "RATE_LIMITED"
