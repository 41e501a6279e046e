"""Configs, capabilities, heartbeats and state updates through the API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.gql.conftest import World
from tests.support import factories
from tests.support.api import GraphQLClient

SET_CONFIG = """
mutation($input: SetAgentConfigInput!) {
  setAgentConfig(input: $input) { id key value typedValue valueType isSensitive masked }
}
"""
CONFIGS = "query($id: ID!, $keys: [String!]) { agent(id: $id) { configs(keys: $keys) { key value typedValue masked } } }"
REGISTER_CAPABILITY = """
mutation($input: RegisterCapabilityInput!) {
  registerCapability(input: $input) { id name version enabled parameters }
}
"""
HEARTBEAT = """
mutation($input: HeartbeatInput!) {
  heartbeat(input: $input) { id health lastHeartbeatAt revision state { resourceUsage activeWorkflows currentWorkflow } }
}
"""
HEARTBEATS = "mutation($inputs: [HeartbeatInput!]!) { heartbeats(inputs: $inputs) { accepted } }"
UPDATE_STATE = """
mutation($input: UpdateAgentStateInput!) {
  updateAgentState(input: $input) { revision state { currentWorkflow workflowData resourceLocks metadata lastActivityAt } }
}
"""


async def test_configs_are_typed_validated_and_upserted(api: GraphQLClient, world: World) -> None:
    agent = await world.spawn(api)
    token = world.owner["token"]

    async def set_config(**fields: Any) -> Any:
        return await api.execute(
            SET_CONFIG, {"input": {"agentId": agent["id"], **fields}}, token=token
        )

    ok = await set_config(key="cost_threshold_usd", value="1000", valueType="FLOAT")
    assert ok.data["setAgentConfig"]["typedValue"] == 1000.0
    replaced = await set_config(key="cost_threshold_usd", value="1500.5", valueType="FLOAT")
    assert replaced.data["setAgentConfig"]["id"] == ok.data["setAgentConfig"]["id"]
    await set_config(key="flags", value='{"beta": true}', valueType="JSON")
    await set_config(key="enabled", value="true", valueType="BOOLEAN")

    bad = await set_config(key="retries", value="abc", valueType="INTEGER")
    assert bad.code == "VALIDATION_ERROR" and bad.errors[0]["extensions"]["field"] == "input.value"
    assert "abc" in bad.errors[0]["message"]
    bad_key = await set_config(key="Bad Key", value="1")
    assert bad_key.errors[0]["extensions"]["field"] == "input.key"
    secret = await set_config(
        key="api_key", value="hunter2-hunter2", isSensitive=True, valueType="INTEGER"
    )
    assert "hunter2" not in secret.errors[0]["message"]

    configs = (await api.ok(CONFIGS, {"id": agent["id"]}, token=token))["agent"]["configs"]
    assert {c["key"]: c["typedValue"] for c in configs} == {
        "cost_threshold_usd": 1500.5, "enabled": True, "flags": {"beta": True},
    }  # fmt: skip
    only = (await api.ok(CONFIGS, {"id": agent["id"], "keys": ["enabled"]}, token=token))["agent"][
        "configs"
    ]
    assert [c["key"] for c in only] == ["enabled"]

    deleted = await api.ok(
        'mutation($a: ID!) { deleteAgentConfig(agentId: $a, key: "enabled") { id message } }',
        {"a": agent["id"]},
        token=token,
    )
    assert deleted["deleteAgentConfig"]["message"]
    again = await api.execute(
        'mutation($a: ID!) { deleteAgentConfig(agentId: $a, key: "enabled") { id } }',
        {"a": agent["id"]},
        token=token,
    )
    assert again.code == "NOT_FOUND"


async def test_capabilities_keep_several_versions(api: GraphQLClient, world: World) -> None:
    agent = await world.spawn(api)
    token = world.owner["token"]

    async def register(**fields: Any) -> Any:
        return await api.execute(
            REGISTER_CAPABILITY, {"input": {"agentId": agent["id"], **fields}}, token=token
        )

    first = await register(
        name="gpu_cost_analysis", version="1.2.0", parameters={"depth": "detailed"}
    )
    await register(name="gpu_cost_analysis", version="1.10.0")
    bad = await register(name="gpu_cost_analysis", version="1.2")
    assert (
        bad.code == "VALIDATION_ERROR" and bad.errors[0]["extensions"]["field"] == "input.version"
    )
    bad_params = await register(name="x", version="1.0.0", parameters=[1, 2])
    assert bad_params.errors[0]["extensions"]["field"] == "input.parameters"

    disabled = await api.ok(
        "mutation($id: ID!) { setCapabilityEnabled(id: $id, enabled: false) { enabled version } }",
        {"id": first.data["registerCapability"]["id"]},
        token=token,
    )
    assert disabled["setCapabilityEnabled"] == {"enabled": False, "version": "1.2.0"}
    listed = await api.ok(
        """query($id: ID!) { agent(id: $id) {
             all: capabilities(name: "gpu_cost_analysis") { version enabled }
             on: capabilities(enabledOnly: true) { version } } }""",
        {"id": agent["id"]},
        token=token,
    )
    assert listed["agent"]["all"] == [
        {"version": "1.2.0", "enabled": False},
        {"version": "1.10.0", "enabled": True},
    ]
    assert listed["agent"]["on"] == [{"version": "1.10.0"}]


async def test_heartbeats_move_health_and_state_but_not_revision(
    api: GraphQLClient, world: World
) -> None:
    agent = await world.spawn(api)
    token = world.owner["token"]
    beat = await api.ok(
        HEARTBEAT,
        {
            "input": {
                "agentId": agent["id"],
                "resourceUsage": {"cpu": 0.5},
                "activeWorkflows": ["scan"],
                "currentWorkflow": "scan",
            }
        },
        token=token,
    )
    assert beat["heartbeat"]["health"] == "HEALTHY"
    assert beat["heartbeat"]["revision"] == 1
    assert beat["heartbeat"]["state"] == {
        "resourceUsage": {"cpu": 0.5}, "activeWorkflows": ["scan"], "currentWorkflow": "scan",
    }  # fmt: skip
    # An older beat never moves the clock back; omitted parts of the state stay.
    old = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    later = await api.ok(HEARTBEAT, {"input": {"agentId": agent["id"], "at": old}}, token=token)
    assert later["heartbeat"]["lastHeartbeatAt"] == beat["heartbeat"]["lastHeartbeatAt"]
    assert later["heartbeat"]["state"]["resourceUsage"] == {"cpu": 0.5}

    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    refused = await api.execute(
        HEARTBEAT, {"input": {"agentId": agent["id"], "at": future}}, token=token
    )
    assert (
        refused.code == "VALIDATION_ERROR"
        and refused.errors[0]["extensions"]["field"] == "input.at"
    )


async def test_heartbeat_batches_are_all_or_nothing(
    api: GraphQLClient, world: World, stranger: dict[str, Any]
) -> None:
    token = world.owner["token"]
    agents = [await world.spawn(api, f"A{i}") for i in range(3)]
    batch = [{"agentId": a["id"], "resourceUsage": {"i": i}} for i, a in enumerate(agents)]
    other_project = await factories.create_project(api, stranger["token"])
    foreign = await api.ok(
        "mutation($i: SpawnAgentInput!) { spawnAgent(input: $i) { id } }",
        {"i": {"projectId": other_project, "agentTypeId": world.type_id, "name": "Theirs"}},
        token=stranger["token"],
    )
    foreign_id = foreign["spawnAgent"]["id"]

    # One agent the caller may not write, listed last: the whole batch is refused.
    refused = await api.execute(
        HEARTBEATS, {"inputs": [*batch, {"agentId": foreign_id}]}, token=token
    )
    assert refused.code == "NOT_FOUND"
    # Nothing was written: not the caller's own agents listed before it, nor the stranger's.
    for agent in agents:
        mine = await api.ok(BEAT_STATE, {"id": agent["id"]}, token=token)
        assert mine["agent"] == {
            "lastHeartbeatAt": None,
            "health": "UNKNOWN",
            "state": {"resourceUsage": {}},
        }, mine
    theirs = await api.ok(BEAT_STATE, {"id": foreign_id}, token=stranger["token"])
    assert theirs["agent"]["lastHeartbeatAt"] is None

    result = await api.ok(HEARTBEATS, {"inputs": batch}, token=token)
    assert result["heartbeats"]["accepted"] == 3
    for i, agent in enumerate(agents):
        mine = await api.ok(BEAT_STATE, {"id": agent["id"]}, token=token)
        assert mine["agent"]["health"] == "HEALTHY"
        assert mine["agent"]["state"] == {"resourceUsage": {"i": i}}


BEAT_STATE = "query($id: ID!) { agent(id: $id) { lastHeartbeatAt health state { resourceUsage } } }"


async def test_state_updates_bump_revision_and_check_it(api: GraphQLClient, world: World) -> None:
    agent = await world.spawn(api)
    token = world.owner["token"]
    updated = await api.ok(
        UPDATE_STATE,
        {
            "input": {
                "agentId": agent["id"],
                "currentWorkflow": "gpu_scaling",
                "workflowData": {"gpus": 8},
                "resourceLocks": ["k8s"],
                "expectedRevision": 1,
            }
        },
        token=token,
    )
    state = updated["updateAgentState"]["state"]
    assert updated["updateAgentState"]["revision"] == 2
    assert state["currentWorkflow"] == "gpu_scaling" and state["workflowData"] == {"gpus": 8}
    assert state["lastActivityAt"] is not None
    stale = await api.execute(
        UPDATE_STATE,
        {"input": {"agentId": agent["id"], "metadata": {"a": 1}, "expectedRevision": 1}},
        token=token,
    )
    assert stale.code == "CONFLICT"
    bad = await api.execute(
        UPDATE_STATE, {"input": {"agentId": agent["id"], "resourceLocks": {"a": 1}}}, token=token
    )
    assert (
        bad.code == "VALIDATION_ERROR"
        and bad.errors[0]["extensions"]["field"] == "input.resourceLocks"
    )
    empty = await api.execute(UPDATE_STATE, {"input": {"agentId": agent["id"]}}, token=token)
    assert empty.code == "VALIDATION_ERROR"


async def test_deleting_an_agent_removes_everything_below_it(
    api: GraphQLClient, world: World, app: Any
) -> None:
    token = world.owner["token"]
    agent = await api.ok(
        "mutation($i: SpawnAgentInput!) { spawnAgent(input: $i) { id } }",
        {"i": {"projectId": world.project_id, "agentTypeId": world.type_id, "name": "Doomed",
               "configs": [{"key": "a", "value": "1"}], "capabilities": [{"name": "c", "version": "1.0.0"}]}},
        token=token,
    )  # fmt: skip
    agent_id = agent["spawnAgent"]["id"]
    await api.ok(
        'mutation($a: ID!) { recordMetrics(agentId: $a, metrics: [{name: "m", value: 1}]) { accepted } }',
        {"a": agent_id},
        token=token,
    )
    await api.ok(
        "mutation($a: ID!) { pauseAgent(input: {id: $a}) { agent { id } } }",
        {"a": agent_id},
        token=token,
    )
    deleted = await api.ok(
        "mutation($a: ID!) { deleteAgent(id: $a) { id message } }", {"a": agent_id}, token=token
    )
    assert deleted["deleteAgent"]["id"] == agent_id
    gone = await api.execute(
        "query($a: ID!) { agent(id: $a) { id } }", {"a": agent_id}, token=token
    )
    assert gone.code == "NOT_FOUND"
    counts = await _row_counts(app)
    assert counts == {t: 0 for t in counts}, counts


async def _row_counts(app: Any) -> dict[str, int]:
    from sqlalchemy import text

    tables = ["agents", "agent_configs", "agent_states", "agent_capabilities", "agent_metrics",
              "status_transitions", "executions", "events"]  # fmt: skip
    async with app.state.services.database.read() as conn:
        return {
            t: (await conn.execute(text(f"SELECT count(*) FROM {t}"))).scalar_one() for t in tables
        }


async def test_overlapping_heartbeat_batches_never_deadlock(
    api: GraphQLClient, world: World
) -> None:
    import asyncio
    import random

    token = world.owner["token"]
    agents = [await world.spawn(api, f"B{i}") for i in range(12)]
    long_ago = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()

    # Seeded: a failure names overlaps that can be replayed.
    rng = random.Random(19)

    async def batch() -> list[str | None]:
        codes = []
        for _ in range(6):
            chosen = rng.sample(agents, 8)
            beats = [{"agentId": a["id"], "at": rng.choice([long_ago, None])} for a in chosen]
            codes.append((await api.execute(HEARTBEATS, {"inputs": beats}, token=token)).code)
        return codes

    results = await asyncio.gather(*(batch() for _ in range(4)))
    assert all(code is None for codes in results for code in codes), results
