"""Query limits (SPEC §8): refused as QUERY_TOO_COMPLEX before any resolver runs or any SQL is
sent; production mode without introspection, GraphiQL or "Did you mean" suggestions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from graphql import get_introspection_query
from starlette.applications import Starlette

from agentgraph.bootstrap import create_app
from agentgraph.settings import Settings
from gql.limits import QUERY_TOO_COMPLEX, SPEC_LIMITS, measure
from gql.schema import build_schema
from tests.gql.conftest import World
from tests.gql.test_agent_graph import FLEET
from tests.support import factories
from tests.support.api import GraphQLClient
from tests.support.sql_counter import StatementCounter
from tests.support.ws import PROTOCOLS, WSClient

SCHEMA = build_schema()._schema

# project > agents > edges > node > project > agents > edges > node > project > {leaf}
DEEP = """
query($p: ID!) { project(id: $p) { agents { edges { node { project { agents { edges { node {
  project { %s }
} } } } } } } } }
"""
DEPTH_10 = DEEP % "name"
DEPTH_11 = DEEP % "owner { email }"

TRIPLE = """
{ projects(first: 100) { edges { node {
  agents(first: 100) { edges { node {
    metrics(first: 100) { edges { node { name value } } }
  } } }
} } } }
"""


def _aliases(count: int, field: str = "__typename") -> str:
    return "{ " + " ".join(f"a{i}: {field}" for i in range(count)) + " }"


def _tokens(count: int) -> str:
    """A valid document of ``count`` tokens: 16 around a list of statuses (commas are not tokens)."""
    return "{ agents(filter: {status: [" + "IDLE " * (count - 16) + "]}) { totalCount } }"


def _logins(count: int, email: str, password: str) -> str:
    fields = " ".join(
        f'a{i}: login(input: {{email: "{email}", password: "{password}"}}) {{ accessToken }}'
        for i in range(count)
    )
    return f"mutation {{ {fields} }}"


def _fan_out(levels: int) -> str:
    """Each fragment spreads the next twice: 2^levels spreads in a few tokens per level."""
    fragments = " ".join(
        f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)
    )
    return f"query {{ ...F0 }} {fragments} fragment F{levels} on Query {{ a: __typename }}"


def _message(errors: list[dict[str, Any]]) -> str:
    """The message of the only error, which must be QUERY_TOO_COMPLEX."""
    assert [e.get("extensions", {}).get("code") for e in errors] == [QUERY_TOO_COMPLEX], errors
    return str(errors[0]["message"])


# --- depth, aliases, tokens --------------------------------------------------------------------


async def test_depth_10_runs_and_depth_11_is_refused(api: GraphQLClient, world: World) -> None:
    await world.spawn(api)
    token = world.owner["token"]
    data = await api.ok(DEPTH_10, {"p": world.project_id}, token=token)
    assert data["project"]["agents"]["edges"][0]["node"]["project"]["agents"]["edges"]
    result = await api.execute(DEPTH_11, {"p": world.project_id}, token=token)
    assert result.data is None
    assert _message(result.errors) == "Query too complex: depth 11 exceeds the limit of 10."


async def test_more_than_30_aliases_are_refused(api: GraphQLClient) -> None:
    data = await api.ok(_aliases(30))
    assert len(data) == 30
    result = await api.execute(_aliases(31))
    assert _message(result.errors) == "Query too complex: 31 aliases exceed the limit of 30."


async def test_more_than_2000_tokens_are_refused(api: GraphQLClient, world: World) -> None:
    data = await api.ok(_tokens(2000), token=world.owner["token"])
    assert data == {"agents": {"totalCount": 0}}
    result = await api.execute(_tokens(2001), token=world.owner["token"])
    assert (
        _message(result.errors) == "Query too complex: more than 2000 tokens (the limit is 2000)."
    )


async def test_a_document_too_costly_to_validate_is_too_complex(api: GraphQLClient) -> None:
    # 1,998 fields of one name: graphql-core gives up comparing them pairwise.
    result = await api.execute("{ " + "__typename " * 1998 + "}")
    assert _message(result.errors) == (
        "Query too complex: too costly to validate (validation aborted)."
    )


async def test_a_document_nested_past_the_parser_is_too_complex(api: GraphQLClient) -> None:
    document = "{" + " me {" * 300 + " id" + " }" * 301
    result = await api.execute(document)
    assert "nested too deeply" in _message(result.errors)


# --- cost ---------------------------------------------------------------------------------------


async def test_nested_pages_multiply_into_a_cost_past_the_limit(api: GraphQLClient) -> None:
    result = await api.execute(TRIPLE)
    assert _message(result.errors) == "Query too complex: cost 1020201 exceeds the limit of 20000."


def test_the_fleet_dashboard_query_costs_12005() -> None:
    # 100 agents * (edge 1 + type 1 + state 1 + configs 50 + capabilities 50
    #                + metrics page 1 + 10 metrics + history page 1 + 5 transitions)
    # + agents page 1 + pageInfo 1 + project 1 + owner 1 + agentStats 1
    fleet = measure(SCHEMA, FLEET, {"project": "x", "first": 100})
    assert fleet.cost == 12005 < SPEC_LIMITS.max_cost
    assert fleet.depth == 8 and fleet.aliases == 0
    assert measure(SCHEMA, FLEET, {"project": "x"}).cost == 2405  # first defaults to 20


async def test_the_fleet_dashboard_query_runs_with_100_per_page(
    api: GraphQLClient, world: World
) -> None:
    await world.spawn(api)
    data = await api.ok(
        FLEET, {"project": world.project_id, "first": 100}, token=world.owner["token"]
    )
    assert data["project"]["agents"]["totalCount"] == 1


PAGES = """
query($n: Int) { projects(first: $n) { edges { node {
  agents(first: $n) { edges { node { configs { key } } } }
} } } }
"""


async def test_page_sizes_given_as_variables_count(api: GraphQLClient, world: World) -> None:
    token = world.owner["token"]
    # 1 + n * (edge 1 + agents page 1 + n * (edge 1 + 50 configs))
    data = await api.ok(PAGES, {"n": 10}, token=token)
    assert len(data["projects"]["edges"]) == 1
    result = await api.execute(PAGES, {"n": 30}, token=token)
    assert _message(result.errors) == "Query too complex: cost 45961 exceeds the limit of 20000."
    with_default = PAGES.replace("$n: Int", "$n: Int = 30")
    assert measure(SCHEMA, with_default).cost == 45961
    assert measure(SCHEMA, PAGES).cost == 1 + 20 * (2 + 20 * 51)  # absent: the server's 20


def test_fragments_cost_what_their_fields_cost() -> None:
    inline = measure(SCHEMA, TRIPLE)
    named = measure(
        SCHEMA,
        """
        query { projects(first: 100) { ...Projects } }
        fragment Projects on ProjectConnection { edges { node { ...Agents } } }
        fragment Agents on Project { agents(first: 100) { edges { ... on AgentEdge { node {
          metrics(first: 100) { edges { node { ... on AgentMetric { name value } } } }
        } } } } }
        """,
    )
    assert named == inline


def test_lists_count_their_bounds_and_nodes_as_many_as_ids() -> None:
    # execution 1 + 100 steps + 200 checkpoints
    assert (
        measure(SCHEMA, "{ execution(id: 1) { steps { index } checkpoints { name } } }").cost == 301
    )
    three = '{ nodes(ids: ["a", "b", "c"]) { ... on Agent { configs { key } } } }'
    assert measure(SCHEMA, three).cost == 3 * (1 + 50)
    query = "query($ids: [ID!]!) { nodes(ids: $ids) { id } }"
    assert measure(SCHEMA, query, {"ids": ["a"] * 50}).cost == 50


async def test_a_fragment_fan_out_is_measured_without_expanding_it(api: GraphQLClient) -> None:
    # 2**40 aliases: expanding them would never finish (pytest-timeout would end the test);
    # the count in the message can only come from measuring each fragment once.
    result = await api.execute(_fan_out(40))
    assert f"{2**40} aliases exceed" in _message(result.errors)


async def test_invalid_fragments_are_validation_errors(api: GraphQLClient) -> None:
    unknown = await api.error("{ ...Missing __typename }")
    assert unknown.code == "VALIDATION_ERROR"
    cycle = await api.error(
        "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A __typename }"
    )
    assert cycle.code == "VALIDATION_ERROR"


async def test_graphiqls_introspection_query_passes_in_development(api: GraphQLClient) -> None:
    data = await api.ok(get_introspection_query(descriptions=True))
    assert any(t["name"] == "Agent" for t in data["__schema"]["types"])


# --- login ---------------------------------------------------------------------------------------


async def test_aliased_logins_are_refused_before_any_password_is_checked(
    api: GraphQLClient, sql_counter: StatementCounter
) -> None:
    session = await factories.register(api)
    sql_counter.reset()
    for _ in range(10):  # twice the failures that would rate-limit the email
        result = await api.execute(_logins(50, session["email"], "wrong password!"))
        assert {e["extensions"]["code"] for e in result.errors} == {QUERY_TOO_COMPLEX}
        assert result.data is None
    assert sql_counter.count == 0
    await factories.login(api, session["email"])  # no failure was counted


async def test_a_password_hash_costs_4000(api: GraphQLClient) -> None:
    # Under the alias limit, six logins are still refused: six password hashes (~300 ms).
    result = await api.execute(_logins(6, "nobody@example.com", "wrong password!"))
    assert _message(result.errors) == "Query too complex: cost 24000 exceeds the limit of 20000."
    five = await api.execute(_logins(5, "nobody@example.com", "wrong password!"))
    assert five.code == "UNAUTHENTICATED"  # the first failure ends the document


# --- no SQL --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "document",
    [
        DEPTH_11,
        _aliases(31),
        _tokens(2001),
        TRIPLE,
        _logins(50, "nobody@example.com", "guess-123456"),
        _fan_out(30),
    ],
    ids=["depth", "aliases", "tokens", "cost", "logins", "fan-out"],
)
async def test_a_refused_document_sends_no_sql(
    api: GraphQLClient, sql_counter: StatementCounter, document: str
) -> None:
    result = await api.execute(document, {"p": "UHJvamVjdDox"})
    assert result.errors and all(code == QUERY_TOO_COMPLEX for code in result.codes)
    assert sql_counter.statements == []


async def test_the_statement_counter_sees_a_login(
    api: GraphQLClient, sql_counter: StatementCounter
) -> None:
    # The control of the test above: the same client, counter and anonymous caller.
    result = await api.execute(_logins(1, "nobody@example.com", "guess-123456"))
    assert result.code == "UNAUTHENTICATED"
    assert sql_counter.count > 0


# --- request body -------------------------------------------------------------------------------


def _assert_413(response_status: int, body: dict[str, Any]) -> None:
    assert response_status == 413
    errors = body["errors"]
    assert isinstance(errors, list) and len(errors) == 1
    assert errors[0]["extensions"] == {"code": QUERY_TOO_COMPLEX}
    assert "1048576 bytes" in errors[0]["message"]


async def test_a_2_mib_body_is_refused_with_413(api: GraphQLClient) -> None:
    padding = " " * (2 * 1024 * 1024)
    response = await api.http.post("/graphql", json={"query": "{ __typename }" + padding})
    _assert_413(response.status_code, response.json())
    assert "2097" in response.json()["errors"][0]["message"]  # the declared size


async def test_a_streamed_body_is_cut_off_at_the_limit(api: GraphQLClient) -> None:
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal sent
        yield b'{"query": "{ __typename }'
        for _ in range(64):  # 64 * 64 KiB = 4 MiB, without a Content-Length
            sent += 1
            yield b" " * 65536
        yield b'"}'

    response = await api.http.post(
        "/graphql", content=chunks(), headers={"content-type": "application/json"}
    )
    _assert_413(response.status_code, response.json())
    assert sent <= 17  # read up to the first chunk past 1 MiB, not the rest


async def test_a_body_under_the_limit_is_served(api: GraphQLClient) -> None:
    # Padded in a variable: documents have a length limit of their own (64 KiB, below).
    padding = "x" * (1024 * 1024 - 100)
    body = {"query": "{ __typename }", "variables": {"padding": padding}}
    response = await api.http.post("/graphql", json=body)
    assert response.status_code == 200
    assert response.json()["data"] == {"__typename": "Query"}


async def test_a_document_past_its_length_is_refused_unlexed(api: GraphQLClient) -> None:
    # Whitespace is no token, but lexing a megabyte of it (or of a comment, or a string
    # literal) costs tenths of a second: documents are refused by length first.
    for filler in (" " * 70_000, "# " + "x" * 70_000 + "\n"):
        response = await api.http.post("/graphql", json={"query": "{ __typename" + filler + "}"})
        assert response.status_code == 200
        (error,) = response.json()["errors"]
        assert error["extensions"]["code"] == QUERY_TOO_COMPLEX
        assert "(the limit is 65536)" in error["message"], error
    at_limit = "{ __typename" + " " * (65536 - 13) + "}"
    assert len(at_limit) == 65536
    assert (await api.ok(at_limit)) == {"__typename": "Query"}


# --- subscriptions -------------------------------------------------------------------------------


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_subscription_documents_have_the_same_limits(
    world: World, live_url: str, protocol: str
) -> None:
    deep = """
    subscription { agentEvents { agent { project { agents { edges { node { project {
      agents { edges { node { project { name } } } }
    } } } } } } } }
    """
    client = await WSClient.open(live_url, protocol, token=world.owner["token"])
    try:
        await client.subscribe(deep)
        message = await client.receive()
        assert message["type"] == "error", message
        payload = message["payload"]  # graphql-ws sends one error, graphql-transport-ws a list
        errors = payload if isinstance(payload, list) else [payload]
        assert _message(errors) == "Query too complex: depth 12 exceeds the limit of 10."
    finally:
        await client.close()


# --- production ----------------------------------------------------------------------------------


@pytest.fixture
async def production(
    settings: Settings, database_url: str, tmp_path: Path
) -> AsyncIterator[GraphQLClient]:
    app: Starlette = create_app(
        settings.model_copy(update={"env": "production", "data_dir": tmp_path}),
        database_url=database_url,
    )
    async with app.router.lifespan_context(app), GraphQLClient.for_app(app) as client:
        yield client


@pytest.mark.parametrize(
    "document", ["{ __schema { types { name } } }", '{ __type(name: "Agent") { name } }']
)
async def test_production_refuses_introspection(production: GraphQLClient, document: str) -> None:
    result = await production.execute(document)
    assert result.data is None and set(result.codes) == {"VALIDATION_ERROR"}
    assert "introspection has been disabled" in result.errors[0]["message"]
    assert await production.ok("{ __typename }") == {"__typename": "Query"}


@pytest.mark.parametrize(
    "document",
    [
        "{ projets { totalCount } }",
        "{ projects(frist: 1) { totalCount } }",
        "{ agents(filter: {status: IDL}) { totalCount } }",
    ],
)
async def test_production_gives_no_suggestions(
    production: GraphQLClient, api: GraphQLClient, document: str
) -> None:
    development = await api.error(document)
    assert "Did you mean" in development.errors[0]["message"]
    result = await production.error(document)
    assert result.code == "VALIDATION_ERROR"
    assert "Did you mean" not in result.errors[0]["message"]
    assert result.errors[0]["message"] == development.errors[0]["message"].split(" Did you mean")[0]


async def test_production_keeps_the_limits_and_serves_no_graphiql(
    production: GraphQLClient, api: GraphQLClient
) -> None:
    assert "Query too complex" in _message((await production.execute(_aliases(31))).errors)
    html = {"accept": "text/html"}
    assert (await api.http.get("/graphql", headers=html)).status_code == 200
    assert (await production.http.get("/graphql", headers=html)).status_code != 200
