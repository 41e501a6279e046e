"""The error policy: every error a client sees carries ``extensions.code``; internals never leak.

Domain errors are mapped here, once, to their code. Errors graphql-core raises while parsing,
validating or coercing variables are the client's: VALIDATION_ERROR. Anything else is a bug:
logged with its traceback under a reference id, answered as INTERNAL with only that id.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from domain.errors import DomainError

logger = logging.getLogger("agentgraph.errors")


def _domain_error(error: BaseException | None) -> DomainError | None:
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, DomainError):
            return error
        error = error.__cause__ or getattr(error, "original_error", None)
        seen += 1
    return None


def _about_the_document(error: GraphQLError) -> bool:
    """Errors in the request itself: parse and validation errors (no original error), and
    variables that do not coerce to their types (graphql-core reports them, without a path, as
    "Variable '$x' got invalid value …"). Anything else raised while running is ours."""
    if error.original_error is None or isinstance(error.original_error, GraphQLError):
        return True
    return error.path is None and error.message.startswith("Variable '$")


def classify(error: GraphQLError) -> GraphQLError:
    """The client-facing version of ``error``."""
    existing = error.extensions or {}
    if "code" in existing:
        return error
    domain = _domain_error(error.original_error)
    if domain is not None:
        extensions: dict[str, Any] = {"code": domain.code, **domain.extensions()}
        return GraphQLError(
            domain.message, error.nodes, error.source, error.positions, error.path, None, extensions
        )
    if _about_the_document(error):
        return GraphQLError(
            error.message, error.nodes, error.source, error.positions, error.path, None,
            {**existing, "code": "VALIDATION_ERROR"},
        )  # fmt: skip
    reference = uuid.uuid4().hex[:12]
    # One record: the reference, where, and the traceback (request id added by the log setup).
    logger.error(
        "internal error %s at %s",
        reference,
        error.path,
        exc_info=error.original_error,
        extra={"reference": reference, "error_code": "INTERNAL"},
    )
    return GraphQLError(
        f"Internal server error (reference {reference}).",
        error.nodes, error.source, error.positions, error.path, None, {"code": "INTERNAL"},
    )  # fmt: skip


def _classify_result(result: Any) -> None:
    errors = getattr(result, "errors", None)
    if errors:
        data = getattr(result, "data", None)
        ordered = sorted(errors, key=lambda e: _response_position(e.path, data))
        result.errors = [classify(e) for e in ordered]


_UNPLACED = 1 << 62


def _response_position(path: Any, data: Any) -> tuple[tuple[int, str], ...]:
    """Where an error's path lies in the response's data: errors are listed in that order.

    Fields that wait on loaders fail in whichever order the loaders' batches come back, so
    the order graphql-core collects errors in is not the same from one run to the next (two
    identical requests would answer with different bytes). A path through data that came out
    null is placed after what exists, by its names, so the order is the same every time.
    """
    position: list[tuple[int, str]] = []
    here = data
    for segment in path or ():
        if isinstance(segment, int):
            position.append((segment, ""))
            here = here[segment] if isinstance(here, list) and segment < len(here) else None
        elif isinstance(here, dict) and segment in here:
            position.append((list(here).index(segment), ""))
            here = here[segment]
        else:
            position.append((_UNPLACED, str(segment)))
            here = None
    return tuple(position)


class ErrorPolicy(SchemaExtension):
    """Applies ``classify`` to every result: queries, mutations and each subscription event."""

    def on_operation(self) -> Iterator[None]:
        yield
        _classify_result(self.execution_context.result)

    def on_stream_result(self, result: Any) -> Iterator[None]:
        _classify_result(result)
        yield None


_SUGGESTION = re.compile(r"\s*Did you mean .*\?\Z", re.DOTALL)


def _hide_suggestions(result: Any) -> None:
    for error in getattr(result, "errors", None) or ():
        error.message = _SUGGESTION.sub("", error.message)


class HideSuggestions(SchemaExtension):
    """Production: no "Did you mean …?" in messages, which would spell out the schema that
    introspection no longer shows. (Strawberry's ``disable_field_suggestions`` covers unknown
    fields only; graphql-core appends the same suffix to unknown arguments, types and values.)"""

    def on_operation(self) -> Iterator[None]:
        yield
        _hide_suggestions(self.execution_context.result)

    def on_stream_result(self, result: Any) -> Iterator[None]:
        _hide_suggestions(result)
        yield None
