"""Documents and a small driver for the execution and approval tests (sent as a client would)."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from typing import Any

from tests.support.api import GraphQLClient, Result

STEP_FIELDS = """
index tool params rationale riskLevel requiresApproval safe risks mitigations status
result error attempts startedAt completedAt approval { id status reason decidedBy { id } }
"""
EXECUTION_FIELDS = f"""
id status dryRun description input startedAt completedAt result error recoveryStrategy
tokensUsed cost
steps {{ {STEP_FIELDS} }}
checkpoints {{ id name data }}
events(first: 100) {{ totalCount edges {{ node {{ eventType data at }} }} }}
agent {{ id status tasksCompleted tokensUsed costIncurred revision }}
"""

START = f"""
mutation($input: StartExecutionInput!) {{ startExecution(input: $input) {{ {EXECUTION_FIELDS} }} }}
"""
SUBMIT = f"""
mutation($id: ID!, $steps: [StepInput!]!) {{
  submitPlan(executionId: $id, steps: $steps) {{ {EXECUTION_FIELDS} }}
}}
"""
REPORT = f"""
mutation($input: StepResultInput!) {{ reportStepResult(input: $input) {{ {EXECUTION_FIELDS} }} }}
"""
COMPLETE = f"""
mutation($id: ID!, $result: JSON, $tokens: Float, $cost: Float) {{
  completeExecution(executionId: $id, result: $result, tokensUsed: $tokens, cost: $cost) {{
    {EXECUTION_FIELDS}
  }}
}}
"""
FAIL = f"""
mutation($id: ID!, $error: String!) {{
  failExecution(executionId: $id, error: $error) {{ {EXECUTION_FIELDS} }}
}}
"""
CANCEL = f"""
mutation($id: ID!, $reason: String) {{
  cancelExecution(executionId: $id, reason: $reason) {{ {EXECUTION_FIELDS} }}
}}
"""
RESUME = f"""
mutation($id: ID!) {{ resumeExecution(executionId: $id) {{ {EXECUTION_FIELDS} }} }}
"""
SAVE_CHECKPOINT = """
mutation($id: ID!, $name: String!, $data: JSON!) {
  saveCheckpoint(executionId: $id, name: $name, data: $data) { id name data createdAt }
}
"""
APPROVAL_FIELDS = """
id status reason requestedAt expiresAt decidedAt decidedBy { id }
step { index status } execution { id status } agent { id status }
"""
APPROVE = f"""
mutation($id: ID!, $reason: String) {{ approve(id: $id, reason: $reason) {{ {APPROVAL_FIELDS} }} }}
"""
REJECT = f"""
mutation($id: ID!, $reason: String!) {{ reject(id: $id, reason: $reason) {{ {APPROVAL_FIELDS} }} }}
"""
EXECUTION = f"""
query($id: ID!) {{ execution(id: $id) {{ {EXECUTION_FIELDS} }} }}
"""
APPROVALS = f"""
query($projectId: ID, $status: ApprovalStatus) {{
  approvals(projectId: $projectId, status: $status) {{
    totalCount edges {{ node {{ {APPROVAL_FIELDS} }} }}
  }}
}}
"""
AGENT = """
query($id: ID!) {
  agent(id: $id) {
    id status revision tasksCompleted tokensUsed costIncurred
    statusHistory(first: 100) { edges { node { fromStatus toStatus reason } } }
    executions { totalCount edges { node { id status } } }
    approvals { totalCount edges { node { id status } } }
  }
}
"""


def step(tool: str, risk: str = "SAFE", **extra: Any) -> dict[str, Any]:
    return {"tool": tool, "riskLevel": risk, **extra}


def event_types(execution: dict[str, Any]) -> list[str]:
    return [edge["node"]["eventType"] for edge in execution["events"]["edges"]]


def statuses(execution: dict[str, Any]) -> list[str]:
    return [s["status"] for s in execution["steps"]]


def chain(agent: dict[str, Any]) -> list[str]:
    """The agent's status history as a list of statuses, oldest first (starting at IDLE)."""
    moves = [edge["node"] for edge in reversed(agent["statusHistory"]["edges"])]
    for before, after in itertools.pairwise(moves):
        assert after["fromStatus"] == before["toStatus"], moves
    return [moves[0]["toStatus"], *(move["toStatus"] for move in moves[1:])]


@dataclass
class Runtime:
    """Calls the execution mutations with one token (a user's or an agent token)."""

    api: GraphQLClient
    token: str

    async def call(self, document: str, **variables: Any) -> Result:
        return await self.api.execute(document, variables, token=self.token)

    async def call_raw(self, document: str, **variables: Any) -> Result:
        """Like ``call``, but the body is Python's JSON, which writes NaN and Infinity as-is
        (httpx refuses to): what a careless client could send."""
        body = json.dumps({"query": document, "variables": variables})
        response = await self.api.http.post(
            "/graphql",
            content=body,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        payload = response.json()
        return Result(response.status_code, payload.get("data"), payload.get("errors") or [])

    async def ok(self, document: str, field: str, **variables: Any) -> dict[str, Any]:
        data = await self.api.ok(document, variables, token=self.token)
        return dict(data[field])

    async def start(self, agent_id: str, description: str = "task", **extra: Any) -> dict[str, Any]:
        variables = {"agentId": agent_id, "description": description, **extra}
        return await self.ok(START, "startExecution", input=variables)

    async def submit(self, execution_id: str, steps: list[dict[str, Any]]) -> dict[str, Any]:
        return await self.ok(SUBMIT, "submitPlan", id=execution_id, steps=steps)

    async def report(
        self, execution_id: str, index: int, succeeded: bool = True, **extra: Any
    ) -> dict[str, Any]:
        variables = {"executionId": execution_id, "index": index, "succeeded": succeeded, **extra}
        return await self.ok(REPORT, "reportStepResult", input=variables)

    async def complete(self, execution_id: str, **extra: Any) -> dict[str, Any]:
        return await self.ok(COMPLETE, "completeExecution", id=execution_id, **extra)

    async def fail(self, execution_id: str, error: str) -> dict[str, Any]:
        return await self.ok(FAIL, "failExecution", id=execution_id, error=error)

    async def execution(self, execution_id: str) -> dict[str, Any]:
        return await self.ok(EXECUTION, "execution", id=execution_id)

    async def agent(self, agent_id: str) -> dict[str, Any]:
        return await self.ok(AGENT, "agent", id=agent_id)

    async def approve(self, approval_id: str, reason: str | None = None) -> dict[str, Any]:
        return await self.ok(APPROVE, "approve", id=approval_id, reason=reason)

    async def reject(self, approval_id: str, reason: str) -> dict[str, Any]:
        return await self.ok(REJECT, "reject", id=approval_id, reason=reason)


async def waiting_execution(
    runtime: Runtime, agent_id: str, steps: list[dict[str, Any]] | None = None
) -> tuple[dict[str, Any], str]:
    """An execution waiting for approval of its first step, and that approval's id."""
    started = await runtime.start(agent_id)
    planned = await runtime.submit(started["id"], steps or [step("deploy", "HIGH")])
    assert planned["status"] == "WAITING_APPROVAL", planned
    approval = planned["steps"][0]["approval"]
    return planned, str(approval["id"])
