"""Operator control reaching a running agent: a pause stops it between steps (the running step
finishes and is reported), the agent reports back that it stopped, and goes on after the
resume; a terminate stops it, even in the middle of waiting for an approval."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from agentgraph.runtime import ExecutionClosed, PlanStep, Terminated, connect
from tests.runtime.conftest import Operator, http_url
from tests.support.ws import TRANSPORT_WS, WSClient

STATE = """
subscription($agent: ID!) {
  agentStateChanged(agentId: $agent, after: "0") { kind toStatus agent { status state { workflowData } } }
}
"""


async def _report_back(client: WSClient, runtime: str) -> dict[str, Any]:
    """The operator's view: the next state update in which the agent reports ``runtime``."""
    while True:
        event = await client.next_event("agentStateChanged", timeout=30)
        data = event["agent"]["state"]["workflowData"]
        if event["kind"] == "STATE_UPDATED" and data.get("runtime") == runtime:
            return dict(data)


async def test_a_pause_stops_the_agent_between_steps_until_it_is_resumed(
    operator: Operator, live_url: str
) -> None:
    spawned = await operator.spawn()
    watcher = await WSClient.open(live_url, TRANSPORT_WS, token=operator.token)
    try:
        await watcher.subscribe(STATE, {"agent": spawned["id"]})
        async with connect(http_url(live_url), spawned["token"], heartbeat_interval=None) as agent:
            run = await agent.executions.start("standard maintenance")
            await run.submit_plan([PlanStep(f"step_{i}", {"n": i}) for i in range(3)])
            first = run.current_step()
            assert first is not None and first.index == 0

            # The operator pauses while step 0 is running: it finishes and is reported.
            assert await operator.move("pauseAgent", spawned["id"], "disk is filling up") == (
                "PAUSED"
            )
            await agent.control.changes.wait_until(lambda: agent.control.paused)
            assert agent.control.last_change is not None
            assert agent.control.last_change.reason == "disk is filling up"
            await run.step_succeeded(first, {"done": 0})

            # Before step 1 the agent stops, and says so.
            gate = asyncio.create_task(
                agent.control.between_steps({"execution": run.id, "nextStep": 1})
            )
            reported = await _report_back(watcher, "paused")
            assert reported == {"runtime": "paused", "execution": run.id, "nextStep": 1}
            assert not gate.done()
            step = run.current_step()
            assert step is not None and step.index == 1 and step.attempts == 0

            assert await operator.move("resumeAgent", spawned["id"]) == "EXECUTING"
            await gate
            assert (await _report_back(watcher, "running"))["nextStep"] == 1
            await run.step_succeeded(step, {"done": 1})
            assert agent.control.status == "EXECUTING"
    finally:
        await watcher.close()


async def test_terminating_the_agent_interrupts_its_wait_for_approval(
    operator: Operator, live_url: str
) -> None:
    spawned = await operator.spawn()
    async with connect(http_url(live_url), spawned["token"], heartbeat_interval=None) as agent:
        run = await agent.executions.start("emergency maintenance")
        await run.submit_plan([PlanStep("repair_corrupted_tables", {"tables": ["audit_log"]},
                                        risk="high")])  # fmt: skip
        step = run.current_step()
        assert step is not None and step.awaiting_approval and step.approval_id is not None
        waiter = asyncio.create_task(run.await_approval(step))
        approval_id = step.approval_id
        await agent.approvals.changes.wait_until(lambda: approval_id in agent.approvals.waiting)

        await operator.move("terminateAgent", spawned["id"], "replaced by a new agent")
        with pytest.raises(Terminated) as stopped:
            await waiter
        # Told by the move on its subscription, or by the server refusing its token because the
        # agent is TERMINATED, whichever reaches it first; a terminated agent's token writes
        # nothing any more, so it does not report back.
        message = stopped.value.message
        assert "replaced by a new agent" in message or "agent is TERMINATED" in message, message
        # Every later step is refused the same way.
        with pytest.raises(Terminated):
            await agent.control.between_steps()
    execution = await operator.execution(run.id)
    assert execution["status"] == "CANCELLED"
    assert (await operator.agent(spawned["id"]))["status"] == "TERMINATED"


async def test_a_step_reported_after_a_terminate_raises_terminated(
    operator: Operator, live_url: str
) -> None:
    spawned = await operator.spawn()
    async with connect(http_url(live_url), spawned["token"], heartbeat_interval=None) as agent:
        run = await agent.executions.start("quick maintenance")
        await run.submit_plan([PlanStep("update_table_statistics", {"table": "users"})])
        step = run.current_step()
        assert step is not None
        # The operator terminates while the step runs; the agent finds out when it reports.
        await operator.move("terminateAgent", spawned["id"])
        with pytest.raises(Terminated):
            await run.step_succeeded(step, {"statistics_updated": True})


async def test_a_pause_is_obeyed_at_the_next_step_even_before_its_event_arrives(
    operator: Operator, live_url: str
) -> None:
    """The subscription wakes a paused agent, but its events may trail what is committed: the
    step that starts right after the pause committed must not run."""
    spawned = await operator.spawn()
    async with connect(http_url(live_url), spawned["token"], heartbeat_interval=None) as agent:
        run = await agent.executions.start("quick maintenance")
        await run.submit_plan([PlanStep("update_table_statistics", {"table": "users"})])
        await operator.move("pauseAgent", spawned["id"])
        gate = asyncio.create_task(agent.control.between_steps())
        await agent.control.changes.wait_until(lambda: agent.control.paused)
        assert not gate.done()
        await operator.move("resumeAgent", spawned["id"])
        await gate


async def test_an_execution_cancelled_by_an_operator_is_reported_as_closed(
    operator: Operator, live_url: str
) -> None:
    spawned = await operator.spawn()
    async with connect(http_url(live_url), spawned["token"], heartbeat_interval=None) as agent:
        run = await agent.executions.start("standard maintenance")
        await run.submit_plan([PlanStep("analyze_table_fragmentation", {"table": "users"})])
        step = run.current_step()
        assert step is not None
        await operator.call(CANCEL, id=run.id, reason="wrong database")
        with pytest.raises(ExecutionClosed) as closed:
            await run.step_succeeded(step, {"fragmentation_percent": 12.5})
        assert closed.value.status == "CANCELLED" and not agent.control.terminated


CANCEL = "mutation($id: ID!, $reason: String) { cancelExecution(executionId: $id, reason: $reason) { id } }"
