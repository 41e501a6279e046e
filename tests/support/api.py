"""A GraphQL client for tests: sends documents over HTTP as a real client does."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.types import ASGIApp


@dataclass
class Result:
    status: int
    data: dict[str, Any] | None
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def codes(self) -> list[str]:
        return [e.get("extensions", {}).get("code") for e in self.errors]

    @property
    def code(self) -> str | None:
        """The code of the only error (fails the test when there are several)."""
        assert len(self.errors) <= 1, self.errors
        return self.codes[0] if self.errors else None


class GraphQLClient:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    @classmethod
    @asynccontextmanager
    async def for_app(cls, app: ASGIApp) -> AsyncIterator[GraphQLClient]:
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(
            transport=transport, base_url="http://agentgraph.test"
        ) as http:
            yield cls(http)

    async def execute(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Result:
        all_headers = dict(headers or {})
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=all_headers
        )
        body = response.json()
        return Result(response.status_code, body.get("data"), body.get("errors") or [])

    async def ok(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None
    ) -> dict[str, Any]:
        """Execute and require success; returns ``data``."""
        result = await self.execute(query, variables, token=token)
        assert not result.errors, result.errors
        assert result.data is not None
        return result.data

    async def error(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None
    ) -> Result:
        """Execute and require exactly one error."""
        result = await self.execute(query, variables, token=token)
        assert len(result.errors) == 1, result
        return result
