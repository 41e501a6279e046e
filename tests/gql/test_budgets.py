"""Each caller's budget over time: operations spend their cost; past the budget, RATE_LIMITED
with when to retry — on the compiled read path, the resolvers, and WebSocket subscriptions,
shared by every server process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Route

from agentgraph.bootstrap import create_app
from agentgraph.settings import Settings
from gql.app import AgentgraphGraphQL
from gql.compiled.endpoint import CompiledReads
from tests.support import factories
from tests.support.api import GraphQLClient
from tests.support.servers import http_url, metric, serve_process, serving, until_metric
from tests.support.ws import PROTOCOLS, WSClient

ME = "{ me { id } }"  # cost 1 (an object)
ME_AND_PROJECTS = "{ me { id } projects(first: 4) { edges { node { id } } } }"  # cost 6
CREATE_PROJECT = "mutation($i: CreateProjectInput!) { createProject(input: $i) { id } }"
EVENTS = "subscription { agentEvents { kind agent { id } } }"  # cost 2


@dataclass
class Budgeted:
    app: Starlette
    api: GraphQLClient  # the server: compiled read path in front of the resolvers
    reference: GraphQLClient  # the resolvers only, spending from the same budgets
    url: str

    @property
    def compiled(self) -> CompiledReads:
        endpoint: Any = next(r for r in self.app.routes if getattr(r, "path", "") == "/graphql")
        layer = endpoint.app
        while not isinstance(layer, CompiledReads):
            layer = layer.app
        return layer


@pytest.fixture
async def budgeted(
    settings: Settings, database_url: str, tmp_path: Path
) -> AsyncIterator[Budgeted]:
    """A server whose callers have 10 points per minute."""
    limited = settings.model_copy(update={"rate_limit_points": 10, "data_dir": tmp_path})
    app = create_app(limited, database_url=database_url)
    graphql = app.state.graphql
    view = AgentgraphGraphQL(graphql.services, replace(graphql.config, compiled_reads=False))
    reference_app = Starlette(routes=[Route("/graphql", view, methods=["POST"])])
    async with (
        serving(app) as url,
        GraphQLClient.for_app(app) as api,
        GraphQLClient.for_app(reference_app) as reference,
    ):
        yield Budgeted(app, api, reference, url)


def _refusal(body: dict[str, Any]) -> dict[str, Any]:
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "RATE_LIMITED", error
    assert error["extensions"]["limit"] == "pointsPerWindow"
    assert 0 < error["extensions"]["retryAfterSeconds"] <= 60
    return dict(error)


async def _post(api: GraphQLClient, query: str, token: str, **variables: Any) -> httpx.Response:
    return await api.http.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )


async def test_reads_spend_their_cost_until_429_with_retry_after(budgeted: Budgeted) -> None:
    user, other = await factories.register(budgeted.api), await factories.register(budgeted.api)
    served = budgeted.compiled.served
    for _ in range(10):
        assert (await _post(budgeted.api, ME, user["token"])).status_code == 200
    assert budgeted.compiled.served == served + 10  # answered by the compiled read path
    refused = await _post(budgeted.api, ME, user["token"])
    assert refused.status_code == 429
    error = _refusal(refused.json())
    assert refused.json()["data"] is None
    retry_after = int(refused.headers["Retry-After"])
    assert 1 <= retry_after <= 60 and retry_after >= error["extensions"]["retryAfterSeconds"]
    # Another caller has a budget of their own; registering (anonymous) spent nothing.
    assert (await _post(budgeted.api, ME, other["token"])).status_code == 200


async def test_an_operation_spends_what_it_costs(budgeted: Budgeted) -> None:
    user = await factories.register(budgeted.api)
    assert (await _post(budgeted.api, ME_AND_PROJECTS, user["token"])).status_code == 200  # 6
    assert (await _post(budgeted.api, ME_AND_PROJECTS, user["token"])).status_code == 429  # 12
    for _ in range(4):  # what is left: 4 points
        assert (await _post(budgeted.api, ME, user["token"])).status_code == 200
    assert (await _post(budgeted.api, ME, user["token"])).status_code == 429


async def test_the_compiled_path_and_the_resolvers_spend_one_budget_and_refuse_alike(
    budgeted: Budgeted,
) -> None:
    user = await factories.register(budgeted.api)
    for n in range(5):  # mutations: the resolvers
        variables = {"i": {"name": "P", "slug": factories.unique("p")}}
        response = await _post(budgeted.reference, CREATE_PROJECT, user["token"], **variables)
        assert response.status_code == 200 and "errors" not in response.json(), n
    for _ in range(5):
        assert (await _post(budgeted.api, ME, user["token"])).status_code == 200
    compiled = await _post(budgeted.api, ME, user["token"])
    reference = await _post(budgeted.reference, ME, user["token"])
    assert compiled.status_code == reference.status_code == 429
    first, second = _refusal(compiled.json()), _refusal(reference.json())
    for error in (first, second):
        error["extensions"].pop("retryAfterSeconds")
        error["message"] = error["message"].rpartition("retry in")[0]
    assert first == second


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_subscriptions_spend_their_cost_when_they_start(
    budgeted: Budgeted, protocol: str
) -> None:
    user = await factories.register(budgeted.api)
    for _ in range(8):
        assert (await _post(budgeted.api, ME, user["token"])).status_code == 200
    client = await WSClient.open(budgeted.url, protocol, token=user["token"])
    try:
        before = await metric(budgeted.url, "agentgraph_subscriptions_started")
        await client.subscribe(EVENTS)  # 2 points: the last two
        await until_metric(
            budgeted.url, "agentgraph_subscriptions_started", before + 1
        )  # accepted, not refused
        await client.subscribe(EVENTS)
        message = await client.receive()
        assert message["type"] == "error", message
        payload = message["payload"]
        _refusal({"errors": payload if isinstance(payload, list) else [payload]})
    finally:
        await client.close()
    assert (await _post(budgeted.api, ME, user["token"])).status_code == 429


async def test_every_server_process_spends_from_one_budget(
    settings: Settings,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Windows are aligned to the epoch: one that cannot end during the test (a start-up of the
    # second process on a loaded machine can outlast a minute's window).
    window = {"rate_limit_points": 10, "rate_limit_window_s": 10**9, "data_dir": tmp_path}
    app = create_app(settings.model_copy(update=window), database_url=database_url)
    async with app.router.lifespan_context(app), GraphQLClient.for_app(app) as api:
        user = await factories.register(api)
        for _ in range(10):
            assert (await _post(api, ME, user["token"])).status_code == 200
        await app.state.services.budgets.flush()  # shared (within a second, otherwise)
    monkeypatch.setenv("AGENTGRAPH_RATE_LIMIT_POINTS", "10")
    monkeypatch.setenv("AGENTGRAPH_RATE_LIMIT_WINDOW_S", str(10**9))
    (tmp_path / "other").mkdir()
    other = serve_process(database_url, settings.secret_key or "", tmp_path / "other")
    async with other as url, httpx.AsyncClient(timeout=30) as http:
        refused = await http.post(
            http_url(url), json={"query": ME}, headers={"Authorization": f"Bearer {user['token']}"}
        )
    # Its first sight of this caller in the window reads what the others spent.
    assert refused.status_code == 429, refused.text
    (error,) = refused.json()["errors"]
    assert error["extensions"]["code"] == "RATE_LIMITED", error
    assert error["extensions"]["limit"] == "pointsPerWindow"


async def test_without_a_budget_nothing_is_refused(
    settings: Settings, database_url: str, tmp_path: Path
) -> None:
    free = settings.model_copy(update={"rate_limit_points": 0, "data_dir": tmp_path})
    app = create_app(free, database_url=database_url)
    async with app.router.lifespan_context(app), GraphQLClient.for_app(app) as api:
        user = await factories.register(api)
        for _ in range(30):
            assert (await _post(api, ME, user["token"])).status_code == 200
