"""Divergences the differential test found between the compiled read path and the resolvers,
each pinned by a request that shows it."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from collections.abc import Sequence
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from starlette.applications import Starlette

from domain.access import ANONYMOUS
from gql.compiled.planner import Root
from gql.compiled.run import Statement, run_statement
from gql.loaders.base import LoaderScope, ParamLoader
from store.database import DatabaseConnection
from store.reads.tree import Constant
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


# --- values PostgreSQL cannot take reached it: INTERNAL from the resolvers, a 500 from the
# compiled path, and one failing argument set failed every field of its loader's batch -------

METRICS_TWICE = """
query($id: ID!) {
  agent(id: $id) { wide: metrics(tags: {a: 1e400}) { totalCount } all: metrics { totalCount } }
}
"""


async def test_a_json_number_past_a_double_is_refused(
    api: GraphQLClient, reference_api: GraphQLClient, world: World
) -> None:
    agent = await world.spawn(api)
    for client in (api, reference_api):
        body = await answer(client, METRICS_TWICE, {"id": agent["id"]}, world.owner["token"])
        (error,) = json.loads(body.partition(" ")[2])["errors"]
        assert error["extensions"] == {"code": "VALIDATION_ERROR", "field": "JSON"}, body


@pytest.mark.parametrize(
    "instant",
    [
        "0001-01-01T00:00:00+14:00",  # before year 1 in UTC
        "9999-12-31T23:59:59-14:00",  # after year 9999 in UTC
        "2026-01-01T00:00:00",  # no offset: not one of ours
    ],
)
async def test_a_cursor_timestamp_out_of_range_is_not_a_valid_cursor(
    api: GraphQLClient, reference_api: GraphQLClient, world: World, instant: str
) -> None:
    agent = await world.spawn(api)
    zero = str(uuid.UUID(int=0))
    reads = [
        (
            "query($c: String) { projects(after: $c) { totalCount } }",
            _cursor("project", instant, zero),
        ),
        (
            "query($c: String) { agents(after: $c) { totalCount } }",
            _cursor("agent:created_at:asc", instant, zero),
        ),
        (
            "query($c: String, $id: ID!) { agent(id: $id) { metrics(after: $c) { totalCount } } }",
            _cursor("metric", instant, 1),
        ),
    ]
    for query, cursor in reads:
        for client in (api, reference_api):
            variables = {"c": cursor, "id": agent["id"]}
            body = await answer(client, query, variables, world.owner["token"])
            (error,) = json.loads(body.partition(" ")[2])["errors"]
            assert error["extensions"] == {"code": "VALIDATION_ERROR", "field": "after"}, body


class _Quotients(ParamLoader[int, int, int]):
    """parent // divisor, read from PostgreSQL: a divisor of 0 is an error of the database's."""

    async def fetch(
        self, conn: DatabaseConnection, parents: Sequence[int], divisor: int
    ) -> dict[int, int]:
        rows = await conn.execute(
            text("SELECT p, p / :d FROM unnest(CAST(:ps AS int[])) AS p"),
            {"d": divisor, "ps": list(parents)},
        )
        return {int(p): int(q) for p, q in rows}


async def test_one_failing_argument_set_fails_its_own_keys_only(app: Starlette) -> None:
    scope = LoaderScope(app.state.services.database, ANONYMOUS, timedelta(seconds=30))
    loader = _Quotients(scope)
    answers = await asyncio.gather(
        loader.load((6, 2)), loader.load((6, 0)), loader.load((9, 3)), return_exceptions=True
    )
    assert answers[0] == 3 and answers[2] == 3, answers
    assert isinstance(answers[1], DBAPIError) and "division by zero" in str(answers[1])


async def test_a_compiled_statement_that_fails_hands_the_request_to_the_resolvers(
    app: Starlette,
) -> None:
    root = Root("x", item=Constant("x", "x"))
    failing = Statement("SELECT (1 / $1::int)::text", (0,), (root,))
    assert await run_statement(failing, app.state.services.database) is None
    working = Statement("SELECT to_json(6 / $1::int)::text", (2,), (root,))
    assert await run_statement(working, app.state.services.database) == {"x": 3}


# --- a failing non-null field cancelled its siblings: which errors were listed depended on
# which loader finished first ------------------------------------------------------------------


async def test_every_sibling_settles_before_a_non_null_failure_decides(
    api: GraphQLClient, reference_api: GraphQLClient, world: World
) -> None:
    missing_execution = base64.b64encode(f"Execution:{uuid.UUID(int=7)}".encode()).decode()
    # Refused before any read: without settling, it cancelled the nodes' reads in flight.
    malformed_agent = base64.b64encode(b"Agent:not-a-uuid").decode()
    query = """
    query($node: ID!, $agent: ID!) {
      node(id: $node) { id }
      agent(id: $agent) { name }
      again: node(id: $node) { id }
    }
    """
    variables = {"node": missing_execution, "agent": malformed_agent}
    answers = set()
    for client in (api, reference_api) * 3:
        answers.add(await answer(client, query, variables, world.owner["token"]))
    (body,) = answers  # the same bytes every time
    errors = json.loads(body.partition(" ")[2])["errors"]
    # The nullable nodes' errors are listed too, not only the one that nulled the data.
    assert [e["path"] for e in errors] == [["again"], ["agent"], ["node"]], body
