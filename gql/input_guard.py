"""Text PostgreSQL cannot store, refused at the door: no argument may carry a NUL character.

PostgreSQL text and JSONB cannot hold U+0000; a NUL that reached a query would be a database
error (INTERNAL). One check of the document's string literals and the variables covers every
argument of every field, present and future.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError, StringValueNode, visit
from graphql.language import Visitor
from strawberry.extensions import SchemaExtension

NUL = "\x00"


def holds_nul(value: Any) -> bool:
    """Whether a NUL character hides anywhere in ``value`` (strings, keys, lists)."""
    pending = [value]
    while pending:
        node = pending.pop()
        if isinstance(node, str):
            if NUL in node:
                return True
        elif isinstance(node, dict):
            pending.extend(node.keys())
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return False


class _NulLiterals(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found: StringValueNode | None = None

    def enter_string_value(self, node: StringValueNode, *_: Any) -> None:
        if self.found is None and NUL in node.value:
            self.found = node


def literal_with_nul(document: Any) -> StringValueNode | None:
    """The first string literal of ``document`` holding a NUL character, if any."""
    literals = _NulLiterals()
    visit(document, literals)
    return literals.found


def _refusal(message: str, field: str, nodes: Any = None) -> GraphQLError:
    return GraphQLError(message, nodes, extensions={"code": "VALIDATION_ERROR", "field": field})


class RejectNulCharacters(SchemaExtension):
    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is not None and not context.pre_execution_errors:
            error = self._check(context.graphql_document, context.variables or {})
            if error is not None:
                context.pre_execution_errors = [error]
        yield

    @staticmethod
    def _check(document: Any, variables: dict[str, Any]) -> GraphQLError | None:
        for name, value in variables.items():
            if holds_nul(value):
                return _refusal(f"Variable '${name}' must not contain NUL characters.", name)
        found = literal_with_nul(document)
        if found is not None:
            return _refusal("String values must not contain NUL characters.", "query", [found])
        return None
