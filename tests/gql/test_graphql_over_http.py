"""GraphQL over HTTP: application/graphql-response+json with the spec's status codes when the
client prefers it, application/json by default, queries over GET, mutations never over GET."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from gql.compiled.endpoint import CompiledReads
from tests.gql.conftest import World
from tests.support.api import GraphQLClient

ME = "query Me { me { id } }"
BROKEN = "query Broken { me { noSuchField } }"
SPAWN = "mutation Spawn($input: SpawnAgentInput!) { spawnAgent(input: $input) { id } }"
PROJECT = "query P($id: ID!) { project(id: $id) { id name } }"
GRAPHQL_RESPONSE = "application/graphql-response+json"
PREFERS_NEW = {"Accept": f"{GRAPHQL_RESPONSE}, application/json;q=0.9"}


def _compiled(app: Starlette) -> CompiledReads:
    endpoint: Any = next(r for r in app.routes if getattr(r, "path", "") == "/graphql")
    layer = endpoint.app
    while not isinstance(layer, CompiledReads):
        layer = layer.app
    return layer


def _auth(world: World, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.owner['token']}", **headers}


async def _post(api: GraphQLClient, query: str, headers: dict[str, str]) -> httpx.Response:
    return await api.http.post("/graphql", json={"query": query}, headers=headers)


async def test_graphql_response_json_has_the_specs_status_codes(
    api: GraphQLClient, world: World
) -> None:
    ok = await _post(api, ME, _auth(world, **PREFERS_NEW))
    assert ok.status_code == 200 and ok.headers["content-type"] == GRAPHQL_RESPONSE
    assert ok.json()["data"]["me"]["id"]
    # A document that does not validate never executed: no data, 400.
    broken = await _post(api, BROKEN, _auth(world, **PREFERS_NEW))
    assert broken.status_code == 400 and broken.headers["content-type"] == GRAPHQL_RESPONSE
    assert "data" not in broken.json()
    assert broken.json()["errors"][0]["extensions"]["code"] == "VALIDATION_ERROR"
    # An error while executing (no caller for a field that needs one) is still a 200 with data.
    anonymous = await _post(api, ME, PREFERS_NEW)
    assert anonymous.status_code == 200 and "data" in anonymous.json()
    assert anonymous.json()["errors"][0]["path"] == ["me"]
    # Refused before GraphQL (not JSON): 400, in the negotiated type too.
    garbage = await api.http.post(
        "/graphql", content=b"{", headers={"Content-Type": "application/json", **PREFERS_NEW}
    )
    assert garbage.status_code == 400 and garbage.headers["content-type"] == GRAPHQL_RESPONSE
    for response in (ok, broken, anonymous, garbage):
        assert response.headers["vary"] == "Accept"


@pytest.mark.parametrize(
    "accept", [None, "application/json", "*/*", f"application/json, {GRAPHQL_RESPONSE};q=0.5"]
)
async def test_application_json_stays_the_default(
    api: GraphQLClient, world: World, accept: str | None
) -> None:
    headers = _auth(world, **({"Accept": accept} if accept else {}))
    broken = await _post(api, BROKEN, headers)
    assert broken.status_code == 200 and broken.headers["content-type"] == "application/json"
    assert broken.json()["data"] is None
    assert broken.headers["vary"] == "Accept"


async def test_queries_run_over_get(api: GraphQLClient, world: World, app: Starlette) -> None:
    served = _compiled(app).served
    me = await api.http.get("/graphql", params={"query": ME}, headers=_auth(world))
    assert me.status_code == 200 and me.json()["data"]["me"]["id"]
    assert _compiled(app).served == served + 1  # the compiled read path answers GETs too
    project = await api.http.get(
        "/graphql",
        params={"query": PROJECT, "variables": json.dumps({"id": world.project_id})},
        headers=_auth(world),
    )
    assert project.json()["data"]["project"]["id"] == world.project_id
    bad = await api.http.get("/graphql", params={"query": PROJECT, "variables": "{"})
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["extensions"] == {
        "code": "VALIDATION_ERROR",
        "field": "variables",
    }
    missing = await api.http.get("/graphql", headers={"Accept": "application/json"})
    assert missing.status_code == 400
    assert missing.json()["errors"][0]["extensions"]["field"] == "query"


async def test_a_mutation_over_get_is_405_and_changes_nothing(
    api: GraphQLClient, world: World
) -> None:
    variables = {
        "input": {"projectId": world.project_id, "agentTypeId": world.type_id, "name": "Got"}
    }
    response = await api.http.get(
        "/graphql",
        params={"query": SPAWN, "variables": json.dumps(variables)},
        headers=_auth(world, **PREFERS_NEW),
    )
    assert response.status_code == 405 and response.headers["allow"] == "POST"
    assert response.headers["content-type"] == GRAPHQL_RESPONSE
    assert response.json()["errors"][0]["extensions"]["code"] == "VALIDATION_ERROR"
    agents = "query($id: ID!) { project(id: $id) { agents { totalCount } } }"
    listed = await api.ok(agents, {"id": world.project_id}, token=world.owner["token"])
    assert listed["project"]["agents"]["totalCount"] == 0


@pytest.mark.parametrize(
    ("content_type", "status"),
    [
        ("application/json", 200),
        ("Application/JSON", 200),
        ("application/json; charset=utf-8", 200),
        ("application/json;charset=UTF-8", 200),
        (" application/json ", 200),
        ("application/json; charset=latin-1", 415),
        ("application/jsonx", 415),
        ("application/json-seq", 415),
        ("text/json", 415),
    ],
)
async def test_json_is_recognised_however_it_is_spelled(
    api: GraphQLClient, app: Starlette, content_type: str, status: int
) -> None:
    compiled = _compiled(app)
    served = compiled.served
    response = await api.http.post(
        "/graphql", content=b'{"query": "{ __typename }"}', headers={"Content-Type": content_type}
    )
    assert response.status_code == status, response.text
    if status == 200:
        assert response.json() == {"data": {"__typename": "Query"}}
        assert compiled.served == served + 1  # the compiled path knows it for JSON too
    else:
        assert response.json()["errors"][0]["extensions"]["field"] == "body"
