"""A token that stops working stops the agent with a clear ``Unauthenticated``, whichever part
of the SDK notices first: a call over HTTP (UNAUTHENTICATED), or the subscription socket
refused with close code 4403 when it reconnects. Nothing retries a refused token."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from agentgraph.runtime import AgentClient, PlanStep, Unauthenticated, connect
from tests.conftest import TEST_SECRET
from tests.runtime.conftest import Operator, http_url
from tests.support.servers import free_port, serve_process


async def test_a_revoked_token_stops_a_waiting_agent_with_a_clear_error(
    operator: Operator, live_url: str
) -> None:
    spawned = await operator.spawn()
    async with connect(http_url(live_url), spawned["token"], heartbeat_interval=0.2) as agent:
        run = await agent.executions.start("emergency maintenance")
        await run.submit_plan([PlanStep("repair_corrupted_tables", {}, risk="high")])
        step = run.current_step()
        assert step is not None and step.approval_id is not None
        approval_id = step.approval_id
        waiter = asyncio.create_task(run.await_approval(step))
        await agent.approvals.changes.wait_until(lambda: approval_id in agent.approvals.waiting)

        await operator.revoke(spawned["token_id"])
        # The next heartbeat is refused: the wait ends with the reason, nothing retries.
        with pytest.raises(Unauthenticated) as refused:
            await waiter
        assert refused.value.message == "Invalid or revoked agent token."
        assert agent.fatal is refused.value
        # Whichever noticed first (the socket closed 4403, or a heartbeat refused), all stop.
        assert await agent.stopped() is refused.value
        assert not agent.heartbeat.running
        with pytest.raises(Unauthenticated):
            await agent.control.between_steps()
        with pytest.raises(Unauthenticated):
            agent.record_metric("queue_depth", 1)
        with pytest.raises(Unauthenticated):  # raised at once, without asking the server again
            await run.refresh()


async def test_a_token_that_was_never_valid_is_refused_at_connect(
    operator: Operator, live_url: str
) -> None:
    spawned = await operator.spawn()
    # Looking up the agent goes through the subscription socket: refused with 4403.
    with pytest.raises(Unauthenticated) as by_socket:
        await AgentClient.open(http_url(live_url), "aga_not-a-token")
    assert by_socket.value.extensions.get("closeCode") == 4403
    # With the agent's id, the first read over HTTP is refused.
    with pytest.raises(Unauthenticated) as by_http:
        await AgentClient.open(http_url(live_url), "aga_not-a-token", agent_id=spawned["id"])
    assert by_http.value.message == "Invalid or revoked agent token."


@pytest.mark.slow
async def test_a_socket_closed_with_4403_stops_the_agent(
    operator: Operator, database_url: str, tmp_path: Path
) -> None:
    """No heartbeats and no calls: only the subscription socket can notice. After a restart of
    the server it reconnects, and the revoked token is refused with 4403."""
    spawned = await operator.spawn()
    port = free_port()
    async with serve_process(database_url, TEST_SECRET, tmp_path, port=port) as ws_url:
        agent = await AgentClient.open(http_url(ws_url), spawned["token"], heartbeat_interval=None)
    try:
        await operator.revoke(spawned["token_id"])
        async with serve_process(database_url, TEST_SECRET, tmp_path, port=port):
            stopped = await agent.control.until_stopped()
        assert isinstance(stopped, Unauthenticated) and stopped.extensions.get("closeCode") == 4403
        assert agent.fatal is stopped and agent.subscriptions.fatal is stopped
        with pytest.raises(Unauthenticated):
            await agent.control.between_steps()
    finally:
        await agent.close()
