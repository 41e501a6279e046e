"""Heartbeats are announced a batch at a time (up to BEATS_PER_NOTIFY in one NOTIFY, within
PostgreSQL's 8,000-byte payload limit), and a subscriber still receives every beat."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import asyncpg
from starlette.applications import Starlette

from gql.ids import from_global_id
from store.eventlog import BEATS_PER_NOTIFY, HEARTBEATS_CHANNEL, parse_heartbeats
from tests.conftest import _asyncpg_dsn
from tests.gql.subscriptions.conftest import World
from tests.support.api import GraphQLClient
from tests.support.waiting import registered, until
from tests.support.ws import TRANSPORT_WS, WSClient

BEATS = "mutation($b: [HeartbeatInput!]!) { heartbeats(inputs: $b) { accepted } }"
WATCH = "subscription($p: ID!) { agentHeartbeat(projectId: $p) { kind at agent { id } } }"
LIMIT = 8000  # bytes of a NOTIFY payload


async def test_a_batch_of_100_beats_reaches_a_subscriber_beat_by_beat(
    api: GraphQLClient, world: World, live_url: str, app: Starlette, database_url: str
) -> None:
    token = world.owner["token"]
    agents = [(await world.spawn(api, f"Beating {n}"))["id"] for n in range(100)]
    start = datetime.now(UTC) - timedelta(seconds=30)
    beats = [
        {"agentId": a, "at": (start + timedelta(milliseconds=n)).isoformat()}
        for n, a in enumerate(agents)
    ]
    payloads: list[str] = []
    listen = await asyncpg.connect(_asyncpg_dsn(database_url))
    await listen.add_listener(HEARTBEATS_CHANNEL, lambda *args: payloads.append(args[-1]))
    client = await WSClient.open(live_url, TRANSPORT_WS, token=token)
    try:
        async with registered(app):
            await client.subscribe(WATCH, {"p": world.project_id})
        assert (await api.ok(BEATS, {"b": beats}, token=token))["heartbeats"] == {"accepted": 100}
        events = await client.events("agentHeartbeat", 100)
        await until(lambda: len(payloads) >= 2, "both announcements")
    finally:
        await client.close()
        await listen.close()

    # Every beat, once each, with the time it reported.
    assert {e["kind"] for e in events} == {"HEARTBEAT"}
    assert sorted(e["agent"]["id"] for e in events) == sorted(agents)
    sent = {b["agentId"]: datetime.fromisoformat(b["at"]) for b in beats}
    assert all(datetime.fromisoformat(e["at"]) == sent[e["agent"]["id"]] for e in events)

    # Announced in two NOTIFYs of 50, each well inside the payload limit.
    assert len(payloads) == 2
    assert [len(parse_heartbeats(p)) for p in payloads] == [BEATS_PER_NOTIFY] * 2
    assert all(len(p.encode()) < LIMIT * 0.8 for p in payloads)
    announced = [beat for p in payloads for beat in parse_heartbeats(p)]
    assert sorted(str(b.agent_id) for b in announced) == sorted(
        str(from_global_id(a, "Agent")) for a in agents
    )
    assert {b.project_id for b in announced} == {from_global_id(world.project_id, "Project")}


def test_a_single_beat_as_an_earlier_version_announced_it_is_read_too() -> None:
    agent, project = "6f0c3c8e-0d7f-4a57-9d0b-3c1e1a0c2b11", "0b9c5d1e-2a3f-4b6c-8d7e-9f0a1b2c3d4e"
    at = "2026-12-03T10:00:00.123456+00:00"
    [beat] = parse_heartbeats(json.dumps({"agent": agent, "project": project, "at": at}))
    [same] = parse_heartbeats(json.dumps({"beats": [[agent, project, at]]}))
    assert beat == same
    assert (str(beat.agent_id), str(beat.project_id), beat.at) == (
        agent, project, datetime.fromisoformat(at),
    )  # fmt: skip


async def test_the_longest_announcement_fits_the_payload_limit(database_url: str) -> None:
    # The widest values a beat can carry: a timestamp with microseconds and a non-UTC offset.
    conn = await asyncpg.connect(_asyncpg_dsn(database_url))
    try:
        await conn.execute("SET timezone = 'Asia/Kathmandu'")  # +05:45
        # As the heartbeat statement spells an announcement (store/heartbeats.py).
        payload = await conn.fetchval(
            """SELECT '{"beats":' || array_to_json(array_agg(json_build_array(
                   gen_random_uuid(), gen_random_uuid(), timestamptz '2026-12-03 10:00:00.123456+00'
               ))) || '}' FROM generate_series(1, $1)""",
            BEATS_PER_NOTIFY,
        )
    finally:
        await conn.close()
    assert len(payload.encode()) < LIMIT
    assert len(parse_heartbeats(payload)) == BEATS_PER_NOTIFY
