"""The agent client: one agent process's connection to Agentgraph, authenticated by its agent
token (``aga_…``), over HTTP (queries, mutations) and one WebSocket (subscriptions).

``connect()`` finds the agent the token acts as, reads where it stands, and starts the
background work: heartbeats, metric flushing, the operator-control and approval
subscriptions. If the token stops working (revoked: any call answers UNAUTHENTICATED, or the
socket is closed with 4403), everything stops and whatever the agent awaits raises
``Unauthenticated``: the agent ends with a clear error instead of retrying forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from agentgraph.runtime.approvals import ApprovalWatcher
from agentgraph.runtime.control import Control
from agentgraph.runtime.errors import AgentgraphError, ProtocolError
from agentgraph.runtime.executions import Executions
from agentgraph.runtime.heartbeat import HeartbeatLoop, UsageProbe
from agentgraph.runtime.http import GraphQLHttp
from agentgraph.runtime.metrics import MetricsBuffer
from agentgraph.runtime.subscriptions import SubscriptionClient

logger = logging.getLogger("agentgraph.runtime")

# An agent token reads only its own agent, so the first event of an unscoped replay from the
# beginning of the log (its spawn) names it.
WHOAMI = """
subscription Whoami($after: String) { agentStateChanged(after: $after) { cursor agent { id } } }
"""
AGENT = """
query Agent($id: ID!) {
  agent(id: $id) {
    id name status safetyLevel project { id name }
    statusHistory(first: 1) { edges { node { cursor toStatus } } }
  }
}
"""
UPDATE_STATE = """
mutation State($input: UpdateAgentStateInput!) { updateAgentState(input: $input) { id revision } }
"""
REPORT_ERROR = """
mutation Error($input: ReportAgentErrorInput!) {
  reportAgentError(input: $input) { agent { id status } }
}
"""
_UNSET: Any = object()


def endpoints(url: str) -> tuple[str, str]:
    """The HTTP and WebSocket URLs of the GraphQL endpoint at (or under) ``url``."""
    parts = urlsplit(url if "://" in url else f"http://{url}")
    scheme = {"ws": "http", "wss": "https"}.get(parts.scheme, parts.scheme)
    if scheme not in ("http", "https"):
        raise ValueError(f"not an http(s) or ws(s) URL: {url}")
    path = (
        parts.path
        if parts.path.rstrip("/").endswith("/graphql")
        else (parts.path.rstrip("/") + "/graphql")
    )
    http_url = urlunsplit((scheme, parts.netloc, path, parts.query, ""))
    ws_url = urlunsplit(("wss" if scheme == "https" else "ws", parts.netloc, path, parts.query, ""))
    return http_url, ws_url


@dataclass(frozen=True)
class _Background:
    heartbeat_interval: float | None
    heartbeat_jitter: float
    usage: UsageProbe | None
    metrics_batch_size: int
    metrics_flush_interval: float
    metrics_capacity: int


class AgentClient:
    """Use ``connect()`` (or ``await AgentClient.open(…)`` and ``close()``)."""

    # Set once connected: they need to know the agent and where it stands.
    control: Control
    approvals: ApprovalWatcher
    executions: Executions
    metrics: MetricsBuffer
    heartbeat: HeartbeatLoop

    def __init__(
        self,
        url: str,
        token: str,
        *,
        agent_id: str | None = None,
        heartbeat_interval: float | None = 10.0,
        heartbeat_jitter: float = 0.1,
        usage: UsageProbe | None = None,
        metrics_batch_size: int = 100,
        metrics_flush_interval: float = 5.0,
        metrics_capacity: int = 10_000,
        patience: float = 30.0,
    ) -> None:
        self.http_url, self.ws_url = endpoints(url)
        self.fatal: AgentgraphError | None = None
        self.http = GraphQLHttp(self.http_url, token, patience=patience, on_refused=self._on_fatal)
        self.subscriptions = SubscriptionClient(self.ws_url, token, on_refused=self._on_fatal)
        self.agent_id = agent_id or ""
        self.name = ""
        self.project_id = ""
        self.safety_level = ""
        self._background = _Background(
            heartbeat_interval,
            heartbeat_jitter,
            usage,
            metrics_batch_size,
            metrics_flush_interval,
            metrics_capacity,
        )
        self._shutdown: asyncio.Task[None] | None = None
        self._started = False
        self._closed = False

    @classmethod
    async def open(cls, url: str, token: str, **options: Any) -> AgentClient:
        """A connected client (see ``connect``)."""
        client = cls(url, token, **options)
        try:
            await client._start()
        except BaseException:
            await client.close()
            raise
        return client

    async def _start(self) -> None:
        if not self.agent_id:
            self.agent_id = await self._whoami()
        agent = (await self.http.query(AGENT, {"id": self.agent_id}))["agent"]
        self.name, self.safety_level = agent["name"], agent["safetyLevel"]
        self.project_id = agent["project"]["id"]
        # The anchor: every event of this agent after its latest lifecycle move reaches us.
        [latest] = [edge["node"] for edge in agent["statusHistory"]["edges"]]
        options = self._background
        self.control = Control(
            self.subscriptions,
            self.http,
            self.agent_id,
            status=latest["toStatus"],
            cursor=latest["cursor"],
        )
        self.approvals = ApprovalWatcher(
            self.subscriptions, self.http, self.agent_id, latest["cursor"]
        )
        self.executions = Executions(self.http, self.approvals, self.control, self.agent_id)
        self.metrics = MetricsBuffer(
            self.http,
            self.agent_id,
            batch_size=options.metrics_batch_size,
            flush_interval=options.metrics_flush_interval,
            capacity=options.metrics_capacity,
            on_fatal=self._on_fatal,
        )
        interval = options.heartbeat_interval
        self.heartbeat = HeartbeatLoop(
            self.http,
            self.agent_id,
            interval=interval or 10.0,
            jitter=options.heartbeat_jitter,
            usage=options.usage,
            on_fatal=self._on_fatal,
        )
        self._started = True
        await self.control.start()
        await self.approvals.start()
        self.metrics.start()
        if interval is not None:
            self.heartbeat.start()

    async def _whoami(self) -> str:
        sub = await self.subscriptions.subscribe(WHOAMI, {}, field="agentStateChanged", cursor="0")
        try:
            async with asyncio.timeout(30):
                async for event in sub:
                    return str(event["agent"]["id"])
        except TimeoutError:
            pass
        finally:
            await sub.close()
        raise ProtocolError("could not find the agent this token acts as (no event named it)")

    # --- what the agent reports ---------------------------------------------------------------

    def record_metric(self, name: str, value: float, **details: Any) -> None:
        """Queue a metric point (see ``MetricsBuffer.record``)."""
        self.metrics.record(name, value, **details)

    async def update_state(
        self,
        *,
        current_workflow: str | None = _UNSET,
        workflow_data: Mapping[str, Any] | None = None,
        active_workflows: list[Any] | None = None,
        resource_locks: list[Any] | None = None,
        resource_usage: Mapping[str, Any] | None = None,
        metadata: Mapping[str, Any] | None = None,
        expected_revision: int | None = None,
    ) -> int:
        """Replace the given parts of the agent's state; returns the new revision."""
        update: dict[str, Any] = {"agentId": self.agent_id}
        if current_workflow is not _UNSET:
            update["currentWorkflow"] = current_workflow
        parts = {
            "workflowData": workflow_data,
            "activeWorkflows": active_workflows,
            "resourceLocks": resource_locks,
            "resourceUsage": resource_usage,
            "metadata": metadata,
            "expectedRevision": expected_revision,
        }
        update.update({key: value for key, value in parts.items() if value is not None})
        data = await self.http.mutate(UPDATE_STATE, {"input": update})
        return int(data["updateAgentState"]["revision"])

    async def report_error(self, error: str, **details: Any) -> str:
        """Report an error: the agent goes to ERROR (an operator recovers it). Returns the
        agent's status."""
        payload = {"agentId": self.agent_id, "error": {"error": error, **details}}
        data = await self.http.mutate(REPORT_ERROR, {"input": payload})
        return str(data["reportAgentError"]["agent"]["status"])

    # --- stopping -----------------------------------------------------------------------------

    def _on_fatal(self, error: AgentgraphError) -> None:
        """Something answered that the agent can no longer work (token refused, agent gone)."""
        if self.fatal is not None:
            return
        self.fatal = error
        logger.error("agent stopping: %s", error.message)
        if self._started:  # wake whatever the agent awaits now
            for part in (self.control, self.approvals):
                part.fatal = part.fatal or error
                part.changes.notify()
        self._shutdown = asyncio.get_running_loop().create_task(self._stop_background(error))

    async def _stop_background(self, error: AgentgraphError | None) -> None:
        if self._started:
            await self.heartbeat.stop()
            await self.metrics.stop(flush=error is None, cause=error)
        await self.subscriptions.close(error)

    async def stopped(self) -> AgentgraphError | None:
        """After a fatal error, wait until the background work (heartbeats, metrics, the
        socket) has stopped; returns the error (None while the agent is working)."""
        if self._shutdown is not None:
            with contextlib.suppress(Exception):
                await asyncio.shield(self._shutdown)
        return self.fatal

    async def close(self) -> None:
        """Stop the background work (sending the metrics still queued) and disconnect."""
        if self._closed:
            return
        self._closed = True
        if self._shutdown is not None:
            with contextlib.suppress(Exception):
                await self._shutdown
        else:
            if self._started:
                await self.control.stop()
                await self.approvals.stop()
            await self._stop_background(None)
        await self.http.close()

    async def __aenter__(self) -> AgentClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


@contextlib.asynccontextmanager
async def connect(url: str, token: str, **options: Any) -> AsyncIterator[AgentClient]:
    """``async with connect(url, token) as agent:`` — a connected ``AgentClient`` for the agent
    the token acts as, closed on the way out.

    ``url`` is the server (``http://host:8000``) or its GraphQL endpoint. Options:
    ``agent_id`` (skip looking it up), ``heartbeat_interval`` (seconds; None: no heartbeats),
    ``heartbeat_jitter`` (fraction), ``usage`` (returns the resource usage sent with each
    beat), ``metrics_batch_size``, ``metrics_flush_interval``, ``metrics_capacity``,
    ``patience`` (seconds a call retries while the server is away).
    """
    client = await AgentClient.open(url, token, **options)
    try:
        yield client
    finally:
        await client.close()
