"""One shared scenario for the authorization matrix (tests/gql/test_access_matrix.py).

The cast: a superuser, the owner of a project, another signed-in user who owns nothing here,
agent A and agent B in the owner's project, each with its own agent token. A has one of every
kind of object below it (a config, a capability, a metric point, a status transition, an
execution waiting for approval of its step, that approval, a checkpoint), so reads of A's
objects have something to find.

Mutations whose success changes what they act on get a fresh target per cell (a new agent in the
needed status, a new execution at the needed stage), so every cell is tried on an object in the
state where the call would succeed for someone allowed to make it: a refusal is the rule at work,
not an INVALID_TRANSITION left behind by the previous cell. Everything is made through the API
by the owner, as a client would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.gql.conftest import World
from tests.gql.execution_helpers import SAVE_CHECKPOINT, START, SUBMIT, Runtime, step
from tests.support import factories
from tests.support.api import GraphQLClient
from tests.support.factories import DEFAULT_PASSWORD, unique

ANONYMOUS = "anonymous"
OTHER_USER = "other_user"
OWNER = "owner"
SUPERUSER = "superuser"
OWN_AGENT = "own_agent_token"
OTHER_AGENT = "other_agent_token"
ACTORS = (ANONYMOUS, OTHER_USER, OWNER, SUPERUSER, OWN_AGENT, OTHER_AGENT)

TRANSITION = """
mutation($input: AgentTransitionInput!) { %s(input: $input) { agent { id status } } }
"""
REPORT_ERROR = """
mutation($input: ReportAgentErrorInput!) { reportAgentError(input: $input) { agent { id } } }
"""
SET_CONFIG = """
mutation($input: SetAgentConfigInput!) { setAgentConfig(input: $input) { id } }
"""
REGISTER_CAPABILITY = """
mutation($input: RegisterCapabilityInput!) { registerCapability(input: $input) { id } }
"""
SLUGS = """
query($type: ID!, $project: ID!) { agentType(id: $type) { slug } project(id: $project) { slug } }
"""
RECORD_METRIC = """
mutation($agentId: ID!) {
  recordMetrics(agentId: $agentId, metrics: [{name: "latency_ms", value: 1}]) { accepted }
}
"""
BELOW_A = """
query($id: ID!) {
  agent(id: $id) {
    metrics(first: 1) { edges { node { id } } }
    statusHistory(first: 1) { edges { node { id } } }
  }
}
"""
FAIL = 'mutation($id: ID!) { failExecution(executionId: $id, error: "boom") { status } }'
REPORT = """
mutation($input: StepResultInput!) { reportStepResult(input: $input) { status } }
"""


@dataclass
class Target:
    """What one cell acts on: the request's variables, and the agent whose token is "own"."""

    variables: dict[str, Any]
    agent_id: str


@dataclass
class Scenario:
    api: GraphQLClient
    world: World
    stranger: dict[str, Any]
    agent_a: str
    agent_b: str
    token_b: str
    type_slug: str
    project_slug: str
    execution_a: str
    capability_a: str
    approval_a: str
    config_a: str
    checkpoint_a: str
    metric_a: str
    transition_a: str
    _agent_tokens: dict[str, str] = field(default_factory=dict)

    @classmethod
    async def build(cls, api: GraphQLClient, world: World, stranger: dict[str, Any]) -> Scenario:
        owner = world.owner["token"]
        agent_a = await factories.spawn_agent(api, owner, world.project_id, world.type_id, "A")
        agent_b = await factories.spawn_agent(api, owner, world.project_id, world.type_id, "B")
        token_a = (await factories.agent_token(api, owner, agent_a, "A's runtime"))["token"]
        token_b = (await factories.agent_token(api, owner, agent_b, "B's runtime"))["token"]
        slugs = await api.ok(
            SLUGS, {"type": world.type_id, "project": world.project_id}, token=owner
        )
        runtime = Runtime(api, owner)
        execution_a = (await runtime.start(agent_a, "A's task"))["id"]
        planned = await runtime.submit(execution_a, [step("deploy", "HIGH")])
        assert planned["status"] == "WAITING_APPROVAL", planned
        capability = await api.ok(
            REGISTER_CAPABILITY,
            {"input": {"agentId": agent_a, "name": "search", "version": "1.0.0"}},
            token=owner,
        )
        config = await api.ok(
            SET_CONFIG, {"input": {"agentId": agent_a, "key": "region", "value": "eu"}}, token=owner
        )
        checkpoint = await runtime.ok(
            SAVE_CHECKPOINT, "saveCheckpoint", id=execution_a, name="setup", data={}
        )
        await api.ok(RECORD_METRIC, {"agentId": agent_a}, token=owner)
        below = (await api.ok(BELOW_A, {"id": agent_a}, token=owner))["agent"]
        scenario = cls(
            api=api, world=world, stranger=stranger, agent_a=agent_a, agent_b=agent_b,
            token_b=token_b, type_slug=slugs["agentType"]["slug"],
            project_slug=slugs["project"]["slug"], execution_a=execution_a,
            capability_a=capability["registerCapability"]["id"],
            approval_a=planned["steps"][0]["approval"]["id"],
            config_a=config["setAgentConfig"]["id"],
            checkpoint_a=checkpoint["id"],
            metric_a=below["metrics"]["edges"][0]["node"]["id"],
            transition_a=below["statusHistory"]["edges"][0]["node"]["id"],
        )  # fmt: skip
        scenario._agent_tokens[agent_a] = token_a
        return scenario

    # --- who is asking ---------------------------------------------------------------------

    async def token(self, actor: str, target: Target) -> str | None:
        """The bearer token ``actor`` sends (None: no Authorization header at all)."""
        if actor == ANONYMOUS:
            return None
        if actor == OTHER_USER:
            return str(self.stranger["token"])
        if actor == OWNER:
            return str(self.world.owner["token"])
        if actor == SUPERUSER:
            return str(self.world.admin["token"])
        if actor == OWN_AGENT:
            return await self.agent_token(target.agent_id)
        if actor == OTHER_AGENT:
            return self.token_b
        raise AssertionError(f"unknown actor {actor!r}")

    async def agent_token(self, agent_id: str) -> str:
        """A token of the agent (one per agent, made by the owner on first use)."""
        if agent_id not in self._agent_tokens:
            made = await factories.agent_token(self.api, self.world.owner["token"], agent_id)
            self._agent_tokens[agent_id] = made["token"]
        return self._agent_tokens[agent_id]

    # --- targets ---------------------------------------------------------------------------

    def on_a(self, **variables: Any) -> Target:
        """A target of agent A (its project, execution, capability …): read-only or idempotent."""
        return Target(variables, self.agent_a)

    async def _owner_ok(self, document: str, variables: dict[str, Any]) -> dict[str, Any]:
        return await self.api.ok(document, variables, token=self.world.owner["token"])

    async def fresh_agent(self, status: str = "IDLE") -> str:
        """A new agent of the owner's project, brought to ``status`` (IDLE, PAUSED or ERROR)."""
        agent_id = await factories.spawn_agent(
            self.api, self.world.owner["token"], self.world.project_id, self.world.type_id,
            unique("matrix"),
        )  # fmt: skip
        if status == "PAUSED":
            await self._owner_ok(TRANSITION % "pauseAgent", {"input": {"id": agent_id}})
        elif status == "ERROR":
            await self._owner_ok(
                REPORT_ERROR, {"input": {"agentId": agent_id, "error": {"message": "setup"}}}
            )
        else:
            assert status == "IDLE", status
        return agent_id

    async def fresh_execution(self, stage: str) -> Target:
        """A new execution of a new agent, at ``stage``:

        PLANNING: started, no plan yet.  RUNNING: one SAFE step, running.  DONE: that step
        succeeded (ready to complete).  FAILED: failed, agent IDLE again (resumable).
        WAITING_APPROVAL: one HIGH step waiting; the target's ``approvalId`` is its request.
        """
        agent_id = await self.fresh_agent()
        started = await self._owner_ok(START, {"input": {"agentId": agent_id, "description": "t"}})
        execution_id = started["startExecution"]["id"]
        variables: dict[str, Any] = {"executionId": execution_id}
        if stage in ("RUNNING", "DONE", "FAILED", "WAITING_APPROVAL"):
            risk = "HIGH" if stage == "WAITING_APPROVAL" else "SAFE"
            planned = await self._owner_ok(
                SUBMIT, {"id": execution_id, "steps": [step("lookup", risk)]}
            )
            status = planned["submitPlan"]["status"]
            expected = "WAITING_APPROVAL" if stage == "WAITING_APPROVAL" else "RUNNING"
            assert status == expected, planned
            if stage == "WAITING_APPROVAL":
                variables["approvalId"] = planned["submitPlan"]["steps"][0]["approval"]["id"]
        if stage == "DONE":
            report = {"executionId": execution_id, "index": 0, "succeeded": True}
            await self._owner_ok(REPORT, {"input": report})
        if stage == "FAILED":
            failed = await self._owner_ok(FAIL, {"id": execution_id})
            assert failed["failExecution"]["status"] == "FAILED", failed
        return Target(variables, agent_id)

    async def fresh_spare_token_of_a(self) -> str:
        """A second token of agent A (never A's own runtime token), to be revoked."""
        made = await factories.agent_token(self.api, self.world.owner["token"], self.agent_a)
        return str(made["id"])

    async def fresh_config_key_of_a(self) -> str:
        key = unique("key").replace("-", "_")
        await self._owner_ok(
            SET_CONFIG, {"input": {"agentId": self.agent_a, "key": key, "value": "v"}}
        )
        return key

    async def fresh_refresh_token(self) -> str:
        """A refresh token of a new session of the owner (each one is good for one use)."""
        return str((await factories.login(self.api, self.world.owner["email"]))["refresh"])

    @property
    def owner_credentials(self) -> dict[str, str]:
        return {"email": str(self.world.owner["email"]), "password": DEFAULT_PASSWORD}
