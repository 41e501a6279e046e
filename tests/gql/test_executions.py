"""Executions through the API (SPEC §4): plans, safety decisions, step results, approvals on the
way, completion, failure and resume, cancellation, checkpoints, bad input and permissions."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from gql.ids import to_global_id
from tests.gql.conftest import World
from tests.gql.execution_helpers import (
    APPROVALS,
    CANCEL,
    COMPLETE,
    FAIL,
    REPORT,
    RESUME,
    SAVE_CHECKPOINT,
    START,
    SUBMIT,
    Runtime,
    chain,
    event_types,
    statuses,
    step,
    waiting_execution,
)
from tests.support import factories
from tests.support.api import GraphQLClient

THREE_STEPS = [
    step("read_metrics", "SAFE", params={"window": "1h"}, rationale="look first"),
    step("resize_cluster", "HIGH", params={"nodes": 5}),
    step("notify", "LOW"),
]
NOBODY = uuid.UUID("00000000-0000-4000-8000-000000000000")
UNKNOWN_EXECUTION = to_global_id("Execution", NOBODY)


@pytest.fixture
async def owner(api: GraphQLClient, world: World) -> Runtime:
    return Runtime(api, world.owner["token"])


async def _agent(api: GraphQLClient, world: World, safety: str = "MODERATE") -> str:
    return str((await world.spawn(api, f"{safety.title()} Agent", safetyLevel=safety))["id"])


async def test_end_to_end_with_approval(api: GraphQLClient, world: World, owner: Runtime) -> None:
    agent_id = await _agent(api, world)
    started = await owner.start(agent_id, "scale the cluster", input={"target": 5})
    assert started["status"] == "PLANNING" and started["dryRun"] is False
    assert started["input"] == {"target": 5} and started["agent"]["status"] == "PLANNING"
    execution_id = started["id"]

    planned = await owner.submit(execution_id, THREE_STEPS)
    assert planned["status"] == "RUNNING" and planned["agent"]["status"] == "EXECUTING"
    assert statuses(planned) == ["RUNNING", "PENDING", "PENDING"]
    assert [s["riskLevel"] for s in planned["steps"]] == ["SAFE", "HIGH", "LOW"]
    assert [s["requiresApproval"] for s in planned["steps"]] == [False, True, False]
    assert planned["steps"][0]["params"] == {"window": "1h"}
    assert planned["steps"][0]["rationale"] == "look first"
    assert planned["steps"][1]["mitigations"][-1] == "Human approval required before this step runs"

    after_0 = await owner.report(execution_id, 0, result={"cpu": 0.93})
    assert after_0["status"] == "WAITING_APPROVAL"
    assert after_0["agent"]["status"] == "WAITING_APPROVAL"
    assert statuses(after_0) == ["SUCCEEDED", "AWAITING_APPROVAL", "PENDING"]
    assert after_0["steps"][0]["result"] == {"cpu": 0.93} and after_0["steps"][0]["attempts"] == 1
    approval = after_0["steps"][1]["approval"]
    assert approval["status"] == "PENDING" and approval["decidedBy"] is None

    pending = await api.ok(
        APPROVALS, {"projectId": world.project_id, "status": "PENDING"}, token=owner.token
    )
    nodes = [edge["node"] for edge in pending["approvals"]["edges"]]
    assert [n["id"] for n in nodes] == [approval["id"]]
    assert nodes[0]["step"] == {"index": 1, "status": "AWAITING_APPROVAL"}
    assert nodes[0]["execution"] == {"id": execution_id, "status": "WAITING_APPROVAL"}

    decided = await owner.approve(approval["id"], "looks fine")
    assert decided["status"] == "APPROVED" and decided["reason"] == "looks fine"
    assert decided["decidedBy"]["id"] == world.owner["user_id"]
    assert decided["decidedAt"] is not None
    assert decided["step"] == {"index": 1, "status": "RUNNING"}
    assert decided["execution"]["status"] == "RUNNING"
    assert decided["agent"]["status"] == "EXECUTING"

    after_1 = await owner.report(execution_id, 1, result={"nodes": 5})
    assert statuses(after_1) == ["SUCCEEDED", "SUCCEEDED", "RUNNING"]
    assert after_1["status"] == "RUNNING"
    after_2 = await owner.report(execution_id, 2)
    # The runtime reports the final result itself: no auto-completion.
    assert after_2["status"] == "RUNNING" and after_2["agent"]["status"] == "EXECUTING"

    done = await owner.complete(execution_id, result={"ok": True}, tokens=1200, cost=0.35)
    assert done["status"] == "COMPLETED" and done["completedAt"] is not None
    assert done["result"] == {"ok": True}
    assert done["tokensUsed"] == 1200 and done["cost"] == 0.35
    assert done["agent"]["status"] == "IDLE"
    assert done["agent"]["tasksCompleted"] == 1
    assert done["agent"]["tokensUsed"] == 1200 and done["agent"]["costIncurred"] == 0.35
    assert [c["name"] for c in done["checkpoints"]] == [
        "plan_created", "step_0_completed", "step_1_completed", "step_2_completed",
    ]  # fmt: skip
    assert done["checkpoints"][1]["data"] == {"result": {"cpu": 0.93}}
    assert event_types(done) == [
        "execution_started",
        "plan_submitted", "checkpoint_saved", "step_started",
        "step_completed", "checkpoint_saved", "approval_requested",
        "approval_decided", "step_started",
        "step_completed", "checkpoint_saved", "step_started",
        "step_completed", "checkpoint_saved",
        "execution_completed",
    ]  # fmt: skip
    assert done["steps"][1]["approval"]["status"] == "APPROVED"

    agent = await owner.agent(agent_id)
    assert chain(agent) == [
        "IDLE",
        "PLANNING",
        "EXECUTING",
        "WAITING_APPROVAL",
        "EXECUTING",
        "IDLE",
    ]
    assert agent["approvals"]["totalCount"] == 1


async def test_end_to_end_with_rejection(api: GraphQLClient, world: World, owner: Runtime) -> None:
    agent_id = await _agent(api, world)
    execution_id = (await owner.start(agent_id))["id"]
    await owner.submit(execution_id, THREE_STEPS)
    after_0 = await owner.report(execution_id, 0)
    approval_id = after_0["steps"][1]["approval"]["id"]

    decided = await owner.reject(approval_id, "too risky on a Friday")
    assert decided["status"] == "REJECTED" and decided["reason"] == "too risky on a Friday"
    assert decided["agent"]["status"] == "IDLE"

    execution = await owner.execution(execution_id)
    assert execution["status"] == "FAILED"
    assert execution["error"] == "rejected: too risky on a Friday"
    assert execution["recoveryStrategy"] == "MANUAL_INTERVENTION"
    assert statuses(execution) == ["SUCCEEDED", "REJECTED", "SKIPPED"]
    assert event_types(execution)[-2:] == ["approval_decided", "execution_failed"]
    agent = await owner.agent(agent_id)
    assert chain(agent) == ["IDLE", "PLANNING", "EXECUTING", "WAITING_APPROVAL", "IDLE"]
    assert agent["tasksCompleted"] == 0


async def test_safety_decisions_through_the_api(
    api: GraphQLClient, world: World, owner: Runtime
) -> None:
    strict = await _agent(api, world, "STRICT")
    execution = await owner.start(strict, dryRun=True)
    assert execution["dryRun"] is True
    plan = [
        step("update_rows", "MEDIUM"),
        step("drop_table", "LOW", params={"table": "users"}),
        step("select_rows", "SAFE", params={"database": "production"}),
        step("select_rows", "SAFE", params={"database": "staging"}),
    ]
    dry = await owner.submit(execution["id"], plan)
    decisions = [(s["riskLevel"], s["requiresApproval"], s["safe"]) for s in dry["steps"]]
    assert decisions == [
        ("MEDIUM", True, True),
        ("CRITICAL", True, False),
        ("SAFE", True, True),
        ("SAFE", False, True),
    ]
    assert "DESTRUCTIVE OPERATION - Cannot be undone" in dry["steps"][1]["risks"]
    assert "Operating on production database" in dry["steps"][2]["risks"]
    # A dry run records the decisions and finishes: nothing runs, nobody is asked.
    assert dry["status"] == "COMPLETED" and dry["completedAt"] is not None
    assert statuses(dry) == ["SKIPPED"] * 4
    assert all(s["approval"] is None and s["startedAt"] is None for s in dry["steps"])
    assert dry["result"] == {"dryRun": True, "steps": 4, "stepsRequiringApproval": [0, 1, 2]}
    assert dry["agent"]["status"] == "IDLE" and dry["agent"]["tasksCompleted"] == 0
    assert event_types(dry) == [
        "execution_started", "plan_submitted", "checkpoint_saved", "execution_completed",
    ]  # fmt: skip
    assert chain(await owner.agent(strict)) == ["IDLE", "PLANNING", "IDLE"]
    none_pending = await api.ok(APPROVALS, {"projectId": world.project_id}, token=owner.token)
    assert none_pending["approvals"]["totalCount"] == 0

    # The same medium step on a STRICT agent for real: it waits for approval.
    live = await owner.start(strict)
    waiting = await owner.submit(live["id"], [step("update_rows", "MEDIUM")])
    assert waiting["status"] == "WAITING_APPROVAL"
    assert waiting["agent"]["status"] == "WAITING_APPROVAL"
    assert waiting["steps"][0]["approval"]["status"] == "PENDING"

    # On a MODERATE agent it just runs.
    moderate = await _agent(api, world)
    runs = await owner.submit((await owner.start(moderate))["id"], [step("update_rows", "MEDIUM")])
    assert runs["status"] == "RUNNING" and statuses(runs) == ["RUNNING"]


async def test_failure_then_resume_from_the_step_after_the_latest_checkpoint(
    api: GraphQLClient, world: World, owner: Runtime
) -> None:
    agent_id = await _agent(api, world)
    execution_id = (await owner.start(agent_id))["id"]
    plan = [step("extract"), step("transform"), step("load"), step("report")]
    await owner.submit(execution_id, plan)
    await owner.report(execution_id, 0)
    await owner.report(execution_id, 1)
    failed_step = await owner.report(
        execution_id, 2, succeeded=False, error="connection reset by peer"
    )
    assert failed_step["status"] == "RUNNING"  # the runtime may still retry
    assert failed_step["steps"][2]["status"] == "FAILED"
    assert failed_step["steps"][2]["error"] == "connection reset by peer"

    failed = await owner.fail(execution_id, "connection reset by peer")
    assert failed["status"] == "FAILED" and failed["error"] == "connection reset by peer"
    assert failed["recoveryStrategy"] == "RETRY_WITH_BACKOFF"
    assert failed["agent"]["status"] == "IDLE"
    assert statuses(failed) == ["SUCCEEDED", "SUCCEEDED", "FAILED", "PENDING"]

    resumed = await owner.ok(RESUME, "resumeExecution", id=execution_id)
    assert resumed["status"] == "RUNNING"
    assert resumed["error"] is None and resumed["recoveryStrategy"] is None
    assert resumed["completedAt"] is None
    assert statuses(resumed) == ["SUCCEEDED", "SUCCEEDED", "RUNNING", "PENDING"]
    assert resumed["steps"][2]["attempts"] == 1 and resumed["steps"][2]["error"] is None
    assert resumed["agent"]["status"] == "EXECUTING"

    await owner.report(execution_id, 2)
    await owner.report(execution_id, 3)
    done = await owner.complete(execution_id, tokens=10)
    assert done["status"] == "COMPLETED" and done["steps"][2]["attempts"] == 2
    assert chain(await owner.agent(agent_id)) == [
        "IDLE", "PLANNING", "EXECUTING", "IDLE", "PLANNING", "EXECUTING", "IDLE",
    ]  # fmt: skip
    assert event_types(done).count("execution_started") == 2


async def test_resume_asks_again_for_a_rejected_step(
    api: GraphQLClient, world: World, owner: Runtime
) -> None:
    agent_id = await _agent(api, world)
    planned, approval_id = await waiting_execution(owner, agent_id)
    await owner.reject(approval_id, "not now")
    resumed = await owner.ok(RESUME, "resumeExecution", id=planned["id"])
    assert resumed["status"] == "WAITING_APPROVAL"
    assert resumed["agent"]["status"] == "WAITING_APPROVAL"
    second = resumed["steps"][0]["approval"]
    assert second["status"] == "PENDING" and second["id"] != approval_id
    assert chain(await owner.agent(agent_id))[-3:] == ["IDLE", "PLANNING", "WAITING_APPROVAL"]


async def test_a_failed_step_may_be_retried(
    api: GraphQLClient, world: World, owner: Runtime
) -> None:
    agent_id = await _agent(api, world)
    execution_id = (await owner.start(agent_id))["id"]
    await owner.submit(execution_id, [step("fetch"), step("store")])
    await owner.report(execution_id, 0, succeeded=False, error="timeout")
    retried = await owner.report(execution_id, 0, result={"rows": 3})
    assert retried["steps"][0]["attempts"] == 2 and retried["steps"][0]["error"] is None
    assert statuses(retried) == ["SUCCEEDED", "RUNNING"]
    assert "step_failed" in event_types(retried)


async def test_cancel_while_waiting_for_approval(
    api: GraphQLClient, world: World, owner: Runtime
) -> None:
    agent_id = await _agent(api, world)
    planned, approval_id = await waiting_execution(
        owner, agent_id, [step("deploy", "CRITICAL"), step("verify")]
    )
    cancelled = await owner.ok(CANCEL, "cancelExecution", id=planned["id"], reason="wrong branch")
    assert cancelled["status"] == "CANCELLED" and cancelled["completedAt"] is not None
    assert statuses(cancelled) == ["SKIPPED", "SKIPPED"]
    assert cancelled["steps"][0]["approval"]["status"] == "CANCELLED"
    assert cancelled["agent"]["status"] == "IDLE"
    assert event_types(cancelled)[-2:] == ["approval_decided", "execution_cancelled"]
    assert chain(await owner.agent(agent_id)) == ["IDLE", "PLANNING", "WAITING_APPROVAL", "IDLE"]

    late = await owner.call(CANCEL, id=planned["id"])
    assert late.code == "CONFLICT" and "CANCELLED" in late.errors[0]["message"]
    decided_late = await owner.call(
        "mutation($id: ID!) { approve(id: $id) { id } }", id=approval_id
    )
    assert decided_late.code == "CONFLICT"


async def test_cancel_while_running_and_while_planning(
    api: GraphQLClient, world: World, owner: Runtime
) -> None:
    agent_id = await _agent(api, world)
    running = (await owner.start(agent_id))["id"]
    await owner.submit(running, [step("a"), step("b")])
    cancelled = await owner.ok(CANCEL, "cancelExecution", id=running)
    assert statuses(cancelled) == ["FAILED", "SKIPPED"]
    assert cancelled["steps"][0]["error"] == "execution cancelled"
    assert cancelled["agent"]["status"] == "IDLE"

    planning = (await owner.start(agent_id))["id"]
    cancelled = await owner.ok(CANCEL, "cancelExecution", id=planning)
    assert cancelled["status"] == "CANCELLED" and cancelled["agent"]["status"] == "IDLE"
    assert chain(await owner.agent(agent_id)) == [
        "IDLE", "PLANNING", "EXECUTING", "IDLE", "PLANNING", "IDLE",
    ]  # fmt: skip


async def test_terminating_an_agent_cancels_its_open_execution(
    api: GraphQLClient, world: World, owner: Runtime
) -> None:
    agent_id = await _agent(api, world)
    planned, _approval_id = await waiting_execution(owner, agent_id)
    terminated = await api.ok(
        "mutation($input: AgentTransitionInput!) {"
        " terminateAgent(input: $input) { agent { status } } }",
        {"input": {"id": agent_id, "reason": "decommissioned"}},
        token=owner.token,
    )
    assert terminated["terminateAgent"]["agent"]["status"] == "TERMINATED"
    execution = await owner.execution(planned["id"])
    assert execution["status"] == "CANCELLED"
    assert execution["steps"][0]["approval"]["status"] == "CANCELLED"
    assert statuses(execution) == ["SKIPPED"]


async def test_an_approval_decided_while_the_agent_is_paused_resumes_into_executing(
    api: GraphQLClient, world: World, owner: Runtime
) -> None:
    agent_id = await _agent(api, world)
    _planned, approval_id = await waiting_execution(owner, agent_id, [step("x", "HIGH"), step("y")])
    move = "agent { status }"
    await api.ok(
        f"mutation($input: AgentTransitionInput!) {{ pauseAgent(input: $input) {{ {move} }} }}",
        {"input": {"id": agent_id}},
        token=owner.token,
    )
    decided = await owner.approve(approval_id)
    assert decided["agent"]["status"] == "PAUSED"
    resumed = await api.ok(
        f"mutation($input: AgentTransitionInput!) {{ resumeAgent(input: $input) {{ {move} }} }}",
        {"input": {"id": agent_id}},
        token=owner.token,
    )
    assert resumed["resumeAgent"]["agent"]["status"] == "EXECUTING"
    assert chain(await owner.agent(agent_id))[-3:] == ["WAITING_APPROVAL", "PAUSED", "EXECUTING"]


async def test_an_agent_in_error_cannot_go_on_but_its_execution_can_be_closed(
    api: GraphQLClient, world: World, owner: Runtime
) -> None:
    agent_id = await _agent(api, world)
    execution_id = (await owner.start(agent_id))["id"]
    await owner.submit(execution_id, [step("a"), step("b")])
    await api.ok(
        "mutation($input: ReportAgentErrorInput!) {"
        " reportAgentError(input: $input) { agent { status } } }",
        {"input": {"agentId": agent_id, "error": {"message": "OOM killed"}}},
        token=owner.token,
    )
    report = await owner.call(
        REPORT, input={"executionId": execution_id, "index": 0, "succeeded": True}
    )
    assert report.code == "INVALID_TRANSITION"
    assert report.errors[0]["extensions"]["currentStatus"] == "ERROR"
    # Bookkeeping that does not move the agent still works.
    assert not (await owner.call(SAVE_CHECKPOINT, id=execution_id, name="kept", data={})).errors

    await api.ok(
        "mutation($input: AgentTransitionInput!) { recoverAgent(input: $input) { agent { id } } }",
        {"input": {"id": agent_id}},
        token=owner.token,
    )
    # Recovered to IDLE with the old execution still open: close it before starting another.
    blocked = await owner.call(START, input={"agentId": agent_id, "description": "next"})
    assert blocked.code == "CONFLICT"
    failed = await owner.fail(execution_id, "agent crashed: out of memory")
    assert failed["status"] == "FAILED" and failed["recoveryStrategy"] == "WAIT_AND_RETRY"
    assert failed["agent"]["status"] == "IDLE"
    assert statuses(failed) == ["FAILED", "PENDING"]
    assert (await owner.start(agent_id, "next"))["status"] == "PLANNING"


async def test_save_checkpoint(api: GraphQLClient, world: World, owner: Runtime) -> None:
    agent_id = await _agent(api, world)
    execution_id = (await owner.start(agent_id))["id"]
    saved = await owner.ok(
        SAVE_CHECKPOINT, "saveCheckpoint", id=execution_id, name="context", data={"k": [1, 2]}
    )
    assert saved["name"] == "context" and saved["data"] == {"k": [1, 2]}
    await owner.submit(execution_id, [step("a")])
    again = await owner.ok(SAVE_CHECKPOINT, "saveCheckpoint", id=execution_id, name="x", data={})
    execution = await owner.execution(execution_id)
    assert [c["name"] for c in execution["checkpoints"]] == ["context", "plan_created", "x"]
    assert execution["checkpoints"][2]["id"] == again["id"]
    assert event_types(execution).count("checkpoint_saved") == 3

    bad = await owner.call(SAVE_CHECKPOINT, id=execution_id, name="x", data=[1])
    assert bad.code == "VALIDATION_ERROR" and bad.errors[0]["extensions"]["field"] == "data"
    blank = await owner.call(SAVE_CHECKPOINT, id=execution_id, name="  ", data={})
    assert blank.code == "VALIDATION_ERROR" and blank.errors[0]["extensions"]["field"] == "name"
    await owner.ok(CANCEL, "cancelExecution", id=execution_id)
    closed = await owner.call(SAVE_CHECKPOINT, id=execution_id, name="late", data={})
    assert closed.code == "CONFLICT"
    assert len((await owner.execution(execution_id))["checkpoints"]) == 3


async def test_wrong_state_calls(api: GraphQLClient, world: World, owner: Runtime) -> None:
    agent_id = await _agent(api, world)
    execution_id = (await owner.start(agent_id))["id"]

    busy = await owner.call(START, input={"agentId": agent_id, "description": "again"})
    assert busy.code == "INVALID_TRANSITION" and "PLANNING" in busy.errors[0]["message"]
    early = await owner.call(COMPLETE, id=execution_id)
    assert early.code == "CONFLICT" and "PLANNING" in early.errors[0]["message"]
    not_running = await owner.call(
        REPORT, input={"executionId": execution_id, "index": 0, "succeeded": True}
    )
    assert not_running.code == "CONFLICT"
    not_failed = await owner.call(RESUME, id=execution_id)
    assert not_failed.code == "CONFLICT" and "PLANNING" in not_failed.errors[0]["message"]

    await owner.submit(execution_id, [step("a"), step("b")])
    twice = await owner.call(SUBMIT, id=execution_id, steps=[step("c")])
    assert twice.code == "CONFLICT" and "RUNNING" in twice.errors[0]["message"]
    pending = await owner.call(
        REPORT, input={"executionId": execution_id, "index": 1, "succeeded": True}
    )
    assert pending.code == "CONFLICT" and "PENDING" in pending.errors[0]["message"]
    beyond = await owner.call(
        REPORT, input={"executionId": execution_id, "index": 7, "succeeded": True}
    )
    assert beyond.code == "CONFLICT"
    unfinished = await owner.call(COMPLETE, id=execution_id, tokens=5)
    assert unfinished.code == "CONFLICT"
    assert unfinished.errors[0]["extensions"]["index"] == 0
    assert "Step 0 is RUNNING" in unfinished.errors[0]["message"]

    # Nothing above was written.
    execution = await owner.execution(execution_id)
    assert statuses(execution) == ["RUNNING", "PENDING"]
    assert [s["attempts"] for s in execution["steps"]] == [0, 0]
    assert execution["tokensUsed"] == 0
    agent = await owner.agent(agent_id)
    assert agent["executions"]["totalCount"] == 1 and agent["tasksCompleted"] == 0
    assert chain(agent) == ["IDLE", "PLANNING", "EXECUTING"]


async def test_bad_input_is_a_named_validation_error_and_writes_nothing(
    api: GraphQLClient, world: World, owner: Runtime
) -> None:
    agent_id = await _agent(api, world)
    agent_before = await owner.agent(agent_id)

    async def field_of(document: str, **variables: Any) -> str:
        result = await owner.call(document, **variables)
        assert result.code == "VALIDATION_ERROR", result
        return str(result.errors[0]["extensions"].get("field"))

    start = {"agentId": agent_id, "description": "task"}
    assert await field_of(START, input={**start, "agentId": "nope"}) == "input.agentId"
    assert await field_of(START, input={**start, "agentId": world.project_id}) == "input.agentId"
    assert await field_of(START, input={**start, "description": " "}) == "input.description"
    assert await field_of(START, input={**start, "input": [1, 2]}) == "input.input"
    assert await field_of(START, input={**start, "input": "text"}) == "input.input"
    assert (await owner.agent(agent_id))["revision"] == agent_before["revision"]
    assert (await owner.agent(agent_id))["executions"]["totalCount"] == 0

    execution_id = (await owner.start(agent_id))["id"]
    assert await field_of(SUBMIT, id=execution_id, steps=[]) == "steps"
    too_many = [step(f"tool_{i}") for i in range(101)]
    assert await field_of(SUBMIT, id=execution_id, steps=too_many) == "steps"
    assert await field_of(SUBMIT, id=execution_id, steps=[step("")]) == "steps[0].tool"
    bad_params = [step("a"), step("b", params=[1])]
    assert await field_of(SUBMIT, id=execution_id, steps=bad_params) == "steps[1].params"
    assert await field_of(SUBMIT, id="bad", steps=[step("a")]) == "executionId"
    assert await field_of(SUBMIT, id=agent_id, steps=[step("a")]) == "executionId"
    execution = await owner.execution(execution_id)
    assert execution["status"] == "PLANNING" and execution["steps"] == []

    await owner.submit(execution_id, [step("a")])
    report = {"executionId": execution_id, "index": 0, "succeeded": True}
    assert await field_of(REPORT, input={**report, "index": -1}) == "input.index"
    assert await field_of(REPORT, input={**report, "executionId": "x"}) == "input.executionId"
    await owner.report(execution_id, 0)
    assert await field_of(COMPLETE, id=execution_id, tokens=-1) == "tokensUsed"
    assert await field_of(COMPLETE, id=execution_id, tokens=1.5) == "tokensUsed"
    assert await field_of(COMPLETE, id=execution_id, cost=-0.01) == "cost"
    assert await field_of(COMPLETE, id=execution_id, cost=1e12) == "cost"
    # JSON cannot carry NaN; a body that does anyway is not JSON, and is refused whole.
    nan_result = await owner.call_raw(COMPLETE, id=execution_id, result={"x": float("nan")})
    assert nan_result.code == "VALIDATION_ERROR"
    assert nan_result.errors[0]["extensions"]["field"] == "body"
    assert await field_of(FAIL, id=execution_id, error="  ") == "error"

    execution = await owner.execution(execution_id)
    assert execution["status"] == "RUNNING" and execution["tokensUsed"] == 0
    agent = await owner.agent(agent_id)
    assert agent["tokensUsed"] == 0 and agent["costIncurred"] == 0 and agent["tasksCompleted"] == 0

    unknown = await owner.call(FAIL, id=UNKNOWN_EXECUTION, error="x")
    assert unknown.code == "NOT_FOUND"
    unknown_resume = await owner.call(RESUME, id=UNKNOWN_EXECUTION)
    assert unknown_resume.code == "NOT_FOUND"
    unknown_agent = await owner.call(
        START, input={**start, "agentId": to_global_id("Agent", NOBODY)}
    )
    assert unknown_agent.code == "NOT_FOUND"


async def test_values_graphql_cannot_coerce_are_validation_errors(
    api: GraphQLClient, world: World, owner: Runtime
) -> None:
    execution_id = (await owner.start(await _agent(api, world)))["id"]
    unknown_level = await owner.call(SUBMIT, id=execution_id, steps=[step("a", "EXTREME")])
    assert unknown_level.code == "VALIDATION_ERROR"
    assert (await owner.execution(execution_id))["steps"] == []
    # NaN and Infinity are not JSON; a body carrying them anyway fails Float coercion.
    nan_cost = await owner.call_raw(COMPLETE, id=execution_id, cost=float("nan"))
    assert nan_cost.code == "VALIDATION_ERROR"
    infinite = await owner.call_raw(COMPLETE, id=execution_id, tokens=float("inf"))
    assert infinite.code == "VALIDATION_ERROR"


async def test_another_user_sees_nothing(
    api: GraphQLClient, world: World, owner: Runtime, stranger: dict[str, Any]
) -> None:
    agent_id = await _agent(api, world)
    planned, _approval_id = await waiting_execution(owner, agent_id, [step("x", "HIGH")])
    execution_id = planned["id"]
    other = Runtime(api, stranger["token"])
    calls: list[tuple[str, dict[str, Any]]] = [
        (START, {"input": {"agentId": agent_id, "description": "mine now"}}),
        (SUBMIT, {"id": execution_id, "steps": [step("a")]}),
        (REPORT, {"input": {"executionId": execution_id, "index": 0, "succeeded": True}}),
        (COMPLETE, {"id": execution_id}),
        (FAIL, {"id": execution_id, "error": "x"}),
        (CANCEL, {"id": execution_id}),
        (RESUME, {"id": execution_id}),
        (SAVE_CHECKPOINT, {"id": execution_id, "name": "n", "data": {}}),
    ]
    for document, variables in calls:
        result = await other.call(document, **variables)
        assert result.code == "NOT_FOUND", (document, result)
    assert (await owner.execution(execution_id))["status"] == "WAITING_APPROVAL"


async def test_an_agent_token_runs_its_own_executions_only(
    api: GraphQLClient, world: World, owner: Runtime
) -> None:
    agent_id = await _agent(api, world)
    other_agent = await world.spawn(api, "Other")
    token = (await factories.agent_token(api, owner.token, agent_id))["token"]
    runtime = Runtime(api, token)

    execution_id = (await runtime.start(agent_id))["id"]
    await runtime.submit(execution_id, [step("a"), step("b", "HIGH")])
    waiting = await runtime.report(execution_id, 0)
    approval_id = waiting["steps"][1]["approval"]["id"]
    # Agents never decide their own approvals.
    refused = await runtime.call("mutation($id: ID!) { approve(id: $id) { id } }", id=approval_id)
    assert refused.code == "FORBIDDEN"
    refused = await runtime.call(
        'mutation($id: ID!) { reject(id: $id, reason: "no") { id } }', id=approval_id
    )
    assert refused.code == "FORBIDDEN"
    await owner.approve(approval_id)
    await runtime.report(execution_id, 1)
    done = await runtime.complete(execution_id, tokens=3)
    assert done["status"] == "COMPLETED"

    foreign = await runtime.call(START, input={"agentId": other_agent["id"], "description": "x"})
    assert foreign.code == "NOT_FOUND"
    owners_execution = (await owner.start(other_agent["id"]))["id"]
    assert (await runtime.call(CANCEL, id=owners_execution)).code == "NOT_FOUND"
