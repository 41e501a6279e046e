"""What an operation must be before any work in proportion to its document, on every transport.

``AgentgraphSchema.execute`` (HTTP) and ``.stream`` (both WebSocket protocols and graphql-sse
event streams) ask ``refusal`` first, so no transport can skip it: the
request's members have their types; the document is within its length and parses within the
token limit (``gql/documents.py``: once, cached); it names an operation that exists, of a type
this transport runs. Depth, aliases and cost follow in the pipeline (``gql/limits.py``), still
before validation or any resolver.

Queries and mutations run over HTTP only, subscriptions over WebSocket or event streams only: every check and
limit an HTTP request meets (the compiled read path's, the budget's, those added later) has one
transport to hold, and a socket cannot be used to go around them.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from graphql import GraphQLError, OperationType, get_operation_ast

from gql.documents import Documents, PreparedDocument

VALIDATION_ERROR = "VALIDATION_ERROR"

HTTP_OPERATIONS = frozenset({OperationType.QUERY, OperationType.MUTATION})
WEBSOCKET_OPERATIONS = frozenset({OperationType.SUBSCRIPTION})


def _elsewhere(operation: OperationType, allowed: Collection[OperationType]) -> str:
    if operation is OperationType.SUBSCRIPTION:
        return (
            "Subscriptions run over WebSocket (graphql-transport-ws or graphql-ws at /graphql) "
            "or as event streams (graphql-sse at POST /graphql/stream), not over HTTP."
        )
    if set(allowed) <= WEBSOCKET_OPERATIONS:
        return (
            f"Only subscriptions run over WebSocket: send {operation.value}s as HTTP POST /graphql."
        )
    return f"Send {operation.value}s as HTTP POST /graphql."


def invalid(field: str, message: str) -> GraphQLError:
    """A VALIDATION_ERROR about a member of the request (``query``, ``variables`` …)."""
    return GraphQLError(message, extensions={"code": VALIDATION_ERROR, "field": field})


def refusal(
    documents: Documents,
    query: Any,
    variables: Any,
    operation_name: Any,
    allowed: Collection[OperationType],
) -> tuple[list[GraphQLError], PreparedDocument | None]:
    """Why the operation may not start (empty when it may), and its prepared document."""
    if query is None:
        return [invalid("query", "No GraphQL query found in the request.")], None
    if not isinstance(query, str):
        return [invalid("query", "The query must be a string (a GraphQL document).")], None
    if variables is not None and not isinstance(variables, dict):
        return [invalid("variables", "The variables must be an object or null.")], None
    if operation_name is not None and not isinstance(operation_name, str):
        return [invalid("operationName", "The operationName must be a string or null.")], None
    entry = documents.prepare(query)
    if entry.document is None:
        assert entry.parse_error is not None
        return [entry.parse_error], entry
    operation = get_operation_ast(entry.document, operation_name)
    if operation is None:
        if operation_name is not None:
            message = f"Unknown operation named '{operation_name}'."
        elif any(d.kind == "operation_definition" for d in entry.document.definitions):
            message = "Name the operation to run (operationName): the document holds several."
        else:
            message = "The document holds no operation."
        return [invalid("operationName", message)], entry
    if operation.operation not in allowed:
        return [invalid("query", _elsewhere(operation.operation, allowed))], entry
    return [], entry
