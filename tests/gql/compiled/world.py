"""The world the differential test reads: the access matrix's scenario
(tests/gql/access_scenario.py: a superuser, an owner, another user, agents A and B with their
tokens, one of every object below A), grown so that answers have something to differ in —
pages of several agents, a sensitive config to mask, configs of every value type, metric
values that are awkward to spell (-0.0, 1e20, 0.1), an inactive agent type, a decided
approval, and a project of the other user's."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass

from starlette.applications import Starlette

from tests.gql.access_scenario import (
    ANONYMOUS,
    OTHER_AGENT,
    OTHER_USER,
    OWN_AGENT,
    OWNER,
    SUPERUSER,
    Scenario,
)
from tests.gql.conftest import World
from tests.gql.execution_helpers import Runtime, step
from tests.support import factories
from tests.support.api import GraphQLClient

SET_CONFIG = "mutation($input: SetAgentConfigInput!) { setAgentConfig(input: $input) { id } }"
RECORD = """
mutation($agent: ID!, $metrics: [MetricInput!]!) {
  recordMetrics(agentId: $agent, metrics: $metrics) { accepted }
}
"""
DEACTIVATE = """
mutation($id: ID!) { updateAgentType(id: $id, input: {isActive: false}) { isActive } }
"""
BELOW_A = """
query($id: ID!) { agent(id: $id) { metrics(first: 20) { edges { node { id } } } configs { id } } }
"""
APPROVE = 'mutation($id: ID!) { approve(id: $id, reason: "fine") { status } }'
PAUSE = "mutation($input: AgentTransitionInput!) { pauseAgent(input: $input) { agent { id } } }"

_CONFIGS = (
    {"key": "api.key", "value": "s3cret", "isSensitive": True},
    {"key": "retries", "value": "3", "valueType": "INTEGER"},
    {"key": "ratio", "value": "-0.0", "valueType": "FLOAT"},
    {"key": "big", "value": "1e20", "valueType": "FLOAT"},
    {"key": "verbose", "value": "TRUE", "valueType": "BOOLEAN"},
    {"key": "shape", "value": '{"a": [1, 2.5, null]}', "valueType": "JSON"},
)
_METRIC_VALUES = (-0.0, 0.0, 1e20, 0.1, 3.0, 170.0, -2.5, 1e-7)


@dataclass
class DifferentialWorld:
    scenario: Scenario
    ids: list[str]  # every kind of global id the documents use, and some that find nothing
    strings: list[str]

    def tokens(self) -> dict[str, str | None]:
        """Each caller of the access matrix and its bearer token (agent A's is "own")."""
        s = self.scenario
        return {
            ANONYMOUS: None,
            OWNER: str(s.world.owner["token"]),
            OTHER_USER: str(s.stranger["token"]),
            SUPERUSER: str(s.world.admin["token"]),
            OWN_AGENT: s._agent_tokens[s.agent_a],
            OTHER_AGENT: s.token_b,
        }


def _global(type_name: str, ident: str) -> str:
    return base64.b64encode(f"{type_name}:{ident}".encode()).decode()


async def build_world(api: GraphQLClient, app: Starlette) -> DifferentialWorld:
    admin = await factories.superuser(api, app)
    owner = await factories.register(api)
    stranger = await factories.register(api)
    type_id = await factories.create_agent_type(api, admin["token"])
    project_id = await factories.create_project(api, owner["token"])
    world = World(admin=admin, owner=owner, type_id=type_id, project_id=project_id)
    scenario = await Scenario.build(api, world, stranger)
    owner_token = owner["token"]

    for config in _CONFIGS:
        await api.ok(
            SET_CONFIG, {"input": {"agentId": scenario.agent_a, **config}}, token=owner_token
        )
    metrics = [
        {"name": "latency_ms", "value": v, "unit": "ms", "tags": {"env": "prod"}, "recordedAt": f"2026-01-0{i % 9 + 1}T10:00:00.{i}5+00:00"}
        for i, v in enumerate(_METRIC_VALUES)
    ]  # fmt: skip
    await api.ok(RECORD, {"agent": scenario.agent_a, "metrics": metrics}, token=owner_token)
    spawned = [
        await factories.spawn_agent(api, owner_token, project_id, type_id, name)
        for name in ("C", "D", "E")
    ]
    await api.ok(PAUSE, {"input": {"id": spawned[0]}}, token=owner_token)

    runtime = Runtime(api, owner_token)
    decided = (await runtime.start(scenario.agent_b, "B's task"))["id"]
    planned = await runtime.submit(decided, [step("deploy", "HIGH")])
    approval_b = planned["steps"][0]["approval"]["id"]
    await api.ok(APPROVE, {"id": approval_b}, token=owner_token)

    inactive = await factories.create_agent_type(api, admin["token"], name="Retired")
    await api.ok(DEACTIVATE, {"id": inactive}, token=admin["token"])
    other_project = await factories.create_project(api, stranger["token"])
    other_agent = await factories.spawn_agent(
        api, stranger["token"], other_project, type_id, "Stranger's"
    )
    me = await api.ok("{ me { id } }", token=owner_token)
    below = await api.ok(BELOW_A, {"id": scenario.agent_a}, token=owner_token)
    metric_ids = [e["node"]["id"] for e in below["agent"]["metrics"]["edges"]]
    config_ids = [c["id"] for c in below["agent"]["configs"]]

    found = [
        project_id, other_project, scenario.agent_a, scenario.agent_b, other_agent, type_id,
        inactive, scenario.execution_a, decided, scenario.capability_a, scenario.approval_a,
        approval_b, scenario.config_a, scenario.checkpoint_a, scenario.metric_a,
        scenario.transition_a, me["me"]["id"], *metric_ids, *config_ids,
    ]  # fmt: skip
    nothing = [
        _global("Agent", str(uuid.uuid4())),  # well formed, nobody's
        _global("AgentToken", str(uuid.uuid4())),  # a type node() does not compile
        _global("Agent", "not-a-uuid"),
        "not base64!",
        "",
    ]  # fmt: skip
    # What exists, three times as often as what does not.
    ids = [*found, *found, *found, *nothing]
    strings = ["search", "latency_ms", "region", "api.key", "A", "", "zz", "Ab_%"]
    return DifferentialWorld(scenario, ids, strings)
