"""The bench's ingest and fan-out pieces work against a real server: every ingest request it
sends is accepted in full, and the subscriber process hears every move, counts nothing lost or
twice (so a schema or protocol change that breaks them fails here, not in `make bench`)."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from bench import fanout
from bench.fanout import AgentMover, Subscribers, merge_rounds
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


@pytest.mark.parametrize("per_process", [fanout.PER_PROCESS, 2])
async def test_the_subscriber_process_hears_every_move_once(
    api: GraphQLClient,
    database_url: str,
    live_url: str,
    per_process: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # At 2 sockets a process, the 5 are spread over 3 processes and their answers merged.
    monkeypatch.setattr(fanout, "PER_PROCESS", per_process)
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
        processes = len(subscribers.processes)
    finally:
        await subscribers.stop()
    assert processes == -(-5 // per_process)
    assert report["complete"] == 5
    assert (report["received"], report["lost"], report["duplicated"]) == (15, 0, 0)
    assert len(report["latencies_ms"]) == 15


def test_merged_rounds_count_losses_against_what_any_process_heard() -> None:
    one = {"complete": 1, "latencies_ms": [1.0, 2.0], "lost": 0, "duplicated": 0,
           "received": 2, "cursors": ["a", "b"], "distinct": [2]}  # fmt: skip
    other = {"complete": 0, "latencies_ms": [3.0], "lost": 0, "duplicated": 1,
             "received": 2, "cursors": ["c"], "distinct": [1, 0]}  # fmt: skip
    merged = merge_rounds([one, other])
    assert merged["complete"] == 1
    assert sorted(merged["latencies_ms"]) == [1.0, 2.0, 3.0]
    assert merged["cursors"] == ["a", "b", "c"]
    # Each client missed what it did not hear of the 3 cursors heard anywhere.
    assert merged["lost"] == (3 - 2) + (3 - 1) + (3 - 0)
    assert (merged["received"], merged["duplicated"]) == (4, 1)
