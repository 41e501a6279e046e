"""The bench's ingest and fan-out pieces work against a real server: every ingest request it
sends is accepted in full, and the subscriber process hears every move, counts nothing lost or
twice (so a schema or protocol change that breaks them fails here, not in `make bench`)."""

from __future__ import annotations

import asyncpg
from sqlalchemy.engine import make_url

from bench.fanout import AgentMover, Subscribers
from bench.fleet_data import load_fleet
from bench.ingest import CREATE_AGENT_TOKEN, IngestFleet, ingest_scenarios
from bench.scenarios import REGISTER
from gql.ids import to_global_id
from tests.support.api import GraphQLClient


async def _owner_with_fleet(
    api: GraphQLClient, database_url: str, agents: int
) -> tuple[str, str, list[str]]:
    """A registered owner's token, the project's and its agents' global ids."""
    email = "ingest-owner@bench.example"
    registered = await api.ok(REGISTER, {"email": email, "password": "a-long-password-1"})
    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(False)
    conn = await asyncpg.connect(dsn)
    try:
        owner = await conn.fetchval("SELECT id FROM users WHERE email = $1", email)
        project = await load_fleet(conn, owner, agents, slug="bench-ingest-test")
        rows = await conn.fetch(
            "SELECT id FROM agents WHERE project_id = $1 ORDER BY name", project
        )
    finally:
        await conn.close()
    agent_ids = [to_global_id("Agent", row["id"]) for row in rows]
    return registered["register"]["accessToken"], to_global_id("Project", project), agent_ids


async def test_every_ingest_request_of_the_bench_is_accepted_in_full(
    api: GraphQLClient, database_url: str
) -> None:
    token, _, agent_ids = await _owner_with_fleet(api, database_url, 8)
    agent_tokens = []
    for agent in agent_ids:
        made = await api.ok(CREATE_AGENT_TOKEN, {"agent": agent}, token=token)
        agent_tokens.append(made["createAgentToken"]["token"])

    scenarios = ingest_scenarios(IngestFleet(agent_ids, agent_tokens), token)
    assert [s.name for s in scenarios] == ["heartbeat", "heartbeats_100", "record_metrics_1000"]
    for scenario in scenarios:
        for body, headers in scenario.variants:
            result = await api.execute(body["query"], body["variables"], headers=headers)
            assert not result.errors, (scenario.name, result.errors)
            assert result.data is not None
            written = next(iter(result.data.values()))
            if scenario.name == "heartbeat":
                assert written["id"] == body["variables"]["input"]["agentId"]
            elif scenario.name == "heartbeats_100":
                assert written == {"accepted": len(body["variables"]["inputs"])}
            else:
                assert written == {"accepted": scenario.units}


async def test_the_subscriber_process_hears_every_move_once(
    api: GraphQLClient, database_url: str, live_url: str
) -> None:
    token, project, agent_ids = await _owner_with_fleet(api, database_url, 1)
    mover = AgentMover(live_url.replace("ws://", "http://", 1), agent_ids[0])
    subscribers = await Subscribers.start()
    try:
        opened = await subscribers.ask(
            {"open": {"url": live_url, "token": token, "project": project, "count": 5}}
        )
        assert opened == {"opened": 5}
        for _ in range(20):  # until every subscription is live
            await mover.move(token)
            probe = await subscribers.ask({"wait": {"events": 1, "timeout_s": 2}})
            if probe["complete"] == 5:
                break
        assert probe["complete"] == 5
        for _ in range(3):
            await mover.move(token)
        report = await subscribers.ask({"wait": {"events": 3, "timeout_s": 10}})
    finally:
        await subscribers.stop()
    assert report["complete"] == 5
    assert (report["received"], report["lost"], report["duplicated"]) == (15, 0, 0)
    assert len(report["latencies_ms"]) == 15
