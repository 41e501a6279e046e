"""Spans of GraphQL operations (OpenTelemetry, when the wiring installed a tracer provider).

Strawberry's OpenTelemetryExtension makes a span per operation (with its parse, validation and
resolver spans); here its operation span is also made the current one, so every statement the
operation runs (dataloaders, the budget, use cases) is its child. The compiled read path, which
bypasses Strawberry's execution, opens a span of the same name itself (``operation_span``).
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from contextlib import contextmanager

from opentelemetry import trace
from strawberry.extensions.tracing import OpenTelemetryExtension
from strawberry.extensions.tracing.opentelemetry import LifecycleStep

_tracer = trace.get_tracer("agentgraph.gql")


class OperationSpans(OpenTelemetryExtension):
    def on_operation(self) -> Generator[None, None, None]:
        steps = super().on_operation()
        next(steps)  # the operation's span is started
        with trace.use_span(self._span_holder[LifecycleStep.OPERATION], end_on_exit=False):
            yield
        next(steps, None)  # ... and ended


@contextmanager
def operation_span(name: str | None, query: str) -> Iterator[trace.Span]:
    """The span of one operation the compiled read path answers."""
    title = f"GraphQL Query: {name}" if name else "GraphQL Query"
    with _tracer.start_as_current_span(title, kind=trace.SpanKind.SERVER) as span:
        span.set_attribute("component", "graphql")
        span.set_attribute("query", query)
        span.set_attribute("agentgraph.compiled", True)
        yield span
