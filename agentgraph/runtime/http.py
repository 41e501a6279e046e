"""GraphQL over HTTP for one agent token: one POST per operation, answers turned into data or
typed errors, and retries where retrying cannot do harm.

A request that never reached the server (connection refused: the server is restarting) is
always safe to send again. A GraphQL error means the server rolled the operation back, so
INTERNAL (its database was away) is retried too. A request sent whose answer was lost may have
been applied: queries are retried, mutations raise ``ServerUnavailable(maybe_applied=True)``
for the caller to look first.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from agentgraph.runtime.backoff import Backoff
from agentgraph.runtime.errors import (
    AgentgraphError,
    ProtocolError,
    ServerError,
    ServerUnavailable,
    Unauthenticated,
    first_error,
)

logger = logging.getLogger("agentgraph.runtime")

# Nothing was sent: connecting failed.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class GraphQLHttp:
    """Sends documents to ``url`` with ``Authorization: Bearer <token>``.

    ``patience`` is how long (seconds) a call keeps retrying while the server is away; 0 sends
    once. Once the token is refused every later call raises the same ``Unauthenticated`` at once,
    and ``on_refused`` hears of it (the client stops everything else).
    """

    def __init__(
        self,
        url: str,
        token: str,
        *,
        patience: float = 30.0,
        backoff: Backoff | None = None,
        timeout: float = 15.0,
        on_refused: Callable[[Unauthenticated], None] | None = None,
    ) -> None:
        self.url = url
        self.patience = patience
        self.backoff = backoff or Backoff(initial=0.2, maximum=5.0)
        self.on_refused = on_refused
        self.refused: Unauthenticated | None = None
        self._http = httpx.AsyncClient(
            timeout=timeout, headers={"Authorization": f"Bearer {token}"}
        )

    async def query(
        self,
        document: str,
        variables: Mapping[str, Any] | None = None,
        *,
        patience: float | None = None,
    ) -> dict[str, Any]:
        """Run a read; retried through lost answers as well as refused connections."""
        return await self._call(document, variables, read_only=True, patience=patience)

    async def mutate(
        self,
        document: str,
        variables: Mapping[str, Any] | None = None,
        *,
        patience: float | None = None,
    ) -> dict[str, Any]:
        """Run a write; retried only where it cannot have been applied."""
        return await self._call(document, variables, read_only=False, patience=patience)

    async def close(self) -> None:
        await self._http.aclose()

    async def _call(
        self,
        document: str,
        variables: Mapping[str, Any] | None,
        *,
        read_only: bool,
        patience: float | None,
    ) -> dict[str, Any]:
        budget = self.patience if patience is None else patience
        loop = asyncio.get_running_loop()
        deadline = loop.time() + budget
        attempt = 0
        while True:
            try:
                return await self._send_once(document, variables, read_only=read_only)
            except AgentgraphError as error:
                if not _retryable(error, read_only):
                    raise
                delay = self.backoff.delay(attempt)
                if loop.time() + delay > deadline:
                    raise
                logger.info("agentgraph unavailable (%s); retrying in %.1fs", error, delay)
                await asyncio.sleep(delay)
                attempt += 1

    async def _send_once(
        self, document: str, variables: Mapping[str, Any] | None, *, read_only: bool
    ) -> dict[str, Any]:
        if self.refused is not None:
            raise self.refused
        body = {"query": document, "variables": dict(variables or {})}
        try:
            response = await self._http.post(self.url, json=body)
        except _NOT_SENT as error:
            raise ServerUnavailable(f"cannot reach {self.url}: {_describe(error)}") from error
        except httpx.TransportError as error:
            raise ServerUnavailable(
                f"no answer from {self.url}: {_describe(error)}", maybe_applied=not read_only
            ) from error
        return self._answer(response, read_only=read_only)

    def _answer(self, response: httpx.Response, *, read_only: bool) -> dict[str, Any]:
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            if response.status_code >= 500:
                # A proxy's 502/503, or a server dying mid-request: a write may have committed.
                raise ServerUnavailable(
                    f"HTTP {response.status_code} from {self.url}", maybe_applied=not read_only
                )
            raise ProtocolError(f"HTTP {response.status_code} from {self.url} is not GraphQL")
        errors = payload.get("errors")
        if errors:
            error = first_error(errors)
            if isinstance(error, Unauthenticated):
                self._refuse(error)
            raise error
        data = payload.get("data")
        if not isinstance(data, dict):
            raise ProtocolError(f"no data in the answer from {self.url}")
        return data

    def _refuse(self, error: Unauthenticated) -> None:
        if self.refused is None:
            self.refused = error
            if self.on_refused is not None:
                self.on_refused(error)


def _retryable(error: AgentgraphError, read_only: bool) -> bool:
    if isinstance(error, ServerUnavailable):
        return read_only or not error.maybe_applied
    return isinstance(error, ServerError)


def _describe(error: Exception) -> str:
    return str(error) or type(error).__name__
