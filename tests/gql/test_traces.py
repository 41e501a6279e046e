"""OpenTelemetry: a span per GraphQL operation (Strawberry's, and the compiled read path's own)
with a child span per SQL statement, and the trace id in the log records. The SDK's tracer
provider is installed for the rest of this process (OpenTelemetry allows one per process), so
apps built after it trace; the session's app, built before, does not."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from starlette.applications import Starlette

from agentgraph import tracing
from agentgraph.bootstrap import create_app
from agentgraph.logs import Redactor, handler
from agentgraph.settings import Settings
from tests.conftest import TEST_SECRET
from tests.gql.conftest import SPAWN, World
from tests.support.api import GraphQLClient
from tests.support.servers import http_url, serve

ME = "query Me { me { id } }"


class _WhileTesting(SimpleSpanProcessor):
    """Keeps spans only during this module's tests (later apps of the run are traced too)."""

    keeping = False

    def on_end(self, span: ReadableSpan) -> None:
        if self.keeping:
            super().on_end(span)


_EXPORTER = InMemorySpanExporter()
_PROCESSOR = _WhileTesting(_EXPORTER)


@pytest.fixture
def spans(app: Starlette) -> Iterator[InMemorySpanExporter]:
    """The spans finished during the test. (``app``: the session's app is built before the
    provider is installed, so it stays untraced.)"""
    if not tracing.active():
        provider = TracerProvider()
        provider.add_span_processor(_PROCESSOR)
        trace.set_tracer_provider(provider)
    _EXPORTER.clear()
    _PROCESSOR.keeping = True
    try:
        yield _EXPORTER
    finally:
        _PROCESSOR.keeping = False
        _EXPORTER.clear()


@pytest.fixture
async def traced(
    spans: InMemorySpanExporter, settings: Settings, database_url: str, tmp_path: Path
) -> AsyncIterator[GraphQLClient]:
    app = create_app(settings.model_copy(update={"data_dir": tmp_path}), database_url=database_url)
    try:
        async with GraphQLClient.for_app(app) as client:
            yield client
    finally:
        await app.state.services.database.dispose()


def _descends(span: ReadableSpan, ancestor: ReadableSpan, by_id: dict[int, ReadableSpan]) -> bool:
    parent = span.parent
    while parent is not None:
        if parent.span_id == ancestor.context.span_id:
            return True
        above = by_id.get(parent.span_id)
        parent = above.parent if above is not None else None
    return False


def _sql(spans: list[ReadableSpan]) -> list[ReadableSpan]:
    return [s for s in spans if s.attributes and "db.statement" in s.attributes]


async def test_an_operation_has_a_span_with_its_sql_statements_as_children(
    traced: GraphQLClient, world: World, spans: InMemorySpanExporter
) -> None:
    variables = {"projectId": world.project_id, "agentTypeId": world.type_id, "name": "Traced"}
    spans.clear()
    await traced.ok(SPAWN, {"input": variables}, token=world.owner["token"])
    finished = list(spans.get_finished_spans())
    by_id = {s.context.span_id: s for s in finished}
    [operation] = [s for s in finished if s.name == "GraphQL Query: Spawn"]
    statements = [s for s in _sql(finished) if _descends(s, operation, by_id)]
    texts = " ".join(str(s.attributes["db.statement"]) for s in statements)  # type: ignore[index]
    assert "INSERT INTO agents" in texts and "INSERT INTO events" in texts
    # The operation is a child of the request's span, in one trace.
    [request] = [s for s in finished if s.name == "POST /graphql"]
    assert _descends(operation, request, by_id)
    assert {s.context.trace_id for s in statements} == {request.context.trace_id}


async def test_the_compiled_read_path_has_its_span_and_statement(
    traced: GraphQLClient, world: World, spans: InMemorySpanExporter
) -> None:
    await traced.ok(ME, token=world.owner["token"])  # warm: the statement is compiled once
    spans.clear()
    await traced.ok(ME, token=world.owner["token"])
    finished = list(spans.get_finished_spans())
    by_id = {s.context.span_id: s for s in finished}
    [operation] = [s for s in finished if s.name == "GraphQL Query: Me"]
    assert operation.attributes and operation.attributes["agentgraph.compiled"] is True
    [statement] = [s for s in _sql(finished) if _descends(s, operation, by_id)]
    assert str(statement.attributes["db.statement"]).lstrip().upper().startswith(("SELECT", "WITH"))  # type: ignore[index]


async def test_log_records_carry_the_trace_id(
    traced: GraphQLClient, spans: InMemorySpanExporter, settings: Settings
) -> None:
    stream = io.StringIO()
    out = handler(settings.model_copy(update={"log_format": "json"}), Redactor(), stream)
    root = logging.getLogger()
    level = root.level
    root.addHandler(out)
    root.setLevel(logging.INFO)
    traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    try:
        await traced.http.post(
            "/graphql",
            json={"query": "query Broken { nope }"},
            headers={"traceparent": traceparent},
        )
    finally:
        root.removeHandler(out)
        root.setLevel(level)
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    [record] = [r for r in records if r["logger"] == "agentgraph.requests"]
    # The caller's trace goes on: its id is in the request's record.
    assert record["trace_id"] == "0af7651916cd43dd8448eb211c80319c"
    [request] = [s for s in spans.get_finished_spans() if s.name == "POST /graphql"]
    assert record["span_id"] == format(request.context.span_id, "016x")


async def test_serve_traces_when_the_otel_variables_say_so(
    database_url: str, tmp_path: Path
) -> None:
    env = {"OTEL_TRACES_EXPORTER": "console", "OTEL_SERVICE_NAME": "agentgraph-test"}
    async with (
        serve(database_url, TEST_SECRET, tmp_path, env=env) as served,
        httpx.AsyncClient() as http,
    ):
        await http.post(http_url(served.url), json={"query": "query Ping { __typename }"})
    # The console exporter writes each span as JSON when the process ends.
    log = (tmp_path / "serve.log").read_text()
    assert '"name": "GraphQL Query: Ping"' in log and '"service.name": "agentgraph-test"' in log
    assert not tracing.requested({})
    assert not tracing.requested({"OTEL_TRACES_EXPORTER": "none"})
    assert not tracing.requested({"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "otlp"})
    assert tracing.requested({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"})
