"""SIGTERM to a serving `agentgraph serve` under load: nothing gets a 5xx, the request in flight
is answered, every subscriber is told to go (WebSocket 1001, the event stream ended without
`complete`), and resuming by cursor on a second process gives exactly the events after it."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from tests.conftest import TEST_SECRET
from tests.support import factories
from tests.support.api import GraphQLClient
from tests.support.servers import ServeProcess, http_url, serve
from tests.support.sse import SSEStream, sse_subscribe
from tests.support.ws import PROTOCOLS, WSClient

WATCH = """
subscription($agent: ID!, $after: String) {
  agentStateChanged(agentId: $agent, after: $after) { cursor toStatus }
}
"""
MOVE = "mutation($id: ID!) {{ {verb}(input: {{id: $id}}) {{ agent {{ status }} }} }}"
VERBS = ("pauseAgent", "resumeAgent")
ME = b'{"query": "{ me { id } }"}'

pytestmark = pytest.mark.slow


@asynccontextmanager
async def _graphql(server: ServeProcess) -> AsyncIterator[GraphQLClient]:
    base = http_url(server.url).removesuffix("/graphql")
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        yield GraphQLClient(http)


async def _move(api: GraphQLClient, token: str, agent_id: str, n: int) -> None:
    await api.ok(MOVE.format(verb=VERBS[n % 2]), {"id": agent_id}, token=token)


async def _load(url: str, token: str, statuses: list[int], stop: asyncio.Event) -> None:
    """A client asking again and again until the server is gone; every status it got."""
    async with httpx.AsyncClient(timeout=30) as http:
        while not stop.is_set():
            try:
                response = await http.post(
                    url,
                    content=ME,
                    headers={
                        "Authorization": f"Bearer {token}",
                        "Content-Type": "application/json",
                    },
                )
            except httpx.TransportError:
                return  # the server stopped accepting: a refused connection, not an answer
            statuses.append(response.status_code)


async def test_sigterm_under_load_loses_no_request_and_no_event(
    database_url: str, tmp_path: Path
) -> None:
    env = {"AGENTGRAPH_SHUTDOWN_GRACE_S": "20"}
    async with AsyncExitStack() as stack:
        first = await stack.enter_async_context(
            serve(database_url, TEST_SECRET, tmp_path / "first", env=env)
        )
        api = await stack.enter_async_context(_graphql(first))
        admin = await factories.superuser(api, database_url)
        token = admin["token"]
        type_id = await factories.create_agent_type(api, token)
        project_id = await factories.create_project(api, token)
        agent = await factories.spawn_agent(api, token, project_id, type_id)
        sockets = [await WSClient.open(first.url, p, token=token) for p in PROTOCOLS]
        for client in sockets:
            await client.subscribe(WATCH, {"agent": agent})
        opened = await stack.enter_async_context(
            sse_subscribe(first.url, WATCH, {"agent": agent}, token=token)
        )
        assert isinstance(opened, SSEStream)
        stream = opened
        # Every subscriber has the first event: all of them are registered.
        await _move(api, token, agent, 0)
        cursors = {int((await c.next_event("agentStateChanged"))["cursor"]) for c in sockets}
        sse_id, _ = await stream.next_event("agentStateChanged")
        assert cursors == {int(sse_id or 0)}
        (cursor,) = cursors

        statuses: list[int] = []
        stop = asyncio.Event()
        url = http_url(first.url)
        loads = [asyncio.create_task(_load(url, token, statuses, stop)) for _ in range(3)]
        # A request in flight: its headers and half its body are sent before the SIGTERM.
        rest = asyncio.Event()

        async def body() -> AsyncIterator[bytes]:
            yield ME[:10]
            await rest.wait()
            yield ME[10:]

        async with httpx.AsyncClient(timeout=30) as http:
            in_flight = asyncio.create_task(
                http.post(
                    url,
                    content=body(),
                    headers={
                        "Authorization": f"Bearer {token}",
                        "Content-Type": "application/json",
                    },
                )
            )
            await asyncio.sleep(0.5)  # ordering only: the server reads the headers first
            first.process.send_signal(signal.SIGTERM)
            for client in sockets:
                with pytest.raises(ConnectionClosed) as closed:
                    while True:
                        await client.receive(timeout=20)
                assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001
            with pytest.raises(EOFError):  # ended, and without `complete`
                await stream.receive(timeout=20)
            rest.set()
            answered = await in_flight
        stop.set()
        await asyncio.gather(*loads)
        assert answered.status_code == 200, answered.text
        assert answered.json()["data"]["me"]["id"]
        assert statuses and all(s < 500 for s in statuses), statuses
        assert await asyncio.to_thread(first.process.wait, 30) == 0

        second = await stack.enter_async_context(
            serve(database_url, TEST_SECRET, tmp_path / "second", env=env)
        )
        api2 = await stack.enter_async_context(_graphql(second))
        await _move(api2, token, agent, 1)
        await _move(api2, token, agent, 2)
        resumed = await WSClient.open(second.url, PROTOCOLS[0], token=token)
        await resumed.subscribe(WATCH, {"agent": agent, "after": str(cursor)})
        events = await resumed.events("agentStateChanged", 2)
        await _move(api2, token, agent, 3)
        events.append(await resumed.next_event("agentStateChanged"))
        await resumed.close()
        reopened = await stack.enter_async_context(
            sse_subscribe(
                second.url, WATCH, {"agent": agent}, token=token, last_event_id=str(cursor)
            )
        )
        assert isinstance(reopened, SSEStream)
        streamed = [(await reopened.next_event("agentStateChanged"))[1] for _ in range(3)]
    assert [e["toStatus"] for e in events] == ["IDLE", "PAUSED", "IDLE"]
    assert streamed == events
    assert [int(e["cursor"]) for e in events] == sorted({int(e["cursor"]) for e in events})
    assert int(events[0]["cursor"]) > cursor
