"""An agent token works only while its agent and its owner do: the token of a TERMINATED agent,
or of an agent whose project's owner is disabled, is refused on every path an agent runtime
uses (every report mutation and its reads), with UNAUTHENTICATED and a reason it can act on;
and it writes nothing. (Open WebSockets: tests/gql/subscriptions/test_sessions.py.)"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from starlette.applications import Starlette

from gql.ids import from_global_id
from tests.gql.conftest import World
from tests.support import factories
from tests.support.api import GraphQLClient

TERMINATE = "mutation($id: ID!) { terminateAgent(input: {id: $id}) { agent { status } } }"
READ = "query($id: ID!) { agent(id: $id) { status health revision state { currentWorkflow } } }"
METRICS = "query($id: ID!) { agent(id: $id) { metrics { totalCount } } }"

# Every call an agent runtime makes, as (document, variables for the agent id).
RUNTIME_CALLS: list[tuple[str, Any]] = [
    (
        "mutation($i: HeartbeatInput!) { heartbeat(input: $i) { id } }",
        lambda agent: {"i": {"agentId": agent, "currentWorkflow": "beat"}},
    ),
    (
        "mutation($i: [HeartbeatInput!]!) { heartbeats(inputs: $i) { accepted } }",
        lambda agent: {"i": [{"agentId": agent}]},
    ),
    (
        "mutation($a: ID!, $m: [MetricInput!]!) { recordMetrics(agentId: $a, metrics: $m) "
        "{ accepted } }",
        lambda agent: {"a": agent, "m": [{"name": "cpu", "value": 1.0}]},
    ),
    (
        "mutation($i: UpdateAgentStateInput!) { updateAgentState(input: $i) { id } }",
        lambda agent: {"i": {"agentId": agent, "currentWorkflow": "state"}},
    ),
    (
        "mutation($i: ReportAgentErrorInput!) { reportAgentError(input: $i) { agent { id } } }",
        lambda agent: {"i": {"agentId": agent, "error": {"message": "boom"}}},
    ),
    (
        "mutation($i: StartExecutionInput!) { startExecution(input: $i) { id } }",
        lambda agent: {"i": {"agentId": agent, "description": "task"}},
    ),
    (READ, lambda agent: {"id": agent}),
]


async def _set_owner_active(app: Starlette, world: World, active: bool) -> None:
    user = from_global_id(world.owner["user_id"], "User")
    async with app.state.services.database.transaction() as conn:
        await conn.execute(
            text("UPDATE users SET is_active = :active WHERE id = :id"),
            {"active": active, "id": user},
        )


async def _refused_everywhere(api: GraphQLClient, agent_id: str, token: str) -> list[str]:
    messages = []
    for document, variables in RUNTIME_CALLS:
        refused = await api.execute(document, variables(agent_id), token=token)
        assert refused.status == 200 and refused.data is None, (document, refused)
        [error] = refused.errors
        assert error["extensions"]["code"] == "UNAUTHENTICATED", (document, refused)
        messages.append(error["message"])
    return messages


@pytest.fixture
async def agent_and_token(api: GraphQLClient, world: World) -> tuple[dict[str, Any], str]:
    agent = await world.spawn(api, "Reporter")
    token = await factories.agent_token(api, world.owner["token"], agent["id"])
    # The token works before anything ends it (and is remembered by the viewer cache now).
    for document, variables in RUNTIME_CALLS[:3]:
        assert await api.ok(document, variables(agent["id"]), token=token["token"])
    return agent, token["token"]


async def test_a_terminated_agents_token_is_refused_on_every_path(
    api: GraphQLClient, world: World, agent_and_token: tuple[dict[str, Any], str]
) -> None:
    agent, token = agent_and_token
    owner = world.owner["token"]
    await api.ok(TERMINATE, {"id": agent["id"]}, token=owner)  # forgets cached viewers here
    before = (await api.ok(READ, {"id": agent["id"]}, token=owner))["agent"]
    messages = await _refused_everywhere(api, agent["id"], token)
    assert all("TERMINATED" in message for message in messages), messages
    refused = await api.execute(
        *RUNTIME_CALLS[0][:1], RUNTIME_CALLS[0][1](agent["id"]), token=token
    )
    assert refused.errors[0]["extensions"] == {
        "code": "UNAUTHENTICATED",
        "agentStatus": "TERMINATED",
    }
    # Nothing was written: no heartbeat brought its health back, no state, no metric.
    assert (await api.ok(READ, {"id": agent["id"]}, token=owner))["agent"] == before
    metrics = await api.ok(METRICS, {"id": agent["id"]}, token=owner)
    assert metrics["agent"]["metrics"]["totalCount"] == 1  # the one recorded before


async def test_a_disabled_owners_agent_tokens_are_refused_until_enabled_again(
    api: GraphQLClient,
    app: Starlette,
    world: World,
    agent_and_token: tuple[dict[str, Any], str],
) -> None:
    agent, token = agent_and_token
    await _set_owner_active(app, world, False)
    # The rule is what is tested here: the cached viewer (a second at most, or until the
    # database's announcement arrives: tests/gql/subscriptions/test_sessions.py) is dropped.
    app.state.services.authenticator.forget()
    messages = await _refused_everywhere(api, agent["id"], token)
    assert all("owner of this agent's project is disabled" in m for m in messages), messages
    refused = await api.execute(READ, {"id": agent["id"]}, token=token)
    assert refused.errors[0]["extensions"] == {"code": "UNAUTHENTICATED", "ownerActive": False}

    await _set_owner_active(app, world, True)
    app.state.services.authenticator.forget()
    beat = await api.ok(*RUNTIME_CALLS[0][:1], RUNTIME_CALLS[0][1](agent["id"]), token=token)
    assert beat["heartbeat"]["id"] == agent["id"]
    state = await api.ok(READ, {"id": agent["id"]}, token=world.owner["token"])
    assert state["agent"]["state"]["currentWorkflow"] == "beat"  # before the owner was disabled
