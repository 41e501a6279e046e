"""Both read paths of one server, side by side, and how many requests the compiled one served."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from starlette.applications import Starlette

from gql.compiled.endpoint import CompiledReads
from tests.support.api import GraphQLClient


def compiled_reads(app: Starlette) -> CompiledReads:
    """The compiled read path in front of ``app``'s /graphql view."""
    endpoint: Any = next(r for r in app.routes if getattr(r, "path", "") == "/graphql")
    layer = endpoint.app
    while not isinstance(layer, CompiledReads):
        layer = layer.app
    return layer


async def answer(
    client: GraphQLClient, query: str, variables: Any = None, token: str | None = None
) -> str:
    """The status and body of a POST /graphql, as the client received them."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await client.http.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )
    return f"{response.status_code} {response.text}"


@dataclass
class Both:
    compiled: GraphQLClient
    reference: GraphQLClient
    app: Starlette

    async def same(self, query: str, variables: Any = None, token: str | None = None) -> str:
        """The answer both paths give (the test fails when they differ), after checking that
        the compiled path served it itself."""
        served = compiled_reads(self.app).served
        compiled = await answer(self.compiled, query, variables, token)
        assert compiled_reads(self.app).served == served + 1, f"not compiled: {compiled}"
        reference = await answer(self.reference, query, variables, token)
        assert compiled == reference
        return compiled


@pytest.fixture
def both(api: GraphQLClient, reference_api: GraphQLClient, app: Starlette) -> Both:
    return Both(api, reference_api, app)
