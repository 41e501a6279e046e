"""The nested agent graph: one request, constant SQL statements, visibility, node lookups."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from starlette.applications import Starlette

from gql.ids import from_global_id, to_global_id
from tests.gql.conftest import World
from tests.support.api import GraphQLClient, Result
from tests.support.sql_counter import StatementCounter

FLEET = """
query Fleet($project: ID!, $first: Int) {
  project(id: $project) {
    name
    owner { email }
    agentStats { totalInstances idleInstances activeInstances }
    agents(first: $first) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        cursor
        node {
          id name status health revision
          agentType { slug }
          state { currentWorkflow resourceUsage errorCount }
          configs { key value typedValue valueType masked }
          capabilities { name version enabled parameters }
          metrics(first: 10) { totalCount edges { node { name value unit tags recordedAt } } }
          statusHistory(first: 5) { edges { node { fromStatus toStatus } } }
        }
      }
    }
  }
}
"""

# authenticate (1) + project (1) + owner (1) + stats (1) + agents page (1) + count (1)
# + agent types (1) + states (1) + configs (1) + capabilities (1) + metric pages (1)
# + metric counts (1) + status history (1)
FLEET_STATEMENTS = 13
# The compiled read path: authenticate (1) + the whole selection (1).
COMPILED_FLEET_STATEMENTS = 2

SPAWN_FULL = """
mutation($input: SpawnAgentInput!) { spawnAgent(input: $input) { id } }
"""
RECORD = """
mutation($agent: ID!, $metrics: [MetricInput!]!) { recordMetrics(agentId: $agent, metrics: $metrics) { accepted } }
"""


async def _populate(api: GraphQLClient, world: World, count: int, start: int = 0) -> list[str]:
    ids = []
    token = world.owner["token"]
    for i in range(start, start + count):
        data = await api.ok(
            SPAWN_FULL,
            {
                "input": {
                    "projectId": world.project_id,
                    "agentTypeId": world.type_id,
                    "name": f"Agent {i:03d}",
                    "configs": [
                        {"key": "threshold", "value": str(i), "valueType": "INTEGER"},
                        {"key": "api.key", "value": "s3cret", "isSensitive": True},
                    ],
                    "capabilities": [
                        {"name": "analysis", "version": "1.0.0"},
                        {"name": "analysis", "version": "1.1.0", "enabled": False},
                    ],
                }
            },
            token=token,
        )
        agent_id = data["spawnAgent"]["id"]
        ids.append(agent_id)
        points = [{"name": "latency", "value": float(j), "unit": "ms"} for j in range(3)]
        await api.ok(RECORD, {"agent": agent_id, "metrics": points}, token=token)
    return ids


async def _fleet_statements(
    api: GraphQLClient, world: World, counter: StatementCounter, app: Starlette
) -> tuple[int, dict[str, Any]]:
    app.state.services.authenticator.forget()  # so the sign-in check is counted every time
    counter.reset()
    data = await api.ok(
        FLEET, {"project": world.project_id, "first": 100}, token=world.owner["token"]
    )
    return counter.count, data


@pytest.mark.parametrize(
    ("path", "expected"), [("compiled", COMPILED_FLEET_STATEMENTS), ("reference", FLEET_STATEMENTS)]
)
async def test_statements_per_request_do_not_grow_with_the_fleet(
    api: GraphQLClient,
    reference_api: GraphQLClient,
    world: World,
    sql_counter: StatementCounter,
    app: Starlette,
    path: str,
    expected: int,
) -> None:
    client = api if path == "compiled" else reference_api
    await _populate(api, world, 5)
    small, data_small = await _fleet_statements(client, world, sql_counter, app)
    assert data_small["project"]["agents"]["totalCount"] == 5
    await _populate(api, world, 45, start=5)
    large, data_large = await _fleet_statements(client, world, sql_counter, app)
    assert data_large["project"]["agents"]["totalCount"] == 50
    assert len(data_large["project"]["agents"]["edges"]) == 50
    assert small == large, (small, large)
    # Stated in the note: the nested fleet query costs this many statements at any size.
    assert large == expected, sql_counter.statements


async def test_the_graph_reads_nested_values(api: GraphQLClient, world: World) -> None:
    await _populate(api, world, 2)
    data = await api.ok(
        FLEET, {"project": world.project_id, "first": 10}, token=world.owner["token"]
    )
    agents = [e["node"] for e in data["project"]["agents"]["edges"]]
    first = agents[0]
    assert first["name"] == "Agent 000"
    assert first["health"] == "UNKNOWN"
    configs = {c["key"]: c for c in first["configs"]}
    assert (
        configs["threshold"]["typedValue"] == 0 and configs["threshold"]["valueType"] == "INTEGER"
    )
    # The owner reads sensitive values.
    assert configs["api.key"]["value"] == "s3cret" and configs["api.key"]["masked"] is False
    assert [(c["name"], c["version"], c["enabled"]) for c in first["capabilities"]] == [
        ("analysis", "1.0.0", True),
        ("analysis", "1.1.0", False),
    ]
    metrics = first["metrics"]
    assert metrics["totalCount"] == 3
    assert [m["node"]["value"] for m in metrics["edges"]] == [2.0, 1.0, 0.0]  # newest first
    assert first["statusHistory"]["edges"][0]["node"] == {"fromStatus": None, "toStatus": "IDLE"}
    assert data["project"]["agentStats"] == {
        "totalInstances": 2,
        "idleInstances": 2,
        "activeInstances": 0,
    }


async def test_strangers_get_not_found_everywhere(
    api: GraphQLClient, world: World, stranger: dict[str, Any]
) -> None:
    [agent_id] = await _populate(api, world, 1)
    token = stranger["token"]
    by_id = await api.execute(
        "query($id: ID!) { agent(id: $id) { name } }", {"id": agent_id}, token=token
    )
    assert by_id.code == "NOT_FOUND"
    by_node = await api.execute(
        "query($id: ID!) { node(id: $id) { id } }", {"id": agent_id}, token=token
    )
    assert by_node.code == "NOT_FOUND"
    by_nodes = await api.execute(
        "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": [agent_id]}, token=token
    )
    assert by_nodes.data == {"nodes": [None]} and by_nodes.code == "NOT_FOUND"
    project = await api.execute(
        "query($id: ID!) { project(id: $id) { agents { totalCount } } }",
        {"id": world.project_id},
        token=token,
    )
    assert project.code == "NOT_FOUND"
    listing = await api.execute(
        "query($id: ID) { agents(projectId: $id) { totalCount } }",
        {"id": world.project_id},
        token=token,
    )
    assert listing.code == "NOT_FOUND"
    mine = await api.ok("{ agents { totalCount } projects { totalCount } }", token=token)
    assert mine == {"agents": {"totalCount": 0}, "projects": {"totalCount": 0}}
    # No existence leak: a well-formed id of an agent that exists but is not the caller's gets
    # the very answer of one that never existed (the id itself aside).
    missing = to_global_id("Agent", uuid.uuid4())
    for document in (
        "query($id: ID!) { agent(id: $id) { name } }",
        "query($id: ID!) { node(id: $id) { id } }",
        "query($id: ID!) { nodes(ids: [$id]) { id } }",
        "mutation($id: ID!) { pauseAgent(input: {id: $id}) { agent { id } } }",
        'mutation($id: ID!) { deleteAgentConfig(agentId: $id, key: "k") { id } }',
    ):
        hidden = await api.execute(document, {"id": agent_id}, token=token)
        unknown = await api.execute(document, {"id": missing}, token=token)
        assert hidden.code == "NOT_FOUND", (document, hidden.errors)
        assert _without_id(hidden, agent_id) == _without_id(unknown, missing), document


def _without_id(result: Result, global_id: str) -> tuple[Any, list[dict[str, Any]]]:
    """The answer with the asked-for id (global or raw) blanked out of its error messages."""
    raw = str(from_global_id(global_id, "Agent"))
    errors = [
        {**e, "message": e["message"].replace(global_id, "<id>").replace(raw, "<id>")}
        for e in result.errors
    ]
    return result.data, errors


async def test_node_refetches_every_type(api: GraphQLClient, world: World) -> None:
    [agent_id] = await _populate(api, world, 1)
    token = world.owner["token"]
    data = await api.ok(
        """query($id: ID!) { agent(id: $id) {
            configs { id } capabilities { id } metrics(first: 1) { edges { node { id } } }
            statusHistory { edges { node { id } } } project { id } agentType { id } } }""",
        {"id": agent_id},
        token=token,
    )
    agent = data["agent"]
    ids = [
        agent_id,
        agent["configs"][0]["id"],
        agent["capabilities"][0]["id"],
        agent["metrics"]["edges"][0]["node"]["id"],
        agent["statusHistory"]["edges"][0]["node"]["id"],
        agent["project"]["id"],
        agent["agentType"]["id"],
    ]
    found = await api.ok(
        "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }", {"ids": ids}, token=token
    )
    assert [n["id"] for n in found["nodes"]] == ids
    assert [n["__typename"] for n in found["nodes"]] == [
        "Agent", "AgentConfig", "AgentCapability", "AgentMetric", "StatusTransition", "Project", "AgentType",
    ]  # fmt: skip


async def test_an_agent_token_sees_its_agent_and_no_more_of_its_project(
    api: GraphQLClient, world: World
) -> None:
    from tests.support import factories

    [mine, _other] = await _populate(api, world, 2)
    token = (await factories.agent_token(api, world.owner["token"], mine))["token"]
    data = await api.ok(
        """query($id: ID!) { agent(id: $id) { name project { slug agentStats { totalInstances }
           agents { totalCount edges { node { id } } } } } }""",
        {"id": mine},
        token=token,
    )
    project = data["agent"]["project"]
    assert project["agentStats"] == {"totalInstances": 1}
    assert (
        project["agents"]["totalCount"] == 1 and project["agents"]["edges"][0]["node"]["id"] == mine
    )
    owner = await api.execute(
        "query($id: ID!) { agent(id: $id) { project { owner { email } } } }",
        {"id": mine},
        token=token,
    )
    assert owner.code == "NOT_FOUND"


async def test_nodes_of_metric_points_cost_the_same_statements_for_3_or_30(
    api: GraphQLClient, world: World, sql_counter: StatementCounter
) -> None:
    [agent_id] = await _populate(api, world, 1)
    token = world.owner["token"]
    points = [{"name": "m", "value": float(i)} for i in range(30)]
    await api.ok(RECORD, {"agent": agent_id, "metrics": points}, token=token)
    listed = await api.ok(
        "query($id: ID!) { agent(id: $id) { metrics(first: 30) { edges { node { id } } } } }",
        {"id": agent_id},
        token=token,
    )
    ids = [e["node"]["id"] for e in listed["agent"]["metrics"]["edges"]]
    counts = []
    for batch in (ids[:3], ids):
        sql_counter.reset()
        found = await api.ok(
            "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": batch}, token=token
        )
        assert [n["id"] for n in found["nodes"]] == batch
        counts.append(sql_counter.count)
    assert counts[0] == counts[1], counts
