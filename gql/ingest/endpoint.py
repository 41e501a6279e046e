"""The ingest fast path in front of the rest of /graphql: what agent runtimes send most —
``heartbeat``, ``heartbeats`` and ``recordMetrics`` — answered without Strawberry's per-field
coercion and execution, through the very use cases the resolvers call (usecases/telemetry.py:
every visibility rule, batch limit and value check is theirs).

A request is answered here only when every check the Strawberry pipeline makes passes the same
way — a JSON object with a string ``query``, a document within the limits, valid, without NUL
characters, of a shape in ``shapes.py``, variables Strawberry would take as they are
(``values.py``), a caller the field's permission admits, a budget that can pay — and the use
case succeeds. The body's JSON is CheckedRequests' (gql/http_requests.py), decoded once for both.
Anything else goes on to ``app`` with the body as it arrived, and the resolvers
answer: they are the reference these answers must match (tests/gql/test_ingest_path.py). A
use case that refused rolled back, so the reference runs it again from nothing and words the
error itself. A request handed on after paying is marked, so it pays once.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from domain.access import Capability, Viewer
from domain.errors import DomainError, RateLimited
from domain.events import health_of
from domain.records import AppliedHeartbeat
from gql.asgi_requests import decoded, json_request, read_body, replaying, token_of
from gql.compiled.endpoint import BUDGET_SPENT
from gql.config import SurfaceConfig
from gql.documents import Documents
from gql.encoding import encode_json
from gql.ids import from_global_id, to_global_id
from gql.ingest import values
from gql.ingest.shapes import Shape, shape_of
from gql.input_guard import holds_nul
from gql.input_limits import (
    input_refusal,
    plainly_within_heartbeat_limits,
    plainly_within_metric_limits,
)
from gql.limits import checked_cost
from gql.request_log import note_caller, note_operation
from gql.scalars import serialize_datetime
from gql.server_metrics import observe_operation
from usecases import telemetry
from usecases.services import Services

_KNOWN = 200  # document texts whose shape and cost are remembered


class IngestPath:
    """ASGI: answer the ingest shapes, hand the rest to ``app``."""

    def __init__(
        self, app: ASGIApp, services: Services, config: SurfaceConfig, documents: Documents,
        schema: Any,
    ) -> None:  # fmt: skip
        self.app = app
        self.services = services
        self.config = config
        self.documents = documents
        self.schema = schema
        self.served = 0  # answered here (a counter for tests)
        self._shapes: dict[tuple[str, str | None], tuple[Shape, int] | None] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not json_request(scope):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        body = await read_body(receive)
        response = await self._answer(scope, body, started)
        if response is None:
            await self.app(scope, replaying(body, receive), send)
            return
        self.served += 1
        await response(scope, receive, send)

    async def _answer(self, scope: Scope, body: bytes, started: float) -> Response | None:
        if b"mutation" not in body:  # cheap: reads never come this way
            return None
        # Decoded once, by CheckedRequests in front (a body that did not pass it is not here).
        request = decoded(scope, body)
        if request is None:
            request = _decode(body)
        if not isinstance(request, dict) or request.get("extensions"):
            return None
        query, variables = request.get("query"), request.get("variables")
        operation_name = request.get("operationName")
        if not isinstance(query, str) or not isinstance(operation_name, str | None):
            return None
        if not isinstance(variables, dict):
            return None
        known = self._known(query, operation_name)
        if known is None:
            return None
        shape, cost = known
        if set(variables) != set(shape.variables.values()):
            return None
        # A NUL in a JSON string is spelled \u0000 (raw control characters are not JSON).
        if b"\\u0000" in body and holds_nul(variables):
            return None
        entry = self.documents.prepare(query)
        assert entry.document is not None  # it has a shape
        # Every argument within its stated limit (gql/input_limits.py), as the schema would check;
        # a batch plainly within them needs no walk of every field. Either way each beat's JSON
        # values are then held to rules that include the use case's (domain.values.validate_json:
        # no NUL, finite numbers), so it checks only their kinds (json_checked).
        if not _plainly_within_limits(shape, variables) and (
            input_refusal(self.schema, entry.document, variables) is not None
        ):
            return None
        viewer = await self._viewer(scope)
        if viewer is None or not viewer.may(Capability.AGENT_RUNTIME):
            return None
        try:
            arguments = {arg: variables[name] for arg, name in shape.variables.items()}
            write = _WRITES[shape.field]
            prepared = write.prepare(arguments)
        except (values.Unusual, DomainError):
            return None
        try:
            await self.services.budgets.spend(viewer, cost)
        except RateLimited:
            return None  # the view refuses it the same way (nothing was spent)
        scope[BUDGET_SPENT] = True
        try:
            result = await write.run(self, viewer, prepared)
        except Exception:  # rolled back: the resolver runs it again and words the error
            return None
        data = {shape.field: _selected(shape.selection, write.typename, result, self.config)}
        response = Response(encode_json({"data": data}), media_type="application/json")
        observe_operation(shape.operation, "mutation", [], time.perf_counter() - started)
        note_caller(viewer)
        note_operation(shape.operation, [])
        return response

    def _known(self, query: str, operation_name: str | None) -> tuple[Shape, int] | None:
        """The document's shape and cost, or None when the view answers it; worked out once
        per document text. The cost does not depend on the variables: a shape selects no
        connection or ``nodes(ids:)`` (the only costs that read arguments), so a shape whose
        cost breaches a limit (none does at the default limits) is left to the view."""
        key = (query, operation_name)
        if key in self._shapes:
            return self._shapes[key]
        entry = self.documents.prepare(query)
        known = None
        if entry.document is not None and entry.nul_literal is None:
            shape = shape_of(entry.document, operation_name)
            if shape is not None and not entry.validation_errors():
                cost, breaches = checked_cost(
                    self.schema, entry.document, None, operation_name, self.config.limits
                )
                if not breaches:
                    known = (shape, cost)
        if len(self._shapes) >= _KNOWN:
            self._shapes.clear()
        self._shapes[key] = known
        return known

    async def _viewer(self, scope: Scope) -> Viewer | None:
        try:
            return await self.services.authenticator.viewer(token_of(scope))
        except Exception:  # a bad token, or the database is away: the view answers
            return None


class _Heartbeat:
    typename = "Agent"

    @staticmethod
    def prepare(arguments: dict[str, Any]) -> list[telemetry.Heartbeat]:
        return [values.heartbeat(arguments["input"], "input")]

    @staticmethod
    async def run(path: IngestPath, viewer: Viewer, beats: list[telemetry.Heartbeat]) -> Any:
        applied = await telemetry.record_heartbeats(
            path.services.database, viewer, beats, "input", json_checked=True
        )
        return applied[0]


class _Heartbeats:
    typename = "BatchResult"

    @staticmethod
    def prepare(arguments: dict[str, Any]) -> list[telemetry.Heartbeat]:
        return values.heartbeats(arguments["inputs"])

    @staticmethod
    async def run(path: IngestPath, viewer: Viewer, beats: list[telemetry.Heartbeat]) -> Any:
        applied = await telemetry.record_heartbeats(
            path.services.database, viewer, beats, "inputs", json_checked=True
        )
        return {"accepted": len(beats) if applied else 0}


class _RecordMetrics:
    typename = "BatchResult"

    @staticmethod
    def prepare(arguments: dict[str, Any]) -> tuple[Any, list[telemetry.MetricPoint]]:
        agent = from_global_id(values.agent_id(arguments["agentId"]), "Agent", "agentId")
        return agent, values.metric_points(arguments["metrics"])

    @staticmethod
    async def run(
        path: IngestPath, viewer: Viewer, prepared: tuple[Any, list[telemetry.MetricPoint]]
    ) -> Any:
        agent, points = prepared
        accepted = await telemetry.record_metrics(path.services.database, viewer, agent, points)
        return {"accepted": accepted}


def _decode(body: bytes) -> Any:
    """The body's JSON, when no layer in front decoded it (None: not JSON)."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return None


def _plainly_within_limits(shape: Shape, variables: dict[str, Any]) -> bool:
    given = shape.variables
    if shape.field == "heartbeats":
        return plainly_within_heartbeat_limits(variables[given["inputs"]])
    if shape.field == "heartbeat":
        return plainly_within_heartbeat_limits([variables[given["input"]]])
    return plainly_within_metric_limits(variables[given["metrics"]], variables[given["agentId"]])


_WRITES: dict[str, Any] = {
    "heartbeat": _Heartbeat,
    "heartbeats": _Heartbeats,
    "recordMetrics": _RecordMetrics,
}


def _selected(
    selection: tuple[str, ...], typename: str, result: Any, config: SurfaceConfig
) -> dict[str, Any]:
    """The selected fields, in the document's order, as the resolvers would give them."""
    if isinstance(result, AppliedHeartbeat):
        fields = {
            "id": lambda: to_global_id("Agent", result.agent_id),
            "lastHeartbeatAt": lambda: serialize_datetime(result.last_heartbeat_at),
            "health": lambda: (
                health_of(
                    result.last_heartbeat_at, datetime.now(UTC), config.heartbeat_timeout
                ).name
            ),
        }
        return {name: typename if name == "__typename" else fields[name]() for name in selection}
    return {name: typename if name == "__typename" else result[name] for name in selection}
