"""Delivery: commit order, nested payloads, no events for rollbacks, resume from a cursor —
the same tests over both protocols."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette

from tests.gql.subscriptions.conftest import World
from tests.support.api import GraphQLClient
from tests.support.waiting import registered
from tests.support.ws import PROTOCOLS, WSClient

STATE_CHANGED = """
subscription($project: ID, $agent: ID, $after: String) {
  agentStateChanged(projectId: $project, agentId: $agent, after: $after) {
    cursor kind at fromStatus toStatus reason actor
    agent { id name status revision project { slug } state { errorCount } }
  }
}
"""
MOVE = "mutation($id: ID!, $reason: String) {{ {verb}(input: {{id: $id, reason: $reason}}) {{ agent {{ status }} }} }}"


async def _move(
    api: GraphQLClient, world: World, verb: str, agent_id: str, reason: str | None = None
) -> None:
    await api.ok(
        MOVE.format(verb=verb), {"id": agent_id, "reason": reason}, token=world.owner["token"]
    )


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_pause_resume_terminate_arrive_in_commit_order(
    api: GraphQLClient, world: World, live_url: str, app: Starlette, protocol: str
) -> None:
    agent = await world.spawn(api, "Watched")
    client = await WSClient.open(live_url, protocol, token=world.owner["token"])
    try:
        async with registered(app):
            await client.subscribe(STATE_CHANGED, {"project": world.project_id})
        await _move(api, world, "pauseAgent", agent["id"], "maintenance")
        await _move(api, world, "resumeAgent", agent["id"])
        await _move(api, world, "terminateAgent", agent["id"], "retired")
        # Live delivery takes milliseconds (bench/ measures it); the timeout only guards a hang.
        events = await client.events("agentStateChanged", 3)
    finally:
        await client.close()
    assert [(e["fromStatus"], e["toStatus"]) for e in events] == [
        ("IDLE", "PAUSED"), ("PAUSED", "IDLE"), ("IDLE", "TERMINATED"),
    ]  # fmt: skip
    assert [e["reason"] for e in events] == ["maintenance", None, "retired"]
    assert all(e["kind"] == "STATUS_CHANGED" and e["actor"].startswith("user:") for e in events)
    cursors = [int(e["cursor"]) for e in events]
    assert cursors == sorted(cursors)
    assert events[0]["agent"]["name"] == "Watched"
    assert events[0]["agent"]["project"]["slug"]
    assert events[-1]["agent"]["status"] == "TERMINATED"


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_failed_mutations_produce_no_event(
    api: GraphQLClient, world: World, live_url: str, app: Starlette, protocol: str
) -> None:
    agent = await world.spawn(api)
    token = world.owner["token"]
    client = await WSClient.open(live_url, protocol, token=token)
    try:
        async with registered(app):
            await client.subscribe(STATE_CHANGED, {"agent": agent["id"]})
        refused = await api.execute(
            MOVE.format(verb="recoverAgent"), {"id": agent["id"]}, token=token
        )
        assert refused.code == "INVALID_TRANSITION"
        conflict = await api.execute(
            "mutation($id: ID!) { pauseAgent(input: {id: $id, expectedRevision: 99}) { agent { id } } }",
            {"id": agent["id"]},
            token=token,
        )
        assert conflict.code == "CONFLICT"
        # The refused moves came first: had they announced anything, it would arrive first.
        await _move(api, world, "pauseAgent", agent["id"])
        event = await client.next_event("agentStateChanged")
        assert (event["fromStatus"], event["toStatus"]) == ("IDLE", "PAUSED")
    finally:
        await client.close()


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_resume_from_a_cursor_without_gap_or_duplicate(
    api: GraphQLClient, world: World, live_url: str, app: Starlette, protocol: str
) -> None:
    agent = await world.spawn(api)
    token = world.owner["token"]
    verbs = ["pauseAgent", "resumeAgent"]
    client = await WSClient.open(live_url, protocol, token=token)
    async with registered(app):
        await client.subscribe(STATE_CHANGED, {"agent": agent["id"]})
    for i in range(5):
        await _move(api, world, verbs[i % 2], agent["id"], f"first-{i}")
    first = await client.events("agentStateChanged", 5)
    await client.close()
    last_cursor = first[-1]["cursor"]

    for i in range(10):
        await _move(api, world, verbs[(i + 1) % 2], agent["id"], f"while-away-{i}")

    client = await WSClient.open(live_url, protocol, token=token)
    try:
        await client.subscribe(STATE_CHANGED, {"agent": agent["id"], "after": last_cursor})
        missed = await client.events("agentStateChanged", 10)
        assert [e["reason"] for e in missed] == [f"while-away-{i}" for i in range(10)]
        await _move(api, world, verbs[1], agent["id"], "live")
        live = await client.next_event("agentStateChanged")
        assert live["reason"] == "live"
        # No duplicate of a replayed event follows: the next one is the next move.
        await _move(api, world, verbs[0], agent["id"], "live again")
        again = await client.next_event("agentStateChanged")
        assert again["reason"] == "live again"
    finally:
        await client.close()
    cursors = [int(e["cursor"]) for e in first + missed + [live, again]]
    assert cursors == sorted(set(cursors))


async def test_cursor_arguments_are_checked(
    api: GraphQLClient, world: World, live_url: str
) -> None:
    agent = await world.spawn(api)
    client = await WSClient.open(live_url, PROTOCOLS[0], token=world.owner["token"])
    try:
        for cursor in ("1180591620717411303424", "²", "abc", "999999999"):
            await client.subscribe(STATE_CHANGED, {"agent": agent["id"], "after": cursor})
            message = await client.receive()
            errors = message["payload"]["errors"]
            assert [e["extensions"]["code"] for e in errors] == ["VALIDATION_ERROR"], message
            assert errors[0]["extensions"]["field"] == "after"
            assert "SELECT" not in errors[0]["message"]
            assert (await client.receive())["type"] == "complete"
    finally:
        await client.close()


async def test_a_heartbeat_only_replay_replays_nothing(
    api: GraphQLClient, world: World, live_url: str, app: Starlette
) -> None:
    agent = await world.spawn(api)
    await _move(api, world, "pauseAgent", agent["id"])
    client = await WSClient.open(live_url, PROTOCOLS[0], token=world.owner["token"])
    try:
        async with registered(app):
            await client.subscribe(
                'subscription($a: ID!) { agentEvents(agentId: $a, kinds: [HEARTBEAT], after: "0") { kind } }',
                {"a": agent["id"]},
            )
        # Heartbeats are never logged: the first thing to arrive is the live beat sent now,
        # not the pause (nor anything else) from the log.
        await api.ok(
            "mutation($a: ID!) { heartbeat(input: {agentId: $a}) { id } }",
            {"a": agent["id"]},
            token=world.owner["token"],
        )
        assert (await client.next_event("agentEvents"))["kind"] == "HEARTBEAT"
    finally:
        await client.close()
