"""OpenTelemetry traces, configured by the standard OTEL_* variables.

``serve`` installs the SDK's tracer provider when the environment asks for traces: an OTLP
endpoint (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) or
OTEL_TRACES_EXPORTER (``otlp`` or ``console``), unless OTEL_SDK_DISABLED=true. The exporter
and the resource read the rest (OTEL_SERVICE_NAME, headers, sampling …) themselves.

An app built while a provider is installed (``active()``) traces: a span per HTTP request
(continuing an incoming ``traceparent``), per GraphQL operation (gql/tracing.py) and per SQL
statement (SQLAlchemy's instrumentation, and store/database.py for the statements it sends
past SQLAlchemy). Without one, nothing is instrumented and nothing is paid.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from opentelemetry import trace
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from sqlalchemy.ext.asyncio import AsyncEngine


def requested(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether the OTEL_* variables ask for traces."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    exporter = environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporter:
        return exporter != "none"
    return bool(
        environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        or environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    )


def _exporter(environ: Mapping[str, str]) -> SpanExporter:
    if environ.get("OTEL_TRACES_EXPORTER", "").strip().lower() == "console":
        return ConsoleSpanExporter()
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter()


def configure_from_environment(environ: Mapping[str, str] = os.environ) -> bool:
    """Install the SDK's tracer provider when the environment asks for traces; whether it did."""
    if not requested(environ):
        return False
    resource = Resource.create({"service.name": environ.get("OTEL_SERVICE_NAME", "agentgraph")})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(_exporter(environ)))
    trace.set_tracer_provider(provider)
    return True


def active() -> bool:
    """Whether a tracer provider of the SDK is installed (by ``serve``, or a test)."""
    return isinstance(trace.get_tracer_provider(), TracerProvider)


def instrument_engine(engine: AsyncEngine) -> None:
    """A span per statement SQLAlchemy sends on ``engine``. (``instrument()`` instruments once
    per process, then ignores every other engine; ``_instrument`` is what it calls per engine.)"""
    SQLAlchemyInstrumentor()._instrument(engine=engine.sync_engine)
