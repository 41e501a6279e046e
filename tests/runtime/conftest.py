"""The runtime SDK against a real server: the session's uvicorn (``live_url``) or a separate
`agentgraph serve` process, with an agent and its token made through the API, and an operator
who acts through the API as a person at the dashboard would."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from starlette.applications import Starlette

from tests.support import factories
from tests.support.api import GraphQLClient


@dataclass
class Operator:
    """The project owner, acting through the API."""

    api: GraphQLClient
    token: str
    project_id: str
    type_id: str

    async def spawn(self, name: str = "Maintenance", **extra: Any) -> dict[str, Any]:
        """A new agent and a token for it: {id, token, token_id}."""
        variables = {"projectId": self.project_id, "agentTypeId": self.type_id, "name": name}
        data = await self.api.ok(SPAWN, {"input": {**variables, **extra}}, token=self.token)
        agent_id = data["spawnAgent"]["id"]
        secret = await factories.agent_token(self.api, self.token, agent_id)
        return {"id": agent_id, "token": secret["token"], "token_id": secret["id"]}

    async def call(self, document: str, **variables: Any) -> dict[str, Any]:
        return await self.api.ok(document, variables, token=self.token)

    async def approve(self, approval_id: str, reason: str | None = None) -> dict[str, Any]:
        return (await self.call(APPROVE, id=approval_id, reason=reason))["approve"]

    async def reject(self, approval_id: str, reason: str) -> dict[str, Any]:
        return (await self.call(REJECT, id=approval_id, reason=reason))["reject"]

    async def move(self, verb: str, agent_id: str, reason: str | None = None) -> str:
        """pauseAgent, resumeAgent or terminateAgent; returns the new status."""
        data = await self.call(MOVE.format(verb=verb), id=agent_id, reason=reason)
        return str(data[verb]["agent"]["status"])

    async def revoke(self, token_id: str) -> None:
        await self.call(REVOKE, id=token_id)

    async def agent(self, agent_id: str) -> dict[str, Any]:
        return dict((await self.call(AGENT, id=agent_id))["agent"])

    async def execution(self, execution_id: str) -> dict[str, Any]:
        return dict((await self.call(EXECUTION, id=execution_id))["execution"])


SPAWN = "mutation($input: SpawnAgentInput!) { spawnAgent(input: $input) { id } }"
APPROVE = "mutation($id: ID!, $reason: String) { approve(id: $id, reason: $reason) { id status } }"
REJECT = "mutation($id: ID!, $reason: String!) { reject(id: $id, reason: $reason) { id status } }"
MOVE = (
    "mutation($id: ID!, $reason: String) {{ {verb}(input: {{id: $id, reason: $reason}}) "
    "{{ agent {{ status }} }} }}"
)
REVOKE = "mutation($id: ID!) { revokeAgentToken(id: $id) { id } }"
AGENT = """
query($id: ID!) {
  agent(id: $id) {
    id status lastHeartbeatAt tasksCompleted
    state { workflowData }
    executions { totalCount edges { node { id status } } }
    metricSummary(name: "rows_scanned") { count sum }
  }
}
"""
EXECUTION = """
query($id: ID!) {
  execution(id: $id) {
    id status error result
    steps { index tool status attempts riskLevel requiresApproval approval { id status reason } }
    checkpoints { name data }
  }
}
"""


@pytest.fixture
async def operator(api: GraphQLClient, app: Starlette) -> Operator:
    admin = await factories.superuser(api, app)
    owner = await factories.register(api)
    type_id = await factories.create_agent_type(api, admin["token"], name="Maintenance")
    project_id = await factories.create_project(api, owner["token"])
    return Operator(api, owner["token"], project_id, type_id)


def http_url(ws_url: str) -> str:
    return ws_url.replace("ws://", "http://", 1)
