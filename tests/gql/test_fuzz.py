"""A property-based fuzz of the whole schema (hypothesis-graphql): generated queries and
mutations, with generated arguments (any characters, extreme numbers, real and made-up ids, odd
JSON and dates), sent over HTTP to a real server as the owner of a fleet, as an agent token and
as nobody. No answer may be an HTTP 5xx or carry INTERNAL (or no code at all), and right after
the run the server answers normal requests correctly.

The run is reproducible (derandomized, no example database). AGENTGRAPH_FUZZ_EXAMPLES sets how
many documents are sent (default 1,000, under a minute on a quiet machine).
"""

from __future__ import annotations

import asyncio
import json
import os
from datetime import UTC, datetime
from typing import Any

import graphql
import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import mutations, nodes, queries
from starlette.applications import Starlette

from tests.gql.conftest import World
from tests.support import factories
from tests.support.api import GraphQLClient
from tests.support.servers import http_url

EXAMPLES = int(os.environ.get("AGENTGRAPH_FUZZ_EXAMPLES", "1000"))

ME = "{ me { id email } }"


def _json_node(value: Any) -> graphql.ValueNode:
    if value is None:
        return graphql.NullValueNode()
    if isinstance(value, bool):
        return graphql.BooleanValueNode(value=value)
    if isinstance(value, int):
        return nodes.Int(value)
    if isinstance(value, float):
        return nodes.Float(value)
    if isinstance(value, str):
        return nodes.String(value)
    if isinstance(value, list):
        return graphql.ListValueNode(values=tuple(_json_node(v) for v in value))
    return graphql.ObjectValueNode(
        fields=tuple(
            graphql.ObjectFieldNode(name=graphql.NameNode(value=k), value=_json_node(v))
            for k, v in value.items()
        )
    )


_NAMES = st.from_regex(r"\A[_A-Za-z][_0-9A-Za-z]{0,8}\Z")
_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40)
_NUMBERS = st.one_of(
    st.integers(min_value=-(2**31), max_value=2**31 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([1e308, -1e308, 1.7976931348623157e308, 5e-324, 0.0, 1e100]),
)
_JSON = st.recursive(
    st.none() | st.booleans() | _NUMBERS | _TEXT,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(_NAMES, children, max_size=3),
    max_leaves=8,
).map(_json_node)
_DATES = st.one_of(
    st.datetimes(timezones=st.just(UTC)).map(datetime.isoformat),
    st.sampled_from(["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "yesterday"]),
    _TEXT,
).map(nodes.String)


def _ids(real: list[str]) -> st.SearchStrategy[graphql.ValueNode]:
    return st.one_of(st.sampled_from(real), _TEXT, st.integers().map(str)).map(nodes.String)


# Each hashes a password (on purpose slow) and is throttled: tests/gql/test_auth.py covers them.
_SLOW = {"login", "register"}


def _documents(schema: graphql.GraphQLSchema, real: list[str]) -> st.SearchStrategy[str]:
    scalars = {"ID": _ids(real), "JSON": _JSON, "DateTime": _DATES}
    options: dict[str, Any] = {"custom_scalars": scalars, "allow_x00": False, "codec": None}
    assert schema.mutation_type is not None
    writes = sorted(set(schema.mutation_type.fields) - _SLOW)
    return st.one_of(queries(schema, **options), mutations(schema, fields=writes, **options))


def _check(http: httpx.Client, document: str, token: str | None) -> None:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = http.post("/graphql", json={"query": document}, headers=headers)
    assert response.status_code < 500, (document, response.status_code, response.text)
    body = response.json()
    codes = [(e.get("extensions") or {}).get("code") for e in body.get("errors") or []]
    assert "INTERNAL" not in codes and None not in codes, (document, body)


def _fuzz(url: str, schema: graphql.GraphQLSchema, real: list[str], tokens: list[Any]) -> None:
    with httpx.Client(base_url=url.removesuffix("/graphql"), timeout=60) as http:

        @settings(
            max_examples=EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(document=_documents(schema, real), token=st.sampled_from(tokens))
        def fuzz(document: str, token: str | None) -> None:
            _check(http, document, token)

        fuzz()


async def test_generated_documents_never_get_internal_or_5xx(
    api: GraphQLClient, app: Starlette, world: World, live_url: str
) -> None:
    owner = world.owner["token"]
    agent = await world.spawn(api, "Fuzzed")
    token = await factories.agent_token(api, owner, agent["id"])
    beat = "mutation($i: HeartbeatInput!) { heartbeat(input: $i) { id } }"
    await api.ok(beat, {"i": {"agentId": agent["id"]}}, token=token["token"])
    real = [agent["id"], world.project_id, world.type_id, world.owner["user_id"], token["id"]]
    schema = app.state.graphql.schema._schema
    callers = [owner, token["token"], None]

    await asyncio.to_thread(_fuzz, http_url(live_url), schema, real, callers)

    # Normal requests are answered correctly right after.
    me = await api.ok(ME, token=owner)
    assert me["me"]["id"] == world.owner["user_id"]
    fresh = await world.spawn(api, "After")  # the fuzz may have deleted the first one
    read = "query($id: ID!) { agent(id: $id) { id name } }"
    found = await api.ok(read, {"id": fresh["id"]}, token=owner)
    assert found["agent"] == {"id": fresh["id"], "name": "After"}
    assert json.dumps(await api.ok("{ __typename }")) == '{"__typename": "Query"}'
