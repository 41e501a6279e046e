"""Divergences the differential test found between the compiled read path and the resolvers,
each pinned by a request that shows it."""

from __future__ import annotations

import base64
import json

from tests.gql.compiled.conftest import Both, answer
from tests.gql.conftest import World
from tests.support import factories
from tests.support.api import GraphQLClient

RECORD = """
mutation($agent: ID!, $metrics: [MetricInput!]!) {
  recordMetrics(agentId: $agent, metrics: $metrics) { accepted }
}
"""
SET_CONFIG = "mutation($input: SetAgentConfigInput!) { setAgentConfig(input: $input) { id } }"
DEACTIVATE = """
mutation($id: ID!) { updateAgentType(id: $id, input: {isActive: false}) { isActive } }
"""
AGENT_TYPES = """
query($activeOnly: Boolean) {
  agentTypes(activeOnly: $activeOnly) { totalCount edges { node { name isActive } } }
}
"""


def _cursor(*values: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


# --- a superuser's agentTypes(activeOnly: false) counted one row of nothing -----------------


async def test_a_superuser_counts_inactive_agent_types_too(both: Both, world: World) -> None:
    inactive = await factories.create_agent_type(both.compiled, world.admin["token"])
    await both.compiled.ok(DEACTIVATE, {"id": inactive}, token=world.admin["token"])
    body = await both.same(AGENT_TYPES, {"activeOnly": False}, world.admin["token"])
    connection = json.loads(body.partition(" ")[2])["data"]["agentTypes"]
    assert connection["totalCount"] == len(connection["edges"]) == 2


async def test_others_count_active_agent_types_only(both: Both, world: World) -> None:
    inactive = await factories.create_agent_type(both.compiled, world.admin["token"])
    await both.compiled.ok(DEACTIVATE, {"id": inactive}, token=world.admin["token"])
    for token, variables in (
        (world.owner["token"], {"activeOnly": False}),
        (world.admin["token"], {"activeOnly": True}),
    ):
        body = await both.same(AGENT_TYPES, variables, token)
        connection = json.loads(body.partition(" ")[2])["data"]["agentTypes"]
        assert connection["totalCount"] == len(connection["edges"]) == 1


# --- a cursor holding a NUL reached PostgreSQL (a 500 on one path, INTERNAL on the other) ----


async def test_a_cursor_holding_a_nul_is_not_a_valid_cursor(
    api: GraphQLClient, reference_api: GraphQLClient, world: World
) -> None:
    hostile = _cursor("agent-type", "a\x00", "00000000-0000-0000-0000-000000000000")
    query = "query($after: String) { agentTypes(after: $after) { totalCount } }"
    for client in (api, reference_api):
        body = await answer(client, query, {"after": hostile}, world.owner["token"])
        status, _, text = body.partition(" ")
        assert status == "200"
        (error,) = json.loads(text)["errors"]
        assert error["extensions"] == {"code": "VALIDATION_ERROR", "field": "after"}


# --- errors came in the order the loaders happened to finish ---------------------------------


async def test_errors_are_listed_in_the_order_of_the_answer(
    api: GraphQLClient, reference_api: GraphQLClient, world: World
) -> None:
    agent = await world.spawn(api)
    missing = [
        base64.b64encode(f"{kind}:00000000-0000-0000-0000-00000000000{i}".encode()).decode()
        for i, kind in enumerate(["Execution", "Agent", "Approval", "AgentConfig", "Project"])
    ]
    ids = [missing[0], agent["id"], "nonsense", *missing[1:]]
    query = "query($ids: [ID!]!) { nodes(ids: $ids) { id } }"
    answers = set()
    for client in (api, reference_api, api, reference_api):
        body = await answer(client, query, {"ids": ids}, world.owner["token"])
        answers.add(body)
        errors = json.loads(body.partition(" ")[2])["errors"]
        assert [e["path"] for e in errors] == [["nodes", i] for i in (0, 2, 3, 4, 5, 6)]
    assert len(answers) == 1


# --- float -0.0 was written 0.0 by PostgreSQL, -0.0 by Python ---------------------------------


async def test_negative_zero_is_spelled_as_the_resolvers_spell_it(both: Both, world: World) -> None:
    agent = await world.spawn(both.compiled)
    token = world.owner["token"]
    points = [{"name": "drift", "value": v} for v in (-0.0, 0.0, -1.5)]
    await both.compiled.ok(RECORD, {"agent": agent["id"], "metrics": points}, token=token)
    query = """
    query($id: ID!) { agent(id: $id) { configs { typedValue } metrics { edges { node { value } } } } }
    """
    for value, spelled in (("-0.0", "-0.0"), ("-0", "-0.0"), ("0.0", "0.0"), ("-2", "-2.0")):
        config = {"agentId": agent["id"], "key": "k", "value": value, "valueType": "FLOAT"}
        await both.compiled.ok(SET_CONFIG, {"input": config}, token=token)
        body = await both.same(query, {"id": agent["id"]}, token)
        assert f'"configs":[{{"typedValue":{spelled}}}]' in body, body
        assert '[{"node":{"value":-1.5}},{"node":{"value":0.0}},{"node":{"value":-0.0}}]' in body
