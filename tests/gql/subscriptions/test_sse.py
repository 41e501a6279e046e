"""graphql-sse (distinct connections) at POST /graphql/stream, with a real HTTP client against a
real uvicorn: cursors as event ids, Last-Event-ID resume after a dropped connection, the same
authentication, limits, caps and session re-checks as the WebSocket protocols."""

from __future__ import annotations

import contextlib
import dataclasses
from typing import Any

import httpx
from starlette.applications import Starlette

from tests.gql.subscriptions.conftest import World
from tests.support import factories
from tests.support.api import GraphQLClient
from tests.support.sse import SSEStream, sse_subscribe
from tests.support.waiting import registered, until

STATE_CHANGED = """
subscription($project: ID, $agent: ID, $after: String) {
  agentStateChanged(projectId: $project, agentId: $agent, after: $after) {
    cursor toStatus agent { name }
  }
}
"""
PAUSE = "mutation($id: ID!) { pauseAgent(input: {id: $id}) { agent { status } } }"
RESUME = "mutation($id: ID!) { resumeAgent(input: {id: $id}) { agent { status } } }"
REVOKE = "mutation($id: ID!) { revokeAgentToken(id: $id) { id } }"


async def _toggle(
    api: GraphQLClient, world: World, agent_id: str, times: int, *, paused: bool = False
) -> None:
    """Pause and resume in turn, ``times`` moves, from IDLE (or PAUSED)."""
    for i in range(times):
        verb = RESUME if (i % 2 == 0) == paused else PAUSE
        await api.ok(verb, {"id": agent_id}, token=world.owner["token"])


def _stream(opened: Any) -> SSEStream:
    assert isinstance(opened, SSEStream), (opened.status_code, opened.text)
    return opened


def _refusal(opened: Any, status: int) -> dict[str, Any]:
    assert isinstance(opened, httpx.Response), "the stream was opened"
    assert opened.status_code == status, opened.text
    return dict(opened.json()["errors"][0])


async def test_every_durable_event_carries_its_cursor_as_its_id(
    api: GraphQLClient, world: World, live_url: str, app: Starlette
) -> None:
    agent = await world.spawn(api, "Streamed")
    async with registered(app):
        opened = sse_subscribe(
            live_url, STATE_CHANGED, {"project": world.project_id}, token=world.owner["token"]
        )
        stream = _stream(await opened.__aenter__())
    try:
        assert stream.response.headers["content-type"].startswith("text/event-stream")
        await _toggle(api, world, agent["id"], 3)
        events = [await stream.next_event("agentStateChanged") for _ in range(3)]
    finally:
        await opened.__aexit__(None, None, None)
    assert [e["toStatus"] for _, e in events] == ["PAUSED", "IDLE", "PAUSED"]
    assert [event_id for event_id, _ in events] == [e["cursor"] for _, e in events]


async def test_a_dropped_stream_resumes_with_last_event_id_without_gap_or_duplicate(
    api: GraphQLClient, world: World, live_url: str, app: Starlette
) -> None:
    agent = await world.spawn(api, "Resumed")
    variables = {"agent": agent["id"]}
    token = world.owner["token"]
    async with registered(app):
        opened = sse_subscribe(live_url, STATE_CHANGED, variables, token=token)
        stream = _stream(await opened.__aenter__())
    try:
        await _toggle(api, world, agent["id"], 1)
        first_id, first = await stream.next_event("agentStateChanged")
    finally:
        await opened.__aexit__(None, None, None)  # the connection drops
    sessions = app.state.services.hub.sessions
    await until(lambda: sessions.subscriptions == 0, "the dropped stream is let go")
    await _toggle(
        api, world, agent["id"], 3, paused=True
    )  # missed while disconnected: IDLE, PAUSED, IDLE
    assert first_id is not None
    async with contextlib.AsyncExitStack() as stack:
        async with registered(app):
            reopened = sse_subscribe(
                live_url, STATE_CHANGED, variables, token=token, last_event_id=first_id
            )
            stream = _stream(await stack.enter_async_context(reopened))
        missed = [await stream.next_event("agentStateChanged") for _ in range(3)]
        await api.ok(PAUSE, {"id": agent["id"]}, token=token)
        live_id, live = await stream.next_event("agentStateChanged")
    assert first["toStatus"] == "PAUSED"
    assert [e["toStatus"] for _, e in missed] == ["IDLE", "PAUSED", "IDLE"]
    ids = [first_id, *(i for i, _ in missed), live_id]
    assert [int(i or 0) for i in ids] == sorted({int(i or 0) for i in ids})  # no duplicate
    assert live["toStatus"] == "PAUSED"


async def test_last_event_id_wins_over_the_after_argument(
    api: GraphQLClient, world: World, live_url: str
) -> None:
    agent = await world.spawn(api, "Both")
    await _toggle(api, world, agent["id"], 3)
    token = world.owner["token"]
    variables = {"agent": agent["id"], "after": "0"}
    async with sse_subscribe(live_url, STATE_CHANGED, variables, token=token) as opened:
        everything = [await _stream(opened).next_event("agentStateChanged") for _ in range(3)]
    second_id = everything[1][0]
    assert second_id is not None
    async with sse_subscribe(
        live_url, STATE_CHANGED, variables, token=token, last_event_id=second_id
    ) as opened:
        event_id, event = await _stream(opened).next_event("agentStateChanged")
    assert (event_id, event) == everything[2]


async def test_streams_need_a_credential_in_the_authorization_header(
    api: GraphQLClient, world: World, live_url: str
) -> None:
    async with sse_subscribe(live_url, STATE_CHANGED, token=None) as opened:
        assert _refusal(opened, 401)["extensions"]["code"] == "UNAUTHENTICATED"
    async with sse_subscribe(live_url, STATE_CHANGED, token="not-a-token") as opened:
        assert _refusal(opened, 401)["extensions"]["code"] == "UNAUTHENTICATED"
    async with sse_subscribe(
        live_url, STATE_CHANGED, token=world.owner["token"], last_event_id="soon"
    ) as opened:
        refusal = _refusal(opened, 400)
    assert refusal["extensions"] == {"code": "VALIDATION_ERROR", "field": "Last-Event-ID"}


async def test_an_agent_token_streams_its_own_agent_and_revoking_it_ends_the_stream(
    api: GraphQLClient, world: World, live_url: str, app: Starlette
) -> None:
    agent = await world.spawn(api, "Tokened")
    token = await factories.agent_token(api, world.owner["token"], agent["id"])
    async with contextlib.AsyncExitStack() as stack:
        async with registered(app):
            opened = sse_subscribe(
                live_url, STATE_CHANGED, {"agent": agent["id"]}, token=token["token"]
            )
            stream = _stream(await stack.enter_async_context(opened))
        await _toggle(api, world, agent["id"], 1)
        _, event = await stream.next_event("agentStateChanged")
        assert event["agent"]["name"] == "Tokened"
        await api.ok(REVOKE, {"id": token["id"]}, token=world.owner["token"])
        ended = await stream.receive()
        completed = await stream.receive()
    assert ended.kind == "next"
    assert ended.data["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert completed.kind == "complete"


async def test_documents_meet_the_same_admission_and_limits(world: World, live_url: str) -> None:
    token = world.owner["token"]
    deep = "subscription { agentEvents { agent { project { agents { edges { node { project { agents { edges { node { project { agents { edges { node { id } } } } } } } } } } } } } } }"
    cases = {
        "query { me { id } }": "VALIDATION_ERROR",
        "subscription {": "VALIDATION_ERROR",
        deep: "QUERY_TOO_COMPLEX",
    }
    codes = {}
    for document in cases:
        async with sse_subscribe(live_url, document, token=token) as opened:
            stream = _stream(opened)
            refused = await stream.receive()
            assert (await stream.receive()).kind == "complete"
        codes[document] = refused.data["errors"][0]["extensions"]["code"]
    assert codes == cases


async def test_streams_count_against_the_caps_of_sockets_and_subscriptions(
    api: GraphQLClient, world: World, live_url: str, app: Starlette
) -> None:
    sessions = app.state.services.hub.sessions
    caps = sessions.max_sockets, sessions.max_subscriptions
    sessions.max_sockets = 1
    token = world.owner["token"]
    try:
        async with sse_subscribe(live_url, STATE_CHANGED, token=token) as first:
            _stream(first)  # its session was opened before its response began
            async with sse_subscribe(live_url, STATE_CHANGED, token=token) as second:
                refusal = _refusal(second, 429)
        assert refusal["extensions"]["limit"] == "socketsPerCaller"
        sessions.max_sockets, sessions.max_subscriptions = caps[0], 0
        async with sse_subscribe(live_url, STATE_CHANGED, token=token) as third:
            refusal = _refusal(third, 429)
        assert refusal["extensions"]["limit"] == "subscriptionsPerCaller"
    finally:
        sessions.max_sockets, sessions.max_subscriptions = caps
    await until(lambda: not sessions.sessions, "every stream's session closed")


async def test_idle_streams_get_keep_alive_comments(
    world: World, live_url: str, app: Starlette
) -> None:
    graphql = app.state.graphql
    config = graphql.config
    graphql.config = dataclasses.replace(config, ws_keepalive_s=0.05)
    try:
        async with sse_subscribe(live_url, STATE_CHANGED, token=world.owner["token"]) as opened:
            comment = await _stream(opened).receive(comments=True)
    finally:
        graphql.config = config
    assert (comment.kind, comment.data) == ("comment", "keep-alive")
