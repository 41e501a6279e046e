"""Lifecycle through the API: seeds/002's workflow, refused moves, optimistic concurrency."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

from starlette.applications import Starlette

from tests.gql.conftest import World
from tests.support import factories
from tests.support.api import GraphQLClient

MOVE_FIELDS = "agent { id status revision } transition { fromStatus toStatus reason actor cursor }"
PAUSE = (
    f"mutation($input: AgentTransitionInput!) {{ pauseAgent(input: $input) {{ {MOVE_FIELDS} }} }}"
)
RESUME = (
    f"mutation($input: AgentTransitionInput!) {{ resumeAgent(input: $input) {{ {MOVE_FIELDS} }} }}"
)
TERMINATE = f"mutation($input: AgentTransitionInput!) {{ terminateAgent(input: $input) {{ {MOVE_FIELDS} }} }}"
RECOVER = (
    f"mutation($input: AgentTransitionInput!) {{ recoverAgent(input: $input) {{ {MOVE_FIELDS} }} }}"
)
REPORT_ERROR = f"""
mutation($input: ReportAgentErrorInput!) {{ reportAgentError(input: $input) {{ {MOVE_FIELDS} }} }}
"""
HISTORY = """
query($id: ID!) {
  agent(id: $id) {
    status revision
    state { errorCount lastError }
    statusHistory(first: 100) { totalCount edges { node { fromStatus toStatus reason actor cursor } } }
  }
}
"""


async def _move(api: GraphQLClient, token: str, mutation: str, agent_id: str, **extra: Any) -> Any:
    return await api.execute(mutation, {"input": {"id": agent_id, **extra}}, token=token)


async def _history(api: GraphQLClient, token: str, agent_id: str) -> dict[str, Any]:
    return dict((await api.ok(HISTORY, {"id": agent_id}, token=token))["agent"])


def _assert_chain(transitions_newest_first: list[dict[str, Any]]) -> None:
    chain = list(reversed(transitions_newest_first))
    assert chain[0]["fromStatus"] is None and chain[0]["toStatus"] == "IDLE"
    for before, after in itertools.pairwise(chain):
        assert after["fromStatus"] == before["toStatus"], chain
        assert int(after["cursor"]) > int(before["cursor"])


async def test_seeds_002_lifecycle(api: GraphQLClient, world: World) -> None:
    token = world.owner["token"]
    agent = await world.spawn(api, "Pausable Agent")
    assert agent["status"] == "IDLE" and agent["revision"] == 1

    paused = await _move(api, token, PAUSE, agent["id"], reason="maintenance")
    assert paused.data["pauseAgent"]["agent"]["status"] == "PAUSED"
    assert paused.data["pauseAgent"]["transition"]["reason"] == "maintenance"
    assert paused.data["pauseAgent"]["transition"]["actor"].startswith("user:")

    resumed = await _move(api, token, RESUME, agent["id"])
    assert resumed.data["resumeAgent"]["agent"]["status"] == "IDLE"

    terminated = await _move(api, token, TERMINATE, agent["id"])
    assert terminated.data["terminateAgent"]["agent"]["status"] == "TERMINATED"

    refused = await _move(api, token, RESUME, agent["id"])
    assert refused.code == "INVALID_TRANSITION"
    assert "TERMINATED" in refused.errors[0]["message"]
    assert refused.errors[0]["extensions"]["currentStatus"] == "TERMINATED"
    assert refused.errors[0]["extensions"]["allowedMoves"] == []

    history = await _history(api, token, agent["id"])
    statuses = [e["node"]["toStatus"] for e in reversed(history["statusHistory"]["edges"])]
    assert statuses == ["IDLE", "PAUSED", "IDLE", "TERMINATED"]
    assert history["revision"] == 4
    _assert_chain([e["node"] for e in history["statusHistory"]["edges"]])


async def test_resume_returns_to_the_status_before_the_pause(
    api: GraphQLClient, world: World
) -> None:
    token = world.owner["token"]
    agent = await world.spawn(api)
    errored = await api.execute(
        REPORT_ERROR,
        {"input": {"agentId": agent["id"], "error": {"error": "GPU lost"}}},
        token=token,
    )
    assert errored.data["reportAgentError"]["agent"]["status"] == "ERROR"
    recovered = await _move(api, token, RECOVER, agent["id"])
    assert recovered.data["recoverAgent"]["agent"]["status"] == "IDLE"
    paused = await _move(api, token, PAUSE, agent["id"])
    assert paused.data["pauseAgent"]["transition"]["fromStatus"] == "IDLE"
    resumed = await _move(api, token, RESUME, agent["id"])
    assert resumed.data["resumeAgent"]["transition"]["toStatus"] == "IDLE"
    state = (await _history(api, token, agent["id"]))["state"]
    assert state["errorCount"] == 1 and state["lastError"] == {"error": "GPU lost"}


async def test_refused_moves_name_the_status_and_the_allowed_moves(
    api: GraphQLClient, world: World
) -> None:
    token = world.owner["token"]
    agent = await world.spawn(api)
    refused = await _move(api, token, RECOVER, agent["id"])
    assert refused.code == "INVALID_TRANSITION"
    message = refused.errors[0]["message"]
    assert "IDLE" in message and "pause" in message and "terminate" in message
    assert refused.data is None
    # Nothing was written: revision and history unchanged.
    history = await _history(api, token, agent["id"])
    assert history["revision"] == 1 and history["statusHistory"]["totalCount"] == 1


async def test_expected_revision_mismatch_is_a_conflict(api: GraphQLClient, world: World) -> None:
    token = world.owner["token"]
    agent = await world.spawn(api)
    stale = await _move(api, token, PAUSE, agent["id"], expectedRevision=7)
    assert stale.code == "CONFLICT"
    assert stale.errors[0]["extensions"]["currentRevision"] == 1
    fresh = await _move(api, token, PAUSE, agent["id"], expectedRevision=1)
    assert fresh.data["pauseAgent"]["agent"]["revision"] == 2


async def test_spawning_from_an_inactive_type_is_a_validation_error(
    api: GraphQLClient, world: World
) -> None:
    inactive = await factories.create_agent_type(api, world.admin["token"], isActive=False)
    result = await api.execute(
        """mutation($input: SpawnAgentInput!) { spawnAgent(input: $input) { id } }""",
        {"input": {"projectId": world.project_id, "agentTypeId": inactive, "name": "Should Fail"}},
        token=world.owner["token"],
    )
    assert result.code == "VALIDATION_ERROR"
    assert result.errors[0]["extensions"]["field"] == "input.agentTypeId"


async def test_duplicate_names_are_refused_within_a_project(
    api: GraphQLClient, world: World
) -> None:
    await world.spawn(api, "Twin")
    result = await api.execute(
        """mutation($input: SpawnAgentInput!) { spawnAgent(input: $input) { id } }""",
        {"input": {"projectId": world.project_id, "agentTypeId": world.type_id, "name": "Twin"}},
        token=world.owner["token"],
    )
    assert result.code == "VALIDATION_ERROR"
    assert result.errors[0]["extensions"]["field"] == "input.name"


async def test_three_spawned_agents_make_a_connection_of_three(
    api: GraphQLClient, world: World
) -> None:
    for i in range(3):
        await world.spawn(api, f"Agent {i + 1}")
    data = await api.ok(
        """query($id: ID!) { project(id: $id) { agents { totalCount edges { node { name status } } } } }""",
        {"id": world.project_id},
        token=world.owner["token"],
    )
    agents = data["project"]["agents"]
    assert agents["totalCount"] == 3
    assert [e["node"]["name"] for e in agents["edges"]] == ["Agent 1", "Agent 2", "Agent 3"]


async def test_fifty_concurrent_moves_leave_a_chain_of_legal_moves(
    api: GraphQLClient, world: World, app: Starlette
) -> None:
    token = world.owner["token"]
    agent = await world.spawn(api)
    mutations = [PAUSE, RESUME, PAUSE, RESUME, PAUSE, RESUME, PAUSE, RESUME, PAUSE, TERMINATE] * 5
    results = await asyncio.gather(*(_move(api, token, m, agent["id"]) for m in mutations))
    succeeded = 0
    for result in results:
        if result.errors:
            assert result.code in {"INVALID_TRANSITION", "CONFLICT"}, result.errors
        else:
            succeeded += 1
    history = await _history(api, token, agent["id"])
    transitions = [e["node"] for e in history["statusHistory"]["edges"]]
    _assert_chain(transitions)
    assert len(transitions) == succeeded + 1  # plus the spawn
    assert history["revision"] == succeeded + 1
    assert history["status"] == transitions[0]["toStatus"]
    legal = {
        ("IDLE", "PAUSED"),
        ("PAUSED", "IDLE"),
        ("IDLE", "TERMINATED"),
        ("PAUSED", "TERMINATED"),
    }
    assert all((t["fromStatus"], t["toStatus"]) in legal for t in transitions[:-1])


async def test_other_users_cannot_move_an_agent(
    api: GraphQLClient, world: World, stranger: dict[str, Any]
) -> None:
    agent = await world.spawn(api)
    result = await _move(api, stranger["token"], PAUSE, agent["id"])
    assert result.code == "NOT_FOUND"
    assert (await _history(api, world.owner["token"], agent["id"]))["revision"] == 1


async def test_malformed_and_foreign_ids_are_validation_errors(
    api: GraphQLClient, world: World
) -> None:
    token = world.owner["token"]
    malformed = await _move(api, token, PAUSE, "not-an-id")
    assert malformed.code == "VALIDATION_ERROR"
    assert malformed.errors[0]["extensions"]["field"] == "input.id"
    wrong_type = await _move(api, token, PAUSE, world.project_id)
    assert wrong_type.code == "VALIDATION_ERROR"


async def test_a_move_costs_three_statements(
    api: GraphQLClient, world: World, app: Starlette
) -> None:
    """Between BEGIN and COMMIT: the agent locked (with its visibility), the agent updated, the
    event appended (lock, event, transition, NOTIFY: one statement); the answer's fields read
    nothing more (the caller's viewer is cached)."""
    from tests.conftest import BACKGROUND_TASKS
    from tests.support.sql_counter import StatementCounter

    token = world.owner["token"]
    agent = await world.spawn(api, "Counted")
    await _move(api, token, PAUSE, agent["id"])  # the viewer is cached from here on
    with StatementCounter(app.state.services.database, BACKGROUND_TASKS) as counter:
        moved = await _move(api, token, RESUME, agent["id"])
    assert moved.data["resumeAgent"]["agent"]["status"] == "IDLE", moved
    assert counter.count == 3, [s[:60] for s in counter.statements]
