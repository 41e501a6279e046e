"""The maintenance agent example (examples/maintenance_agent.py) run as a user runs it, in a
process of its own, against a real server; the operator decides through the API."""

from __future__ import annotations

import json
import re

from tests.runtime.agent_process import AgentProcess
from tests.runtime.conftest import Operator, http_url

# --type full --tables orders: orders is a large table, so its index rebuild (step 2) and its
# optimization (step 3) are declared high and wait for approval.
ORDERS = ("--type", "full", "--tables", "orders")
STEPS = [
    "analyze_database_health",
    "analyze_table_fragmentation",
    "rebuild_fragmented_indexes",
    "optimize_table",
    "update_table_statistics",
    "generate_maintenance_report",
]


RUNNING = re.compile(r"^step (\d+) (\S+) \[\w+\] running$")


def _ran(agent: AgentProcess) -> list[int]:
    """The steps this process ran, in order."""
    return [int(m.group(1)) for line in agent.lines if (m := RUNNING.match(line))]


def _tools_ran(agent: AgentProcess) -> list[str]:
    return [m.group(2) for line in agent.lines if (m := RUNNING.match(line))]


async def test_a_run_completes_with_the_risky_steps_approved_through_the_api(
    operator: Operator, live_url: str
) -> None:
    spawned = await operator.spawn()
    agent = await AgentProcess.start(http_url(live_url), spawned["token"], *ORDERS)
    await agent.line(r"^agent Maintenance \(.+\) connected to ")
    execution_id = (await agent.line(r"^execution (\S+): full maintenance of warehouse")).group(1)
    for expected in (2, 3):
        index, approval_id = await agent.waiting_for_approval()
        assert index == expected
        await operator.approve(approval_id, f"step {index} is fine")
        await agent.line(rf"^step {index} approved: step {index} is fine$")
    assert await agent.exit_code() == 0, agent.output

    assert _ran(agent) == list(range(6))
    assert _tools_ran(agent) == STEPS
    assert agent.lines[-1].startswith(f"execution {execution_id} completed: ")
    report = json.loads(agent.lines[-1].split("completed: ", 1)[1])
    assert report["indexes_rebuilt"] == 5 and report["tables_optimized"] == 1
    execution = await operator.execution(execution_id)
    assert execution["status"] == "COMPLETED" and execution["result"] == report
    assert [s["status"] for s in execution["steps"]] == ["SUCCEEDED"] * 6
    assert [s["requiresApproval"] for s in execution["steps"]] == [
        False,
        False,
        True,
        True,
        False,
        False,
    ]
    seen = await operator.agent(spawned["id"])
    assert seen["status"] == "IDLE" and seen["tasksCompleted"] == 1
    assert seen["lastHeartbeatAt"] is not None
    # One rows_scanned point per step, sent from the agent's buffer before it exited.
    assert seen["metricSummary"]["count"] == 6


async def test_a_rejected_step_ends_the_run_with_status_3(
    operator: Operator, live_url: str
) -> None:
    spawned = await operator.spawn()
    agent = await AgentProcess.start(http_url(live_url), spawned["token"], *ORDERS)
    _, approval_id = await agent.waiting_for_approval()
    await operator.reject(approval_id, "orders is being migrated")
    assert await agent.exit_code() == 3, agent.output
    assert "step 2 rejected: orders is being migrated" in agent.lines
    assert _ran(agent) == [0, 1]


async def test_an_operator_terminating_the_agent_ends_the_run_with_status_4(
    operator: Operator, live_url: str
) -> None:
    spawned = await operator.spawn()
    agent = await AgentProcess.start(http_url(live_url), spawned["token"], *ORDERS)
    await agent.waiting_for_approval()
    await operator.move("terminateAgent", spawned["id"], "decommissioned")
    assert await agent.exit_code() == 4, agent.output
    last = agent.lines[-1]
    assert last.startswith("stopped: "), agent.output
    # The move itself, or the server's refusal of a terminated agent's token, whichever came first.
    assert last.endswith(": decommissioned.") or "agent is TERMINATED" in last, agent.output


async def test_a_paused_agent_waits_between_steps_and_goes_on_when_resumed(
    operator: Operator, live_url: str
) -> None:
    spawned = await operator.spawn()
    agent = await AgentProcess.start(http_url(live_url), spawned["token"], *ORDERS)
    _, approval_id = await agent.waiting_for_approval()
    await operator.move("pauseAgent", spawned["id"], "backup running")
    await operator.approve(approval_id)
    await agent.line(r"^paused by an operator; waiting to be resumed$")
    assert (await operator.agent(spawned["id"]))["status"] == "PAUSED"
    assert _ran(agent) == [0, 1]  # step 2 was approved, but does not start while paused
    await operator.move("resumeAgent", spawned["id"])
    _, second = await agent.waiting_for_approval()
    await operator.approve(second)
    assert await agent.exit_code() == 0, agent.output
    assert _ran(agent) == list(range(6))


async def test_a_killed_agent_run_again_resumes_its_execution_from_the_checkpoint(
    operator: Operator, live_url: str
) -> None:
    spawned = await operator.spawn()
    url, token = http_url(live_url), spawned["token"]

    first = await AgentProcess.start(url, token, *ORDERS)
    execution_id = (await first.line(r"^execution (\S+): ")).group(1)
    _, approval_id = await first.waiting_for_approval()
    await first.kill()
    assert _ran(first) == [0, 1]
    # Decided while no agent runs; the next run finds the step approved.
    await operator.approve(approval_id)

    second = await AgentProcess.start(url, token, *ORDERS)
    resumed = await second.line(r"^resuming execution (\S+) \(.*\) after checkpoint (\S+)$")
    assert resumed.groups() == (execution_id, "step_1_completed")
    index, waiting_on = await second.waiting_for_approval()
    assert index == 3
    await second.kill()
    assert _ran(second) == [2]

    # Killed again while waiting: the third run waits on the same request, and gets it.
    third = await AgentProcess.start(url, token, *ORDERS)
    resumed = await third.line(r"^resuming execution (\S+) \(.*\) after checkpoint (\S+)$")
    assert resumed.groups() == (execution_id, "step_2_completed")
    assert await third.waiting_for_approval() == (3, waiting_on)
    await operator.approve(waiting_on)
    assert await third.exit_code() == 0, third.output
    assert _ran(third) == [3, 4, 5]

    execution = await operator.execution(execution_id)
    assert execution["status"] == "COMPLETED"
    assert [s["attempts"] for s in execution["steps"]] == [1] * 6  # nothing ran twice
    # The report aggregates every step, the ones run by the killed processes included (read
    # back from their checkpoints).
    assert execution["result"]["steps_reported"] == 5
    assert execution["result"]["indexes_rebuilt"] == 5
    assert (await operator.agent(spawned["id"]))["executions"]["totalCount"] == 1


async def test_an_emergency_repair_resumed_after_a_kill_uses_the_checkpointed_findings(
    operator: Operator, live_url: str
) -> None:
    spawned = await operator.spawn()
    url, token = http_url(live_url), spawned["token"]
    args = ("--type", "emergency", "--tables", "users,audit_log")
    first = await AgentProcess.start(url, token, *args)
    _, approval_id = await first.waiting_for_approval()
    await first.kill()
    await operator.approve(approval_id)

    second = await AgentProcess.start(url, token, *args)
    # The repair's tables come from step 1's output (${step_1.output.corrupted_tables}),
    # found by the killed process and read back from its checkpoint.
    done = await second.line(r"^step 2 done: (.*)$")
    assert json.loads(done.group(1)) == {"backup_created": True, "repaired_tables": ["audit_log"]}
    assert await second.exit_code() == 0, second.output


async def test_a_revoked_token_ends_the_run_with_status_5(
    operator: Operator, live_url: str
) -> None:
    spawned = await operator.spawn()
    agent = await AgentProcess.start(http_url(live_url), spawned["token"], *ORDERS)
    await agent.waiting_for_approval()
    await operator.revoke(spawned["token_id"])
    assert await agent.exit_code() == 5, agent.output
    assert agent.lines[-1] == (
        "stopped: the agent token is not valid (revoked?): Invalid or revoked agent token."
    )


async def test_a_step_killed_while_it_runs_runs_again_and_nothing_else_does(
    operator: Operator, live_url: str
) -> None:
    spawned = await operator.spawn()
    url, token = http_url(live_url), spawned["token"]
    args = ("--type", "quick", "--tables", "users")
    # Each tool takes long enough that the kill lands inside step 0.
    first = await AgentProcess.start(url, token, *args, "--work-seconds", "600")
    execution_id = (await first.line(r"^execution (\S+): ")).group(1)
    await first.line(r"^step 0 \S+ \[\w+\] running$")
    await first.kill()

    second = await AgentProcess.start(url, token, *args)
    resumed = await second.line(r"^resuming execution (\S+) \(.*\) from its first step$")
    assert resumed.group(1) == execution_id
    assert await second.exit_code() == 0, second.output
    assert _ran(second) == [0, 1, 2]  # the interrupted step 0 never reported: it runs again
    execution = await operator.execution(execution_id)
    assert execution["status"] == "COMPLETED"
    assert [s["attempts"] for s in execution["steps"]] == [1, 1, 1]
