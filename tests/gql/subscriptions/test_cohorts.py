"""Cohorts: identical subscriptions of viewers who see the same things share one listener and
one resolution per event; a slow member slows nobody else."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.applications import Starlette

from tests.conftest import BACKGROUND_TASKS
from tests.gql.subscriptions.conftest import World
from tests.support import factories
from tests.support.api import GraphQLClient
from tests.support.sql_counter import StatementCounter
from tests.support.ws import PROTOCOLS, WSClient

WATCH = """
subscription($project: ID!) {
  agentStateChanged(projectId: $project) { cursor toStatus agent { name state { errorCount } configs { key } } }
}
"""
PAUSE = "mutation($id: ID!) { pauseAgent(input: {id: $id}) { agent { id } } }"
RESUME = "mutation($id: ID!) { resumeAgent(input: {id: $id}) { agent { id } } }"


async def _wait_for(predicate: Any, timeout: float = 5.0) -> None:
    for _ in range(int(timeout / 0.02)):
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not reached")


async def _statements_for_one_event(
    api: GraphQLClient, world: World, live_url: str, app: Starlette, subscribers: int, move: str
) -> int:
    """SQL statements the server spends to deliver one event to ``subscribers`` subscribers."""
    agent_id = world.agents[0]
    clients = [
        await WSClient.open(live_url, PROTOCOLS[i % 2], token=world.owner["token"])
        for i in range(subscribers)
    ]
    try:
        for client in clients:
            await client.subscribe(WATCH, {"project": world.project_id})
        await asyncio.sleep(0.3)
        app.state.services.authenticator.forget()  # the sign-in check counts every time
        with StatementCounter(app.state.services.database, BACKGROUND_TASKS) as counter:
            await api.ok(move, {"id": agent_id}, token=world.owner["token"])
            mutation = counter.count
            for client in clients:
                assert (await client.next_event("agentStateChanged"))["agent"]["name"] == "Shared"
            await asyncio.sleep(0.2)
            return counter.count - mutation
    finally:
        for client in clients:
            await client.close()


async def test_identical_subscriptions_share_one_resolution(
    api: GraphQLClient, world: World, live_url: str, app: Starlette
) -> None:
    agent = await world.spawn(api, "Shared")
    world.agents = [agent["id"]]  # type: ignore[attr-defined]
    services = app.state.services
    listeners_before = len(services.hub.listeners)

    await _statements_for_one_event(api, world, live_url, app, 1, PAUSE)  # warms the owner cache
    one = await _statements_for_one_event(api, world, live_url, app, 1, RESUME)
    twenty = await _statements_for_one_event(api, world, live_url, app, 20, PAUSE)
    assert twenty == one, (one, twenty)
    await _wait_for(lambda: len(services.hub.listeners) == listeners_before)

    # While they watch: one listener on the hub and one cohort for the twenty.
    clients = [
        await WSClient.open(live_url, PROTOCOLS[0], token=world.owner["token"]) for _ in range(20)
    ]
    try:
        for client in clients:
            await client.subscribe(WATCH, {"project": world.project_id})
        running = app.state.graphql.cohorts.running
        await _wait_for(lambda: sum(len(c.members) for c in running.values()) == 20)
        await _wait_for(lambda: len(services.hub.listeners) > listeners_before)
        [cohort] = running.values()
        assert len(cohort.members) == 20
        assert len(services.hub.listeners) == listeners_before + 1
    finally:
        for client in clients:
            await client.close()
    await _wait_for(lambda: not app.state.graphql.cohorts.running)


async def test_viewers_who_see_different_things_never_share(
    api: GraphQLClient, world: World, live_url: str, app: Starlette
) -> None:
    other = await factories.register(api)
    await world.spawn(api, "Mine")
    owner = await WSClient.open(live_url, PROTOCOLS[0], token=world.owner["token"])
    stranger = await WSClient.open(live_url, PROTOCOLS[0], token=other["token"])
    try:
        await owner.subscribe(WATCH, {"project": world.project_id})
        await stranger.subscribe(WATCH, {"project": world.project_id})
        refused = await stranger.receive()
        assert refused["payload"]["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        await _wait_for(lambda: len(app.state.graphql.cohorts.running) == 1)
    finally:
        await owner.close()
        await stranger.close()


async def test_a_member_that_stops_reading_does_not_hold_up_the_others(
    api: GraphQLClient, world: World, live_url: str
) -> None:
    agent = await world.spawn(api, "Shared")
    token = world.owner["token"]
    reader = await WSClient.open(live_url, PROTOCOLS[0], token=token)
    sleeper = await WSClient.open(live_url, PROTOCOLS[0], token=token, max_queue=1)
    try:
        await reader.subscribe(WATCH, {"project": world.project_id})
        await sleeper.subscribe(WATCH, {"project": world.project_id})
        await asyncio.sleep(0.3)
        for i in range(20):
            await api.ok(PAUSE if i % 2 == 0 else RESUME, {"id": agent["id"]}, token=token)
        events = await reader.events("agentStateChanged", 20)
        assert [e["toStatus"] for e in events] == ["PAUSED", "IDLE"] * 10
    finally:
        await reader.close()
        await sleeper.close()


async def test_a_cursor_given_as_a_variable_default_is_never_shared(
    api: GraphQLClient, world: World, live_url: str
) -> None:
    agent = await world.spawn(api, "Replayed")
    await api.ok(PAUSE, {"id": agent["id"]}, token=world.owner["token"])
    document = """subscription($a: ID!, $after: String = "0") {
      agentStateChanged(agentId: $a, after: $after) { cursor toStatus } }"""
    clients = [
        await WSClient.open(live_url, PROTOCOLS[0], token=world.owner["token"]) for _ in range(2)
    ]
    try:
        for client in clients:
            await client.subscribe(document, {"a": agent["id"]})
        for client in clients:
            replay = await client.events("agentStateChanged", 2)
            assert [e["toStatus"] for e in replay] == ["IDLE", "PAUSED"]
    finally:
        for client in clients:
            await client.close()
