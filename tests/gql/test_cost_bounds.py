"""The cost model bounds the answer: every list is capped on write (domain/bounds.py) and
costed at its cap (gql/limits.py), so no response holds more objects than its computed cost.

The data sits at the caps (50 configs, 50 capabilities, a plan of 100 steps, as many checkpoints
as the execution may hold), and systematic documents of many aliases are sent through the API;
the objects in each answer are counted and compared with ``measure``.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from graphql import (
    get_named_type,
    get_nullable_type,
    is_input_object_type,
    is_leaf_type,
    is_list_type,
)
from starlette.applications import Starlette

from agentgraph.bootstrap import create_app
from agentgraph.settings import Settings
from domain.bounds import (
    MAX_CAPABILITIES_PER_AGENT,
    MAX_CHECKPOINTS_PER_EXECUTION,
    MAX_CONFIGS_PER_AGENT,
    MAX_STEPS_PER_PLAN,
)
from gql.limits import LIST_BOUNDS, SPEC_LIMITS, measure
from gql.schema import build_schema
from tests.gql.conftest import SPAWN
from tests.gql.execution_helpers import SAVE_CHECKPOINT, Runtime, step
from tests.support import factories
from tests.support.api import GraphQLClient

SCHEMA = build_schema()._schema

SET_CONFIG = """
mutation($input: SetAgentConfigInput!) { setAgentConfig(input: $input) { key } }
"""
REGISTER_CAPABILITY = """
mutation($input: RegisterCapabilityInput!) { registerCapability(input: $input) { name } }
"""


def _configs(count: int) -> list[dict[str, Any]]:
    return [{"key": f"k{i}", "value": str(i)} for i in range(count)]


def _capabilities(count: int) -> list[dict[str, Any]]:
    return [{"name": f"cap{i}", "version": "1.0.0"} for i in range(count)]


def test_every_list_of_objects_has_a_bound() -> None:
    unbounded = []
    for type_ in SCHEMA.type_map.values():
        fields = getattr(type_, "fields", None)
        if type_.name.startswith("__") or not fields or is_input_object_type(type_):
            continue
        for name, field in fields.items():
            listed = is_list_type(get_nullable_type(field.type))
            of_objects = listed and not is_leaf_type(get_named_type(field.type))
            if of_objects and name != "edges" and (type_.name, name) not in LIST_BOUNDS:
                unbounded.append(f"{type_.name}.{name}")
    assert unbounded == []


@pytest.fixture
async def unmetered(settings: Settings, database_url: str, tmp_path: Path) -> AsyncIterator[Any]:
    """The server without the budget over time: documents here cost up to the query limit."""
    free = settings.model_copy(update={"rate_limit_points": 0, "data_dir": tmp_path})
    app: Starlette = create_app(free, database_url=database_url)
    async with (
        app.router.lifespan_context(app),
        GraphQLClient.for_app(app) as api,
    ):
        yield api


@pytest.fixture
async def full(unmetered: GraphQLClient, app: Starlette) -> dict[str, Any]:
    """An agent whose lists are at their caps, and what was refused on the way there."""
    api = unmetered
    admin = await factories.superuser(api, app)
    owner = await factories.register(api)
    token = owner["token"]
    type_id = await factories.create_agent_type(api, admin["token"])
    project_id = await factories.create_project(api, token)
    base = {"projectId": project_id, "agentTypeId": type_id}
    refused = {}
    too_many = {**base, "name": "Too many", "configs": _configs(MAX_CONFIGS_PER_AGENT + 1)}
    refused["spawn.configs"] = await api.error(SPAWN, {"input": too_many}, token=token)
    too_many = {
        **base,
        "name": "Too capable",
        "capabilities": _capabilities(MAX_CAPABILITIES_PER_AGENT + 1),
    }
    refused["spawn.capabilities"] = await api.error(SPAWN, {"input": too_many}, token=token)
    at_caps = {
        **base,
        "name": "Full",
        "configs": _configs(MAX_CONFIGS_PER_AGENT),
        "capabilities": _capabilities(MAX_CAPABILITIES_PER_AGENT),
    }
    agent = (await api.ok(SPAWN, {"input": at_caps}, token=token))["spawnAgent"]
    one_more = {"agentId": agent["id"], "key": "one_more", "value": "x"}
    refused["setAgentConfig"] = await api.error(SET_CONFIG, {"input": one_more}, token=token)
    replaced = {"agentId": agent["id"], "key": "k0", "value": "replaced"}
    assert (await api.ok(SET_CONFIG, {"input": replaced}, token=token))["setAgentConfig"]
    one_more = {"agentId": agent["id"], "name": "cap_more", "version": "1.0.0"}
    refused["registerCapability"] = await api.error(
        REGISTER_CAPABILITY, {"input": one_more}, token=token
    )
    runtime = Runtime(api, token)
    started = await runtime.start(agent["id"])
    saved = 0
    while True:
        result = await runtime.call(SAVE_CHECKPOINT, id=started["id"], name=f"c{saved}", data={})
        if result.errors:
            refused["saveCheckpoint.beforePlan"] = result
            break
        saved += 1
    plan = [step(f"tool{i}") for i in range(MAX_STEPS_PER_PLAN)]
    await runtime.submit(started["id"], plan)
    while True:
        result = await runtime.call(SAVE_CHECKPOINT, id=started["id"], name=f"c{saved}", data={})
        if result.errors:
            refused["saveCheckpoint.afterPlan"] = result
            break
        saved += 1
    return {
        "api": api,
        "token": token,
        "agent": agent["id"],
        "execution": started["id"],
        "project": project_id,
        "saved": saved,
        "refused": refused,
    }


async def test_writes_past_a_bound_are_refused_naming_the_field(full: dict[str, Any]) -> None:
    fields = {
        name: (result.code, result.errors[0]["extensions"].get("field"))
        for name, result in full["refused"].items()
    }
    assert fields == {
        "spawn.configs": ("VALIDATION_ERROR", "input.configs"),
        "spawn.capabilities": ("VALIDATION_ERROR", "input.capabilities"),
        "setAgentConfig": ("VALIDATION_ERROR", "input.key"),
        "registerCapability": ("VALIDATION_ERROR", "input.name"),
        "saveCheckpoint.beforePlan": ("VALIDATION_ERROR", "executionId"),
        "saveCheckpoint.afterPlan": ("VALIDATION_ERROR", "executionId"),
    }
    api, token = full["api"], full["token"]
    data = await api.ok(
        "query($id: ID!) { agent(id: $id) { configs { key } capabilities { name } } }",
        {"id": full["agent"]},
        token=token,
    )
    assert len(data["agent"]["configs"]) == MAX_CONFIGS_PER_AGENT
    assert len(data["agent"]["capabilities"]) == MAX_CAPABILITIES_PER_AGENT
    data = await api.ok(
        "query($id: ID!) { execution(id: $id) { steps { index } checkpoints { name } } }",
        {"id": full["execution"]},
        token=token,
    )
    # Every step of the plan may still succeed, each with its checkpoint: room is kept.
    checkpoints = len(data["execution"]["checkpoints"])
    assert checkpoints == full["saved"] + 1  # and the plan's own
    assert checkpoints + MAX_STEPS_PER_PLAN == MAX_CHECKPOINTS_PER_EXECUTION
    assert len(data["execution"]["steps"]) == MAX_STEPS_PER_PLAN


# --- generated documents -----------------------------------------------------------------------

_AGENT_PIECES = [
    "configs { key value }",
    "capabilities { name version }",
    "agentType { name }",
    "project { name owner { email } }",
    "statusHistory(first: 5) { totalCount pageInfo { hasNextPage } edges { node { toStatus } } }",
    "executions(first: 2) { edges { node { id steps { index } checkpoints { name } } } }",
    "approvals(first: 3) { totalCount edges { cursor node { id } } }",
]
_EXECUTION_PIECES = [
    "steps { index tool }",
    "checkpoints { name }",
    "agent { name configs { key } }",
    "steps { approval { id } }",
]


def _agent_selection(rng: random.Random) -> str:
    return " ".join(["id", *rng.sample(_AGENT_PIECES, rng.randint(1, len(_AGENT_PIECES)))])


def _root(rng: random.Random, ids: dict[str, str]) -> str:
    kind = rng.randrange(4)
    if kind == 0:
        return f'agent(id: "{ids["agent"]}") {{ {_agent_selection(rng)} }}'
    if kind == 1:
        pieces = rng.sample(_EXECUTION_PIECES, rng.randint(1, len(_EXECUTION_PIECES)))
        return f'execution(id: "{ids["execution"]}") {{ id {" ".join(pieces)} }}'
    if kind == 2:
        return (
            f'nodes(ids: ["{ids["agent"]}", "{ids["execution"]}"]) {{ id '
            f"... on Agent {{ {_agent_selection(rng)} }} "
            "... on Execution { steps { index } checkpoints { name } } }"
        )
    first = rng.choice([1, 3, 10])
    return (
        f'project(id: "{ids["project"]}") {{ name agents(first: {first}) {{ totalCount '
        f"edges {{ node {{ {_agent_selection(rng)} }} }} }} }}"
    )


def _document(rng: random.Random, ids: dict[str, str]) -> str:
    count = rng.choice([1, 2, 5, 10, 20, 30])
    return "{ " + " ".join(f"a{i}: {_root(rng, ids)}" for i in range(count)) + " }"


def objects_in(value: Any, *, edges: bool = False) -> int:
    """The objects of an answer: every JSON object, an edge and its node as one (the cost
    model's item of a page)."""
    if isinstance(value, list):
        return sum(objects_in(item, edges=edges) for item in value)
    if not isinstance(value, dict):
        return 0
    total = 1
    for key, inner in value.items():
        if edges and key == "node" and isinstance(inner, dict):
            total += objects_in(inner) - 1
        else:
            total += objects_in(inner, edges=key == "edges")
    return total


async def test_no_answer_holds_more_objects_than_its_cost(full: dict[str, Any]) -> None:
    api, token = full["api"], full["token"]
    ids = {k: full[k] for k in ("agent", "execution", "project")}
    rng = random.Random(13)
    answered = refused = 0
    largest = 0
    for _ in range(60):
        document = _document(rng, ids)
        cost = measure(SCHEMA, document).cost
        result = await api.execute(document, token=token)
        if cost > SPEC_LIMITS.max_cost:
            assert result.codes == ["QUERY_TOO_COMPLEX"], result.errors
            refused += 1
            continue
        assert not result.errors, (document, result.errors)
        objects = objects_in(result.data) - 1  # ``data`` itself is the root, not an object
        assert objects <= cost, document
        largest = max(largest, objects)
        answered += 1
    assert answered >= 30 and refused >= 1
    assert largest > 5000  # the answers are large: lists at their caps, many aliases


async def test_a_list_at_its_cap_costs_exactly_what_it_returns(full: dict[str, Any]) -> None:
    api, token = full["api"], full["token"]
    document = f'{{ agent(id: "{full["agent"]}") {{ configs {{ key }} capabilities {{ name }} }} }}'
    data = await api.ok(document, token=token)
    assert objects_in(data) - 1 == measure(SCHEMA, document).cost == 1 + 50 + 50
