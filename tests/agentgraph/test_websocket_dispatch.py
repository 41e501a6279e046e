"""WebSockets to /graphql straight to the endpoint (agentgraph/websocket_dispatch.py) behave as
through Starlette's middleware and router (the reference path): the same refusals, close codes,
errors and events, on both protocols, with the upgrade request's Authorization header too."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.types import ASGIApp, Receive, Scope, Send
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from agentgraph.websocket_dispatch import DirectWebSockets
from tests.gql.conftest import World, world
from tests.support.api import GraphQLClient
from tests.support.waiting import registered
from tests.support.ws import PROTOCOLS, TRANSPORT_WS, WSClient

EVENTS = "subscription($project: ID) { agentEvents(projectId: $project) { kind agent { name } } }"
PAUSE = "mutation($id: ID!) { pauseAgent(input: {id: $id}) { agent { id } } }"
RESUME = "mutation($id: ID!) { resumeAgent(input: {id: $id}) { agent { id } } }"


class Counted:
    """The direct path, counting the sockets it took."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.sockets = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.sockets += 1
        await self.app(scope, receive, send)


async def _closed(client: WSClient) -> list[Any]:
    """What a refused socket heard: any connection_error's code, then the close."""
    heard: list[Any] = []
    try:
        while True:
            message = await client.receive()
            heard.append((message["type"], message["payload"]["extensions"]["code"]))
    except ConnectionClosed as closed:
        assert closed.rcvd is not None
        return [*heard, (closed.rcvd.code, closed.rcvd.reason)]


async def _transcript(
    url: str, protocol: str, token: str, api: GraphQLClient, world: World, app: Any, path: str
) -> list[Any]:
    seen: list[Any] = []
    # connection_init with a bad token, then none at all: refused.
    for bad in ("not-a-token", None):
        client = await WSClient.open(url, protocol, init=False)
        await client.send(
            {"type": "connection_init", "payload": {"authorization": bad} if bad else {}}
        )
        seen.append(await _closed(client))
    # A subprotocol nobody speaks.
    async with connect(url, subprotocols=["nonsense"]) as other:  # type: ignore[list-item]
        with pytest.raises(ConnectionClosed) as closed:
            await other.recv()
        assert closed.value.rcvd is not None
        seen.append((closed.value.rcvd.code, closed.value.rcvd.reason))
    # Signed in by the upgrade request's header: a refused document, then live events.
    agent = await world.spawn(api, f"Agent {path}")
    client = await WSClient.open(url, protocol, header_token=token)
    try:
        await client.subscribe("subscription { nope }")
        refused = await client.receive()
        payload = refused["payload"]
        errors = payload.get("errors", [payload]) if isinstance(payload, dict) else payload
        seen.append([e["extensions"]["code"] for e in errors])
        async with registered(app):
            await client.subscribe(EVENTS, {"project": world.project_id})
        await api.ok(PAUSE, {"id": agent["id"]}, token=token)
        await api.ok(RESUME, {"id": agent["id"]}, token=token)
        seen += [e["kind"] for e in await client.events("agentEvents", 2)]
    finally:
        await client.close()
    return seen


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_direct_websockets_behave_as_through_the_router(
    api: GraphQLClient, world: World, live_url: str, app: Any, protocol: str
) -> None:
    assert isinstance(app, DirectWebSockets)
    direct = app.direct
    assert direct is not None
    counted = Counted(direct)
    token = world.owner["token"]
    try:
        app.direct = counted
        fast = await _transcript(live_url, protocol, token, api, world, app, "direct")
        assert counted.sockets == 4  # every socket of the transcript took the direct path
        app.direct = None
        reference = await _transcript(live_url, protocol, token, api, world, app, "router")
    finally:
        app.direct = direct
    assert counted.sockets == 4
    assert fast == reference
    no_token = "Authentication required: send a valid Bearer token."
    if protocol == TRANSPORT_WS:
        refusals = [[(4403, "Invalid access token.")], [(4403, no_token)]]
    else:
        refusals = [[("connection_error", "UNAUTHENTICATED"), (4403, "")]] * 2
    assert fast == [
        *refusals,
        (4406, "Subprotocol not acceptable"),
        ["VALIDATION_ERROR"],
        "STATUS_CHANGED",
        "STATUS_CHANGED",
    ]


__all__ = ["world"]  # the fixture, from tests/gql
