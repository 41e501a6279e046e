"""The SDK rides out a restart of the server it talks to (`agentgraph serve`, stopped and
started again on the same port): heartbeats back off while it is away and resume, metric
points recorded meanwhile are kept (up to the buffer's bound, counting the rest as dropped)
and sent when it is back, and an approval decided while it was down still reaches the agent."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from agentgraph.runtime import AgentClient, PlanStep
from tests.conftest import TEST_SECRET
from tests.runtime.conftest import Operator, http_url
from tests.support.servers import free_port, serve_process
from tests.support.ws import TRANSPORT_WS, WSClient

BEATS = "subscription($agent: ID!) { agentHeartbeat(agentId: $agent) { kind health } }"
METRICS = """
query($id: ID!) {
  agent(id: $id) { metrics(name: "queue_depth", first: 100) { edges { node { value } } } }
}
"""


async def _a_beat_arrives(ws_url: str, operator: Operator, agent_id: str) -> None:
    """An operator watching this server sees the agent's heartbeat."""
    watcher = await WSClient.open(ws_url, TRANSPORT_WS, token=operator.token)
    try:
        await watcher.subscribe(BEATS, {"agent": agent_id})
        event = await watcher.next_event("agentHeartbeat", timeout=30)
        assert event["kind"] == "HEARTBEAT" and event["health"] == "HEALTHY"
    finally:
        await watcher.close()


@pytest.mark.slow
async def test_heartbeats_and_buffered_metrics_survive_a_server_restart(
    operator: Operator, database_url: str, tmp_path: Path
) -> None:
    spawned = await operator.spawn()
    port = free_port()
    options = {
        "heartbeat_interval": 0.2, "metrics_batch_size": 4, "metrics_capacity": 6,
        "metrics_flush_interval": 0.2, "patience": 0,
    }  # fmt: skip
    async with serve_process(database_url, TEST_SECRET, tmp_path, port=port) as ws_url:
        agent = await AgentClient.open(http_url(ws_url), spawned["token"], **options)
        await _a_beat_arrives(ws_url, operator, spawned["id"])
        for value in (1, 2):
            agent.record_metric("queue_depth", value)
        await agent.metrics.drained()
        assert agent.metrics.stats.sent == 2

    # The server is gone. The agent keeps working: beats fail and back off, points queue up.
    try:
        stats = agent.heartbeat.stats
        await agent.heartbeat.changes.wait_until(lambda: stats.consecutive_failures >= 4)
        # Backing off: the wait after the 4th failure in a row is far above the interval.
        assert stats.next_delay > 4 * agent.heartbeat.interval
        assert agent.heartbeat.running and agent.fatal is None
        for value in range(10, 19):
            agent.record_metric("queue_depth", value)
        metrics = agent.metrics.stats
        assert (metrics.pending, metrics.dropped) == (6, 3)  # bounded: the oldest 3 went
        await agent.metrics.changes.wait_until(lambda: metrics.failed_flushes >= 1)

        async with serve_process(database_url, TEST_SECRET, tmp_path, port=port) as ws_url:
            await _a_beat_arrives(ws_url, operator, spawned["id"])
            await agent.metrics.drained()
            assert (metrics.sent, metrics.pending, metrics.dropped) == (8, 0, 3)
            assert agent.heartbeat.stats.consecutive_failures == 0
            data = await operator.call(METRICS, id=spawned["id"])
            values = sorted(e["node"]["value"] for e in data["agent"]["metrics"]["edges"])
            assert values == [1, 2, 13, 14, 15, 16, 17, 18]
    finally:
        await agent.close()


@pytest.mark.slow
async def test_an_approval_decided_while_the_server_is_down_reaches_the_agent(
    operator: Operator, database_url: str, tmp_path: Path
) -> None:
    spawned = await operator.spawn()
    port = free_port()
    async with serve_process(database_url, TEST_SECRET, tmp_path, port=port) as ws_url:
        agent = await AgentClient.open(http_url(ws_url), spawned["token"], heartbeat_interval=None)
        run = await agent.executions.start("emergency maintenance")
        await run.submit_plan([PlanStep("repair_corrupted_tables", {}, risk="high")])
        step = run.current_step()
        assert step is not None and step.approval_id is not None
        approval_id = step.approval_id
        waiter = asyncio.create_task(run.await_approval(step))
        await agent.approvals.changes.wait_until(lambda: approval_id in agent.approvals.waiting)
        connections = agent.subscriptions.connections
    try:
        # Decided (through another server: the in-process one) while the agent's is down.
        await agent.subscriptions.changes.wait_until(lambda: not agent.subscriptions.connected)
        await operator.approve(approval_id, "approved during the outage")
        assert not waiter.done()
        async with serve_process(database_url, TEST_SECRET, tmp_path, port=port):
            decision = await waiter
            assert decision.approved and decision.reason == "approved during the outage"
            assert agent.subscriptions.connections == connections + 1
            assert run.current_step() == run.steps[0] and run.steps[0].status == "RUNNING"
    finally:
        await agent.close()
