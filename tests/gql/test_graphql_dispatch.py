"""HTTP /graphql goes straight to its endpoint (agentgraph/http.py, ``AgentgraphApp``): for every
kind of request, the same status, headers and body as through Starlette's routing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.types import Receive, Scope, Send

from agentgraph.http import AgentgraphApp
from tests.gql.conftest import World
from tests.support.api import GraphQLClient

TOO_BIG = 2 * 1024 * 1024


@pytest.fixture
async def routed(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """The same app, every request through Starlette's middleware stack and router."""

    async def through_the_router(scope: Scope, receive: Receive, send: Send) -> None:
        await Starlette.__call__(app, scope, receive, send)

    async with GraphQLClient.for_app(through_the_router) as client:
        yield client.http


def _requests(token: str) -> list[tuple[str, str, dict[str, Any]]]:
    bearer = {"Authorization": f"Bearer {token}"}
    return [
        ("POST", "/graphql", {"json": {"query": "{ __typename }"}}),
        ("POST", "/graphql", {"json": {"query": "query Me { me { email } }"}, "headers": bearer}),
        ("POST", "/graphql", {"json": {"query": "{ me { email } }"}}),
        ("POST", "/graphql", {"json": {"query": "{ nope }"}}),
        ("POST", "/graphql", {"json": {"query": "mutation { logout }"}, "headers": bearer}),
        ("POST", "/graphql", {"content": b"{", "headers": {"Content-Type": "application/json"}}),
        ("POST", "/graphql", {"content": b"query=x", "headers": {"Content-Type": "text/plain"}}),
        ("POST", "/graphql", {"content": b"[]", "headers": {"Content-Type": "application/json"}}),
        ("POST", "/graphql", {"content": b"x" * TOO_BIG}),
        (
            "POST", "/graphql",
            {"json": {"query": "{ __typename }"}, "headers": {"Accept": "application/graphql-response+json"}},
        ),
        ("POST", "/graphql", {"json": {"query": "{ __typename }"}, "headers": {"Origin": "https://x.test"}}),
        ("GET", "/graphql", {"params": {"query": "{ __typename }"}}),
        ("GET", "/graphql", {"params": {"query": "mutation { logout }"}}),
        ("GET", "/graphql", {"headers": {"Accept": "text/html"}}),
        ("PUT", "/graphql", {"json": {"query": "{ __typename }"}}),
        ("DELETE", "/graphql", {}),
        ("OPTIONS", "/graphql", {"headers": {"Origin": "https://x.test"}}),
        ("POST", "/graphql/", {"json": {"query": "{ __typename }"}}),
        ("POST", "/graphq", {"json": {"query": "{ __typename }"}}),
        ("GET", "/healthz", {}),
    ]  # fmt: skip


def _seen(response: httpx.Response) -> tuple[int, list[tuple[str, str]], bytes]:
    headers = sorted((k, v) for k, v in response.headers.items() if k != "x-request-id")
    return response.status_code, headers, response.content


async def test_the_same_answers_as_through_the_router(
    app: Starlette, api: GraphQLClient, routed: httpx.AsyncClient, world: World
) -> None:
    assert isinstance(app, AgentgraphApp)
    for method, path, options in _requests(world.owner["token"]):
        direct = await api.http.request(method, path, **options)
        through = await routed.request(method, path, **options)
        assert _seen(direct) == _seen(through), (method, path, options)
        assert direct.headers["x-request-id"] and through.headers["x-request-id"]
