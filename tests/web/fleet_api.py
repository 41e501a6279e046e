"""What the browser tests do to the fleet through the API, as an operator's script or an agent
runtime would (the page must show it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.support.api import GraphQLClient
from tests.web.conftest import Demo

MOVE = "mutation($input: AgentTransitionInput!) {{ {verb}(input: $input) {{ agent {{ status revision }} }} }}"
HEARTBEAT = """
mutation($input: HeartbeatInput!) { heartbeat(input: $input) { lastHeartbeatAt health } }
"""
AGENT = "query($id: ID!) { agent(id: $id) { status revision } }"
CURSORS = """
query($id: ID!) { agent(id: $id) { statusHistory(first: 50) { edges { node { cursor fromStatus toStatus } } } } }
"""
START = """
mutation($input: StartExecutionInput!) { startExecution(input: $input) { id } }
"""
SUBMIT = """
mutation($id: ID!, $steps: [StepInput!]!) {
  submitPlan(executionId: $id, steps: $steps) {
    id status steps { index approval { id status step { risks mitigations } } }
  }
}
"""
DECIDE = "mutation($id: ID!, $reason: String!) {{ {verb}(id: $id, reason: $reason) {{ status }} }}"
APPROVAL = "query($id: ID!) { node(id: $id) { ... on Approval { status reason } } }"
EXECUTION = (
    "query($id: ID!) { execution(id: $id) { status error steps { status } agent { status } } }"
)
REPORT = """
mutation($input: StepResultInput!) { reportStepResult(input: $input) { status } }
"""
SET_CONFIG = """
mutation($input: SetAgentConfigInput!) { setAgentConfig(input: $input) { key masked } }
"""
REGISTER_CAPABILITY = """
mutation($input: RegisterCapabilityInput!) { registerCapability(input: $input) { name version } }
"""
RECORD_METRICS = """
mutation($agent: ID!, $metrics: [MetricInput!]!) { recordMetrics(agentId: $agent, metrics: $metrics) { accepted } }
"""


async def move(
    api: GraphQLClient, demo: Demo, verb: str, agent: str, **input: Any
) -> dict[str, Any]:
    """A lifecycle move (pauseAgent, resumeAgent, …) of the named demo agent."""
    data = await api.ok(
        MOVE.format(verb=verb), {"input": {"id": demo.agents[agent], **input}}, token=demo.token
    )
    return dict(data[verb]["agent"])


async def heartbeat(
    api: GraphQLClient,
    demo: Demo,
    agent: str,
    resource_usage: dict[str, Any] | None = None,
    at: str | None = None,
) -> None:
    variables = {
        "input": {"agentId": demo.agents[agent], "resourceUsage": resource_usage, "at": at}
    }
    await api.ok(HEARTBEAT, variables, token=demo.token)


async def agent(api: GraphQLClient, demo: Demo, name: str) -> dict[str, Any]:
    return dict((await api.ok(AGENT, {"id": demo.agents[name]}, token=demo.token))["agent"])


async def status_cursors(api: GraphQLClient, demo: Demo, name: str) -> list[dict[str, Any]]:
    """The agent's transitions, newest first: [{cursor, fromStatus, toStatus}]."""
    data = await api.ok(CURSORS, {"id": demo.agents[name]}, token=demo.token)
    return [edge["node"] for edge in data["agent"]["statusHistory"]["edges"]]


async def request_approval(
    api: GraphQLClient, demo: Demo, name: str, tool: str = "restart_database"
) -> dict[str, Any]:
    """Starts an execution on an IDLE agent whose first step needs approval (HIGH risk on a
    production database). Returns {execution, approval, risks, mitigations}."""
    started = await api.ok(
        START,
        {"input": {"agentId": demo.agents[name], "description": f"Maintenance by {name}"}},
        token=demo.token,
    )
    execution = started["startExecution"]["id"]
    steps = [
        {
            "tool": tool,
            "riskLevel": "HIGH",
            "params": {"database": "orders_prod"},
            "rationale": "Apply the new connection limits",
        },
        {"tool": "verify_health", "riskLevel": "SAFE", "params": {}},
    ]
    data = await api.ok(SUBMIT, {"id": execution, "steps": steps}, token=demo.token)
    approval = data["submitPlan"]["steps"][0]["approval"]
    assert approval and approval["status"] == "PENDING", data
    return {
        "execution": execution,
        "approval": approval["id"],
        "risks": approval["step"]["risks"],
        "mitigations": approval["step"]["mitigations"],
    }


async def decide(
    api: GraphQLClient, token: str, approval: str, verb: str, reason: str
) -> dict[str, Any]:
    data = await api.ok(DECIDE.format(verb=verb), {"id": approval, "reason": reason}, token=token)
    return dict(data[verb])


async def approval_status(api: GraphQLClient, demo: Demo, approval: str) -> str:
    return str((await api.ok(APPROVAL, {"id": approval}, token=demo.token))["node"]["status"])


async def execution(api: GraphQLClient, demo: Demo, execution_id: str) -> dict[str, Any]:
    return dict((await api.ok(EXECUTION, {"id": execution_id}, token=demo.token))["execution"])


async def report_step(api: GraphQLClient, demo: Demo, execution_id: str, index: int) -> None:
    variables = {"input": {"executionId": execution_id, "index": index, "succeeded": True}}
    await api.ok(REPORT, variables, token=demo.token)


async def set_config(api: GraphQLClient, demo: Demo, agent_name: str, **config: Any) -> None:
    variables = {"input": {"agentId": demo.agents[agent_name], **config}}
    await api.ok(SET_CONFIG, variables, token=demo.token)


async def register_capability(
    api: GraphQLClient, demo: Demo, agent_name: str, **capability: Any
) -> None:
    variables = {"input": {"agentId": demo.agents[agent_name], **capability}}
    await api.ok(REGISTER_CAPABILITY, variables, token=demo.token)


async def record_series(
    api: GraphQLClient, demo: Demo, name: str, metric: str, values: list[float], every: timedelta
) -> None:
    """Points of one metric ending now, ``every`` apart (oldest first)."""
    now = datetime.now(UTC)
    points = [
        {
            "name": metric,
            "value": value,
            "unit": "jobs",
            "recordedAt": (now - every * (len(values) - 1 - i)).isoformat(),
        }
        for i, value in enumerate(values)
    ]
    await api.ok(RECORD_METRICS, {"agent": demo.agents[name], "metrics": points}, token=demo.token)
