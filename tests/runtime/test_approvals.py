"""Awaiting approval with the SDK against a real server: the decision arrives on the
approvalEvents subscription (approved, rejected, or expired by the server's clock), with its
reason, and the execution moves on (or stops) accordingly."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from starlette.applications import Starlette

from agentgraph.runtime import AgentClient, Execution, ExecutionClosed, PlanStep, connect
from gql.ids import from_global_id
from tests.runtime.conftest import Operator, http_url

PLAN = [
    PlanStep("analyze_table_fragmentation", {"table": "orders"}, "Check fragmentation"),
    PlanStep("rebuild_fragmented_indexes", {"table": "orders"}, "Rebuild", risk="high"),
    PlanStep("generate_maintenance_report", {"tables": ["orders"]}, "Report"),
]


async def _at_the_risky_step(agent: AgentClient) -> Execution:
    """An execution whose safe first step ran; its second step awaits approval."""
    run = await agent.executions.start("full maintenance", {"tables": ["orders"]})
    await run.submit_plan(PLAN)
    first = run.current_step()
    assert first is not None and first.index == 0 and first.status == "RUNNING"
    assert not first.requires_approval
    await run.step_succeeded(first, {"fragmentation_percent": 41.0})
    risky = run.current_step()
    assert risky is not None and risky.index == 1 and risky.awaiting_approval
    assert risky.requires_approval and risky.risk_level == "HIGH" and risky.approval_id
    return run


async def _waiting(agent: AgentClient, run: Execution) -> asyncio.Task[object]:
    """The agent awaiting the decision, past its own read of the approval: from here on only
    the subscription can bring the decision."""
    step = run.current_step()
    assert step is not None and step.approval_id is not None
    waiter = asyncio.create_task(run.await_approval(step))
    approval_id = step.approval_id
    await agent.approvals.changes.wait_until(lambda: approval_id in agent.approvals.waiting)
    assert not waiter.done()
    return waiter


async def test_an_approved_step_runs_and_the_execution_completes(
    operator: Operator, live_url: str
) -> None:
    spawned = await operator.spawn()
    async with connect(http_url(live_url), spawned["token"], heartbeat_interval=None) as agent:
        run = await _at_the_risky_step(agent)
        waiter = await _waiting(agent, run)
        risky = run.current_step()
        assert risky is not None and risky.approval_id is not None
        await operator.approve(risky.approval_id, "maintenance window is open")

        decision = await waiter
        assert decision.approved and decision.status == "APPROVED"
        assert decision.reason == "maintenance window is open" and decision.step_index == 1
        # The SDK refreshed the execution: the approved step runs now.
        step = run.current_step()
        assert step is not None and step.index == 1 and step.status == "RUNNING"
        await run.step_succeeded(step, {"indexes_rebuilt": 5})
        last = run.current_step()
        assert last is not None and last.index == 2
        await run.step_succeeded(last, {"steps": 3})
        assert run.current_step() is None
        await run.complete({"ok": True}, tokens_used=120, cost=0.25)
        assert run.status == "COMPLETED"
        assert [c.name for c in run.checkpoints] == [
            "plan_created", "step_0_completed", "step_1_completed", "step_2_completed",
        ]  # fmt: skip
        assert run.step_results() == {
            0: {"fragmentation_percent": 41.0}, 1: {"indexes_rebuilt": 5}, 2: {"steps": 3},
        }  # fmt: skip

    seen = await operator.agent(spawned["id"])
    assert seen["status"] == "IDLE" and seen["tasksCompleted"] == 1


async def test_a_rejected_step_returns_the_reason_and_ends_the_execution(
    operator: Operator, live_url: str
) -> None:
    spawned = await operator.spawn()
    async with connect(http_url(live_url), spawned["token"], heartbeat_interval=None) as agent:
        run = await _at_the_risky_step(agent)
        waiter = await _waiting(agent, run)
        risky = run.current_step()
        assert risky is not None and risky.approval_id is not None
        await operator.reject(risky.approval_id, "not during business hours")

        decision = await waiter
        assert not decision.approved and decision.status == "REJECTED"
        assert decision.reason == "not during business hours"
        assert run.status == "FAILED" and run.error == "rejected: not during business hours"
        with pytest.raises(ExecutionClosed) as closed:
            run.current_step()
        assert closed.value.status == "FAILED"
        assert [s.status for s in run.steps] == ["SUCCEEDED", "REJECTED", "SKIPPED"]
    assert (await operator.agent(spawned["id"]))["status"] == "IDLE"


async def test_an_approval_nobody_decides_expires_and_counts_as_rejected(
    operator: Operator, live_url: str, app: Starlette
) -> None:
    spawned = await operator.spawn()
    async with connect(http_url(live_url), spawned["token"], heartbeat_interval=None) as agent:
        run = await _at_the_risky_step(agent)
        waiter = await _waiting(agent, run)
        risky = run.current_step()
        assert risky is not None and risky.approval_id is not None
        # A day passes (as tests/gql/test_approval_expiry.py makes one pass): the request is
        # past its 24 h, by the database's clock. The server's sweeper notices on its own.
        async with app.state.services.database.transaction() as conn:
            await conn.execute(
                text(
                    "UPDATE approvals SET requested_at = now() - interval '25 hours', "
                    "expires_at = now() - interval '1 hour' WHERE id = :id"
                ),
                {"id": from_global_id(risky.approval_id, "Approval")},
            )

        decision = await waiter
        assert decision.status == "EXPIRED" and not decision.approved
        assert run.status == "FAILED" and run.error == "approval expired"
        assert [s.status for s in run.steps] == ["SUCCEEDED", "REJECTED", "SKIPPED"]


async def test_a_decision_made_before_the_agent_waits_is_not_missed(
    operator: Operator, live_url: str
) -> None:
    spawned = await operator.spawn()
    async with connect(http_url(live_url), spawned["token"], heartbeat_interval=None) as agent:
        run = await _at_the_risky_step(agent)
        risky = run.current_step()
        assert risky is not None and risky.approval_id is not None
        await operator.approve(risky.approval_id)
        decision = await run.await_approval(risky)
        assert decision.approved and decision.reason is None
