"""A burst of events (NOTIFYs the LISTEN connection delivers at once) is resolved as one: one
set of loaders, one read of its agents and one of its transitions, whatever its size; each
subscriber still gets every event once, in order, and only what it may see."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from starlette.applications import Starlette

from domain.events import EventKind
from gql.ids import from_global_id, to_global_id
from store import eventlog
from store.eventlog import NewEvent, TransitionRecord
from tests.conftest import BACKGROUND_TASKS
from tests.gql.subscriptions.conftest import World
from tests.support import factories
from tests.support.api import GraphQLClient
from tests.support.sql_counter import StatementCounter
from tests.support.waiting import registered, until
from tests.support.ws import PROTOCOLS, WSClient

WATCH = """
subscription($project: ID!) {
  agentStateChanged(projectId: $project) { cursor fromStatus toStatus reason agent { name } }
}
"""


def _moves(agents: list[uuid.UUID], project: uuid.UUID, count: int) -> list[NewEvent]:
    """``count`` STATUS_CHANGED events with their transitions, over ``agents`` in turn."""
    return [
        NewEvent(
            EventKind.STATUS_CHANGED,
            agents[n % len(agents)],
            project,
            {"from": "idle", "to": "paused"},
            TransitionRecord("idle", "paused", f"move {n}", "system"),
        )
        for n in range(count)
    ]


async def _burst(
    app: Starlette, clients: list[WSClient], events: list[NewEvent]
) -> tuple[int, list[list[dict[str, Any]]]]:
    """Commit ``events`` in one transaction (their NOTIFYs arrive together): the statements the
    server spent delivering them to every client, and what each client received."""
    database = app.state.services.database
    this_task = asyncio.current_task()
    assert this_task is not None
    with StatementCounter(database, BACKGROUND_TASKS | {this_task.get_name()}) as counter:
        async with database.transaction() as conn:
            await eventlog.append(conn, events)
        received = [await c.events("agentStateChanged", len(events)) for c in clients]
        return counter.count, received


async def test_a_burst_costs_the_statements_of_one_event(
    api: GraphQLClient, world: World, live_url: str, app: Starlette
) -> None:
    names = ["One", "Two", "Three"]
    agents = [from_global_id((await world.spawn(api, n))["id"], "Agent") for n in names]
    project = from_global_id(world.project_id, "Project")
    token = world.owner["token"]
    # Two members of one cohort on both protocols, and a subscriber of its own (an agent's
    # token: it sees its own agent only).
    runtime = await factories.agent_token(api, token, to_global_id("Agent", agents[0]))
    clients = [await WSClient.open(live_url, PROTOCOLS[i % 2], token=token) for i in range(2)]
    itself = await WSClient.open(live_url, PROTOCOLS[0], token=runtime["token"])
    try:
        async with registered(app, listeners=2):
            for client in clients:
                await client.subscribe(WATCH, {"project": world.project_id})
            await itself.subscribe(WATCH, {"project": world.project_id})
        cohorts = app.state.graphql.cohorts.running.values()
        await until(
            lambda: (
                sorted(len(c.members) for c in cohorts) == [1, 2]
                and all(m.cursor is not None for c in cohorts for m in c.members)
            ),
            "every member started",
        )
        await _burst(app, clients, _moves(agents[:1], project, 1))  # warms the caches
        await itself.events("agentStateChanged", 1)
        one, _ = await _burst(app, clients, _moves(agents[:1], project, 1))
        await itself.events("agentStateChanged", 1)

        # Twelve: their notifications (5 KB) come in one read of the LISTEN connection.
        events = _moves(agents, project, 12)
        many, received = await _burst(app, clients, events)
        assert many == one, (one, many)
        # Every member got every event once, in order, resolved as it is.
        cursors = [e["cursor"] for e in received[0]]
        assert [int(c) for c in cursors] == sorted({int(c) for c in cursors})
        # The same payloads on both protocols (graphql-transport-ws sends the cohort's frame,
        # encoded once for every member; graphql-ws encodes its own).
        assert received[1] == received[0]
        assert [e["reason"] for e in received[0]] == [f"move {n}" for n in range(12)]
        assert [e["agent"]["name"] for e in received[0]] == names * 4
        # The agent's own subscription: its four events only, the same cursors.
        own = await itself.events("agentStateChanged", 4)
        assert [e["cursor"] for e in own] == cursors[::3]
        assert {e["agent"]["name"] for e in own} == {"One"}
    finally:
        for client in [*clients, itself]:
            await client.close()
