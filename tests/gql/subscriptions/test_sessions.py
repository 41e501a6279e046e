"""A credential that ends ends its WebSocket: checked before every operation, told by the
database when it changes, at the access token's expiry, and on an interval as a safety net."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from starlette.applications import Starlette
from websockets.exceptions import ConnectionClosed

from agentgraph.bootstrap import create_app
from agentgraph.settings import Settings
from gql.ids import from_global_id
from tests.conftest import _asyncpg_dsn
from tests.gql.subscriptions.conftest import World
from tests.support import factories
from tests.support.api import GraphQLClient
from tests.support.servers import metric, serve_process, serving, until_metric
from tests.support.ws import LEGACY_WS, PROTOCOLS, TRANSPORT_WS, WSClient

EVENTS = """
subscription($project: ID, $agent: ID) {
  agentEvents(projectId: $project, agentId: $agent) { kind agent { id name } }
}
"""
PAUSE = "mutation($id: ID!) { pauseAgent(input: {id: $id}) { agent { id } } }"
TERMINATE = "mutation($id: ID!) { terminateAgent(input: {id: $id}) { agent { status } } }"
DELETE_AGENT = "mutation($id: ID!) { deleteAgent(id: $id) { id } }"
REVOKE = "mutation($id: ID!) { revokeAgentToken(id: $id) { id } }"
READ_AGENT = "query($id: ID!) { agent(id: $id) { id } }"


async def _ended(client: WSClient) -> tuple[int, str, list[dict[str, Any]]]:
    """Everything the server still sent, then the close code and reason it closed with."""
    seen: list[dict[str, Any]] = []
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            seen.append(await client.receive(timeout=10))
    assert closed.value.rcvd is not None, "the client closed, not the server"
    return closed.value.rcvd.code, closed.value.rcvd.reason, seen


async def _sql(database_url: str, statement: str, *args: Any, announce: bool = True) -> None:
    """A change made behind the API's back; ``announce=False`` fires no trigger (as if the
    notification were lost)."""
    conn = await asyncpg.connect(_asyncpg_dsn(database_url))
    try:
        if not announce:
            await conn.execute("SET session_replication_role = replica")
        await conn.execute(statement, *args)
    finally:
        await conn.close()


def _pk(global_id: str, kind: str) -> Any:
    return from_global_id(global_id, kind)


async def _agent_with_token(
    api: GraphQLClient, world: World, name: str = "Agent"
) -> tuple[dict[str, Any], dict[str, Any]]:
    agent = await world.spawn(api, name)
    return agent, await factories.agent_token(api, world.owner["token"], agent["id"])


async def _watching(url: str, protocol: str, token: str, agent_id: str) -> WSClient:
    client = await WSClient.open(url, protocol, token=token)
    await client.subscribe(EVENTS, {"agent": agent_id})
    return client


def _assert_ended(code: int, seen: list[dict[str, Any]], protocol: str) -> str:
    """The socket was ended for its credential: 4403, and (graphql-ws) a connection_error."""
    assert code == 4403
    if protocol == LEGACY_WS:
        errors = [m for m in seen if m["type"] == "connection_error"]
        assert errors and errors[0]["payload"]["extensions"]["code"] == "UNAUTHENTICATED"
        return str(errors[0]["payload"]["message"])
    return ""


@pytest.fixture
def long_memory(app: Starlette) -> Any:
    """Viewers remembered for an hour: only the database's announcement can make HTTP ask again."""
    authenticator = app.state.services.authenticator
    authenticator.ttl_s = 3600.0
    yield authenticator
    authenticator.ttl_s = 1.0


# --- ended by an announcement from the database --------------------------------------------------


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_revoking_an_agent_token_ends_its_socket_and_its_http_access(
    api: GraphQLClient, world: World, live_url: str, protocol: str, long_memory: Any
) -> None:
    agent, token = await _agent_with_token(api, world)
    assert await api.ok(READ_AGENT, {"id": agent["id"]}, token=token["token"])  # remembered now
    client = await _watching(live_url, protocol, token["token"], agent["id"])
    await api.ok(REVOKE, {"id": token["id"]}, token=world.owner["token"])
    code, reason, seen = await _ended(client)
    message = _assert_ended(code, seen, protocol)
    assert "revoked" in (reason or message)
    # The announcement made this process forget the remembered viewer: HTTP refuses at once.
    refused = await api.execute(READ_AGENT, {"id": agent["id"]}, token=token["token"])
    assert refused.code == "UNAUTHENTICATED"


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_disabling_a_user_ends_their_sockets(
    api: GraphQLClient, world: World, live_url: str, database_url: str, protocol: str,
    long_memory: Any,
) -> None:  # fmt: skip
    agent = await world.spawn(api)
    owner = world.owner["token"]
    assert await api.ok(READ_AGENT, {"id": agent["id"]}, token=owner)
    client = await _watching(live_url, protocol, owner, agent["id"])
    user = _pk(world.owner["user_id"], "User")
    await _sql(database_url, "UPDATE users SET is_active = false WHERE id = $1", user)
    code, _, seen = await _ended(client)
    _assert_ended(code, seen, protocol)
    assert (await api.execute(READ_AGENT, {"id": agent["id"]}, token=owner)).code == (
        "UNAUTHENTICATED"
    )


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_disabling_a_user_ends_the_sockets_of_their_agents_tokens(
    api: GraphQLClient, world: World, live_url: str, database_url: str, protocol: str,
    long_memory: Any,
) -> None:  # fmt: skip
    agent, token = await _agent_with_token(api, world)
    assert await api.ok(READ_AGENT, {"id": agent["id"]}, token=token["token"])  # remembered now
    client = await _watching(live_url, protocol, token["token"], agent["id"])
    user = _pk(world.owner["user_id"], "User")
    await _sql(database_url, "UPDATE users SET is_active = false WHERE id = $1", user)
    code, reason, seen = await _ended(client)
    message = _assert_ended(code, seen, protocol)
    assert "owner of this agent's project is disabled" in (reason or message)
    refused = await api.execute(READ_AGENT, {"id": agent["id"]}, token=token["token"])
    assert refused.code == "UNAUTHENTICATED"
    # A new socket is refused at connection_init too.
    again = await WSClient.open(live_url, protocol, init=False)
    await again.send({"type": "connection_init", "payload": {"authorization": token["token"]}})
    code, _, seen = await _ended(again)
    assert code == 4403 and not any(m["type"] == "connection_ack" for m in seen), seen


async def test_deleting_a_user_ends_their_sockets(
    api: GraphQLClient, live_url: str, database_url: str
) -> None:
    user = await factories.register(api)  # owns nothing, so the row may go
    client = await WSClient.open(live_url, TRANSPORT_WS, token=user["token"])
    await client.subscribe(EVENTS, {})
    await _sql(database_url, "DELETE FROM users WHERE id = $1", _pk(user["user_id"], "User"))
    code, reason, _ = await _ended(client)
    assert code == 4403 and "no longer exists" in reason


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_terminating_an_agent_ends_its_tokens_sockets_and_http_access(
    api: GraphQLClient, world: World, live_url: str, protocol: str
) -> None:
    agent, token = await _agent_with_token(api, world)
    client = await _watching(live_url, protocol, token["token"], agent["id"])
    await api.ok(TERMINATE, {"id": agent["id"]}, token=world.owner["token"])
    code, _, seen = await _ended(client)
    _assert_ended(code, seen, protocol)
    # One rule for every transport (accounts.authenticate): a TERMINATED agent's token is refused.
    beat = "mutation($i: HeartbeatInput!) { heartbeat(input: $i) { id } }"
    refused = await api.execute(beat, {"i": {"agentId": agent["id"]}}, token=token["token"])
    assert refused.code == "UNAUTHENTICATED"


async def test_deleting_an_agent_ends_its_tokens_sockets(
    api: GraphQLClient, world: World, live_url: str
) -> None:
    agent, token = await _agent_with_token(api, world)
    other, other_token = await _agent_with_token(api, world, "Other")
    before = await metric(live_url, "agentgraph_subscriptions_started")
    client = await _watching(live_url, TRANSPORT_WS, token["token"], agent["id"])
    bystander = await _watching(live_url, TRANSPORT_WS, other_token["token"], other["id"])
    await until_metric(
        live_url, "agentgraph_subscriptions_started", before + 2
    )  # both subscriptions are live
    try:
        await api.ok(DELETE_AGENT, {"id": agent["id"]}, token=world.owner["token"])
        code, _, _ = await _ended(client)
        assert code == 4403
        # Another agent's runtime goes on: its socket still delivers.
        await api.ok(PAUSE, {"id": other["id"]}, token=world.owner["token"])
        assert (await bystander.next_event("agentEvents"))["kind"] == "STATUS_CHANGED"
    finally:
        await bystander.close()


async def test_a_superuser_flag_removed_ends_the_socket_and_a_new_one_sees_less(
    api: GraphQLClient, world: World, live_url: str, database_url: str
) -> None:
    # What a socket may see is settled into its subscriptions (scopes, cohorts, replay): the
    # socket is ended, and the reconnect — with the same, still valid token — recomputes it.
    agent = await world.spawn(api)
    admin = world.admin["token"]
    client = await WSClient.open(live_url, TRANSPORT_WS, token=admin)
    await client.subscribe(EVENTS, {})
    admin_id = _pk(world.admin["user_id"], "User")
    await _sql(database_url, "UPDATE users SET is_superuser = false WHERE id = $1", admin_id)
    code, reason, _ = await _ended(client)
    assert code == 4403 and reason.startswith("Access changed")
    again = await WSClient.open(live_url, TRANSPORT_WS, token=admin)
    try:
        await again.subscribe(EVENTS, {"agent": agent["id"]})
        payload = await again.next_payload()  # someone else's agent, now NOT_FOUND
        assert [e["extensions"]["code"] for e in payload["errors"]] == ["NOT_FOUND"]
    finally:
        await again.close()


async def test_other_processes_end_their_sockets_too(
    api: GraphQLClient, world: World, database_url: str, settings: Settings, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("AGENTGRAPH_WS_RECHECK_INTERVAL_S", "3600")  # only the announcement
    agent, token = await _agent_with_token(api, world)
    async with serve_process(database_url, settings.secret_key or "", tmp_path) as other:
        client = await _watching(other, TRANSPORT_WS, token["token"], agent["id"])
        await until_metric(
            other, "agentgraph_subscriptions_started", 1
        )  # subscribed before the move
        await api.ok(PAUSE, {"id": agent["id"]}, token=world.owner["token"])
        assert (await client.next_event("agentEvents"))["kind"] == "STATUS_CHANGED"
        await api.ok(REVOKE, {"id": token["id"]}, token=world.owner["token"])  # through this one
        code, _, _ = await _ended(client)
        assert code == 4403


# --- checked before every operation ----------------------------------------------------------


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_every_operation_checks_the_credential_again(
    api: GraphQLClient, world: World, live_url: str, database_url: str, app: Starlette,
    protocol: str,
) -> None:  # fmt: skip
    agent, token = await _agent_with_token(api, world)
    client = await _watching(live_url, protocol, token["token"], agent["id"])
    # Revoked without an announcement (no trigger fires), and nothing remembered: the next
    # operation asks the database, which refuses, and the socket ends before it runs.
    await _sql(
        database_url,
        "UPDATE agent_tokens SET revoked_at = now() WHERE id = $1",
        _pk(token["id"], "AgentToken"),
        announce=False,
    )
    app.state.services.authenticator.forget()
    await client.subscribe(EVENTS, {"agent": agent["id"], "after": "0"})  # would replay history
    code, _, seen = await _ended(client)
    _assert_ended(code, seen, protocol)
    assert not [m for m in seen if m["type"] in ("next", "data")], seen


async def test_an_access_token_ends_its_socket_when_it_expires(
    settings: Settings, database_url: str, tmp_path: Path
) -> None:
    brief = settings.model_copy(update={"access_token_ttl_s": 2, "data_dir": tmp_path})
    app = create_app(brief, database_url=database_url)
    async with serving(app) as url, GraphQLClient.for_app(app) as api:
        user = await factories.register(api)
        client = await WSClient.open(url, TRANSPORT_WS, token=user["token"])
        await client.subscribe(EVENTS, {})
        code, reason, _ = await _ended(client)  # no event, no operation: the timer ends it
        assert code == 4403 and reason == "Access token expired."


@pytest.fixture
async def rechecking(settings: Settings, database_url: str, tmp_path: Path) -> AsyncIterator[Any]:
    """A server whose sessions are checked every 0.3 s."""
    quick = settings.model_copy(update={"ws_recheck_interval_s": 0.3, "data_dir": tmp_path})
    app = create_app(quick, database_url=database_url)
    async with serving(app) as url, GraphQLClient.for_app(app) as api:
        yield url, api


async def test_the_interval_ends_sockets_whose_announcement_was_lost(
    rechecking: Any, database_url: str
) -> None:
    url, api = rechecking
    user = await factories.register(api)
    client = await WSClient.open(url, LEGACY_WS, token=user["token"])
    await client.subscribe(EVENTS, {})
    await _sql(
        database_url,
        "UPDATE users SET is_active = false WHERE id = $1",
        _pk(user["user_id"], "User"),
        announce=False,
    )
    code, _, seen = await _ended(client)
    _assert_ended(code, seen, LEGACY_WS)


async def test_a_listen_connection_that_comes_back_checks_every_session(
    api: GraphQLClient, world: World, live_url: str, database_url: str
) -> None:
    agent, token = await _agent_with_token(api, world)
    client = await _watching(live_url, TRANSPORT_WS, token["token"], agent["id"])
    revoke = "UPDATE agent_tokens SET revoked_at = now() WHERE id = $1"
    await _sql(database_url, revoke, _pk(token["id"], "AgentToken"), announce=False)
    # Announcements made while LISTEN was down are lost: after reconnecting, all are in doubt.
    await _sql(
        database_url,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE application_name = 'agentgraph-listen' AND datname = current_database()",
    )
    code, _, _ = await _ended(client)
    assert code == 4403


# --- caps --------------------------------------------------------------------------------------


@pytest.fixture
async def capped(settings: Settings, database_url: str, tmp_path: Path) -> AsyncIterator[Any]:
    """A server allowing 2 sockets and 2 subscriptions per caller."""
    caps = {"ws_max_sockets_per_caller": 2, "ws_max_subscriptions_per_caller": 2}
    app = create_app(
        settings.model_copy(update={**caps, "data_dir": tmp_path}), database_url=database_url
    )
    async with serving(app) as url, GraphQLClient.for_app(app) as api:
        yield url, api, app


async def _eventually(condition: Any) -> None:
    for _ in range(250):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not reached")


async def test_sockets_per_caller_are_capped(capped: Any) -> None:
    url, api, app = capped
    user, other = await factories.register(api), await factories.register(api)
    sessions = app.state.services.hub.sessions
    first = await WSClient.open(url, TRANSPORT_WS, token=user["token"])
    second = await WSClient.open(url, LEGACY_WS, token=user["token"])
    refused = await WSClient.open(url, TRANSPORT_WS, init=False)
    await refused.send(
        {"type": "connection_init", "payload": {"authorization": f"Bearer {user['token']}"}}
    )
    code, reason, _ = await _ended(refused)
    assert code == 4429 and "at most 2" in reason
    legacy = await WSClient.open(url, LEGACY_WS, init=False)
    await legacy.send(
        {"type": "connection_init", "payload": {"authorization": f"Bearer {user['token']}"}}
    )
    error = await legacy.receive()
    assert error["type"] == "connection_error"
    assert error["payload"]["extensions"] == {"code": "RATE_LIMITED", "limit": "socketsPerCaller"}
    # Another caller is not affected; a socket closed frees its place.
    bystander = await WSClient.open(url, TRANSPORT_WS, token=other["token"])
    await second.close()
    await _eventually(lambda: len(sessions.sessions) == 2)
    third = await WSClient.open(url, TRANSPORT_WS, token=user["token"])
    for client in (first, third, bystander):
        await client.close()


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_subscriptions_per_caller_are_capped_over_all_their_sockets(
    capped: Any, protocol: str
) -> None:
    url, api, app = capped
    user = await factories.register(api)
    sessions = app.state.services.hub.sessions
    one = await WSClient.open(url, protocol, token=user["token"])
    two = await WSClient.open(url, TRANSPORT_WS, token=user["token"])
    try:
        first = await one.subscribe(EVENTS, {})
        await two.subscribe(EVENTS, {})
        await _eventually(lambda: sessions.subscriptions == 2)
        await one.subscribe(EVENTS, {})
        message = await one.receive()
        assert message["type"] == "error", message
        payload = message["payload"]
        error = payload[0] if isinstance(payload, list) else payload
        assert error["extensions"] == {"code": "RATE_LIMITED", "limit": "subscriptionsPerCaller"}
        stop = "complete" if protocol == TRANSPORT_WS else "stop"
        await one.send({"id": first, "type": stop})
        if protocol == LEGACY_WS:  # graphql-ws completes a stopped operation
            assert await one.receive() == {"type": "complete", "id": first}
        await _eventually(lambda: sessions.subscriptions == 1)
        await one.subscribe(EVENTS, {})
        await _eventually(lambda: sessions.subscriptions == 2)  # accepted, not refused
    finally:
        await one.close()
        await two.close()


# --- queries and mutations run over HTTP only ----------------------------------------------------


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_queries_and_mutations_over_websocket_are_refused(
    api: GraphQLClient, world: World, live_url: str, database_url: str, protocol: str
) -> None:
    agent = await world.spawn(api)
    client = await WSClient.open(live_url, protocol, token=world.owner["token"])
    create = "mutation($a: ID!) { createAgentToken(agentId: $a) { token } }"
    try:
        for document in ("{ me { id } }", create):
            await client.subscribe(document, {"a": agent["id"]})
            message = await client.receive()
            assert message["type"] == "error", message
            payload = message["payload"]
            error = payload[0] if isinstance(payload, list) else payload
            assert error["extensions"] == {"code": "VALIDATION_ERROR", "field": "query"}
            assert "send them as HTTP POST" in error["message"] or "HTTP POST" in error["message"]
        conn = await asyncpg.connect(_asyncpg_dsn(database_url))
        try:
            assert await conn.fetchval("SELECT count(*) FROM agent_tokens") == 0
        finally:
            await conn.close()
        # The socket is still good for what it is for.
        before = await metric(live_url, "agentgraph_subscriptions_started")
        await client.subscribe(EVENTS, {"agent": agent["id"]})
        await until_metric(live_url, "agentgraph_subscriptions_started", before + 1)
        await api.ok(PAUSE, {"id": agent["id"]}, token=world.owner["token"])
        assert (await client.next_event("agentEvents"))["kind"] == "STATUS_CHANGED"
    finally:
        await client.close()
