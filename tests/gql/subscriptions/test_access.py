"""Subscriptions see exactly what their caller may see: checked at subscribe time and per event."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.applications import Starlette
from websockets.exceptions import ConnectionClosed

from tests.gql.subscriptions.conftest import World
from tests.support import factories
from tests.support.api import GraphQLClient
from tests.support.waiting import registered
from tests.support.ws import PROTOCOLS, TRANSPORT_WS, WSClient

EVENTS = """
subscription($project: ID, $agent: ID) {
  agentEvents(projectId: $project, agentId: $agent) { kind agent { id name } }
}
"""
PAUSE = "mutation($id: ID!) { pauseAgent(input: {id: $id}) { agent { id } } }"


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_another_users_project_or_agent_is_not_found(
    api: GraphQLClient,
    world: World,
    stranger: dict[str, Any],
    live_url: str,
    app: Starlette,
    protocol: str,
) -> None:
    agent = await world.spawn(api)
    hub = app.state.services.hub
    before = set(hub.listeners)
    client = await WSClient.open(live_url, protocol, token=stranger["token"])
    try:
        for variables in ({"project": world.project_id}, {"agent": agent["id"]}):
            await client.subscribe(EVENTS, variables)
            message = await client.receive()
            errors = (
                message["payload"] if message["type"] == "error" else message["payload"]["errors"]
            )
            assert [e["extensions"]["code"] for e in errors] == ["NOT_FOUND"], message
            assert (await client.receive())["type"] == "complete"
        # Refused before listening: the server registered nothing for these subscriptions, so
        # no later event can reach this client (and they are complete besides).
        await api.ok(PAUSE, {"id": agent["id"]}, token=world.owner["token"])
        assert hub.listeners - before == set()
    finally:
        await client.close()


async def test_an_unscoped_subscription_only_carries_the_callers_projects(
    api: GraphQLClient, world: World, stranger: dict[str, Any], live_url: str, app: Starlette
) -> None:
    mine = await world.spawn(api, "Mine")
    theirs_project = await factories.create_project(api, stranger["token"])
    theirs = await api.ok(
        "mutation($i: SpawnAgentInput!) { spawnAgent(input: $i) { id } }",
        {"i": {"projectId": theirs_project, "agentTypeId": world.type_id, "name": "Theirs"}},
        token=stranger["token"],
    )
    client = await WSClient.open(live_url, TRANSPORT_WS, token=world.owner["token"])
    try:
        async with registered(app):
            await client.subscribe(EVENTS, {})
        # The stranger's move commits first: had it been let through, it would arrive first.
        await api.ok(PAUSE, {"id": theirs["spawnAgent"]["id"]}, token=stranger["token"])
        await api.ok(PAUSE, {"id": mine["id"]}, token=world.owner["token"])
        event = await client.next_event("agentEvents")
        assert event["agent"]["name"] == "Mine"
    finally:
        await client.close()


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_connection_init_without_valid_credentials_is_closed(
    live_url: str, protocol: str
) -> None:
    for token in (None, "not-a-token"):
        client = await WSClient.open(live_url, protocol, init=False)
        payload = {"authorization": f"Bearer {token}"} if token else {}
        await client.send({"type": "connection_init", "payload": payload})
        if protocol == TRANSPORT_WS:
            with pytest.raises(ConnectionClosed) as closed:
                await client.receive()
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
        else:
            assert (await client.receive())["type"] == "connection_error"


async def test_the_upgrade_requests_authorization_header_is_accepted(
    api: GraphQLClient, world: World, live_url: str, app: Starlette
) -> None:
    agent = await world.spawn(api)
    client = await WSClient.open(live_url, TRANSPORT_WS, header_token=world.owner["token"])
    try:
        async with registered(app):
            await client.subscribe(EVENTS, {"agent": agent["id"]})
        await api.ok(PAUSE, {"id": agent["id"]}, token=world.owner["token"])
        assert (await client.next_event("agentEvents"))["kind"] == "STATUS_CHANGED"
    finally:
        await client.close()
