"""What the GraphQL surface counts for /metrics: operations (by name, type and outcome), their
latency, errors by ``extensions.code``, and open WebSocket and SSE connections.

Every transport reports here: ``AgentgraphSchema.execute`` and ``.stream`` (after admission, so
refusals count too), and the compiled read path, which bypasses them. A transport that holds a
connection open (WebSocket, graphql-sse) calls ``connection_opened``/``connection_closed``.

The metrics live in prometheus-client's default registry; with PROMETHEUS_MULTIPROC_DIR set,
every worker process writes its own values there and /metrics adds them up
(agentgraph/metrics.py). Gauges count live processes only ("livesum").

A metric's child per label tuple is looked up once (``_Children``) and kept: ``labels()`` costs
microseconds a call, and the tuples are few (operation names are capped, codes are ours).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from prometheus_client import Counter, Gauge, Histogram
from prometheus_client.metrics import MetricWrapperBase

OPERATIONS = Counter(
    "agentgraph_graphql_operations",
    "GraphQL operations run, by operation name, type and outcome (ok or error).",
    ("operation", "type", "outcome"),
)
LATENCY = Histogram(
    "agentgraph_graphql_operation_duration_seconds",
    "Time to answer a query or mutation, or to start a subscription.",
    ("type",),
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
ERRORS = Counter(
    "agentgraph_graphql_errors",
    "GraphQL errors answered, by extensions.code.",
    ("code",),
)
CONNECTIONS = Gauge(
    "agentgraph_open_connections",
    "Connections held open for subscriptions, by transport (graphql-transport-ws, graphql-ws, sse).",
    ("transport",),
    multiprocess_mode="livesum",
)


class _Children:
    """``metric.labels(*values)``, remembered per tuple of values."""

    def __init__(self, metric: MetricWrapperBase) -> None:
        self.metric = metric
        self.children: dict[tuple[str, ...], Any] = {}

    def __call__(self, *values: str) -> Any:
        child = self.children.get(values)
        if child is None:
            child = self.children[values] = self.metric.labels(*values)
        return child


_operations = _Children(OPERATIONS)
_latency = _Children(LATENCY)
_errors = _Children(ERRORS)
_connections = _Children(CONNECTIONS)

# Operation names are the client's to choose: past this many distinct ones in a process, the
# rest are counted as "other" so a client cannot grow the series without bound.
MAX_OPERATION_NAMES = 200
OTHER = "other"
ANONYMOUS = "anonymous"
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,99}")
_seen_names: set[str] = set()


def operation_label(name: str | None) -> str:
    """The ``operation`` label for an operation named ``name`` (None: anonymous)."""
    if name is None:
        return ANONYMOUS
    if name in _seen_names:
        return name
    if not _NAME.fullmatch(name) or len(_seen_names) >= MAX_OPERATION_NAMES:
        return OTHER
    _seen_names.add(name)
    return name


def error_codes(errors: Iterable[Any] | None) -> list[str]:
    """The ``extensions.code`` of each error (GraphQLError objects or formatted dicts)."""
    codes = []
    for error in errors or ():
        extensions = error.get("extensions") if isinstance(error, dict) else error.extensions
        codes.append(str((extensions or {}).get("code", "UNKNOWN")))
    return codes


def observe_operation(
    name: str | None, kind: str, codes: list[str], seconds: float | None = None
) -> None:
    """Count one operation of type ``kind`` (query, mutation, subscription, or unknown when
    the document does not say) that answered errors with ``codes`` and took ``seconds``."""
    _operations(operation_label(name), kind, "error" if codes else "ok").inc()
    for code in codes:
        _errors(code).inc()
    if seconds is not None:
        _latency(kind).observe(seconds)


def connection_opened(transport: str) -> None:
    """A WebSocket (``graphql-transport-ws``, ``graphql-ws``) or SSE (``sse``) connection began."""
    _connections(transport).inc()


def connection_closed(transport: str) -> None:
    """The connection ``connection_opened`` counted has ended."""
    _connections(transport).dec()
