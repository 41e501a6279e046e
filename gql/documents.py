"""Documents are parsed and validated once: a bounded cache by document text, shared by the
Strawberry pipeline (the ``CachedDocuments`` extension) and the compiled read path.

A document longer than the length limit is not parsed at all (lexing whitespace, comments and
string literals costs time in proportion to their length, however few tokens they make);
parsing stops at the token limit, as Strawberry's MaxTokensLimiter makes it. A parse error is
kept labelled: QUERY_TOO_COMPLEX for a limit, VALIDATION_ERROR for bad syntax. Validation runs
only when asked for — after the query limits passed — and is kept with the document. The
errors kept are the very objects graphql-core produced; later hooks may relabel them in place
(the query limits do), which they do the same way every time.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Sequence
from typing import Any

from graphql import DocumentNode, GraphQLError, GraphQLSchema, parse, specified_rules
from graphql.validation import ASTValidationRule, NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from gql.input_guard import literal_with_nul
from gql.limits import QueryLimits, label_parse_error, too_long

DEFAULT_SIZE = 1000


class PreparedDocument:
    """One document text: its parse, and its validation once asked for."""

    def __init__(self, schema: GraphQLSchema, rules: tuple[type[ASTValidationRule], ...],
                 query: str, limits: QueryLimits) -> None:  # fmt: skip
        self._schema = schema
        self._rules = rules
        self.document: DocumentNode | None = None
        self.parse_error: GraphQLError | None = None
        if len(query) > limits.max_length:
            self.parse_error = too_long(len(query), limits)
        else:
            try:
                self.document = parse(query, max_tokens=limits.max_tokens)
            except GraphQLError as error:
                self.parse_error = label_parse_error(error, limits)
        # The first string literal holding a NUL character (gql/input_guard.py refuses those).
        self.nul_literal = literal_with_nul(self.document) if self.document else None
        self._validation: list[GraphQLError] | None = None

    def validation_errors(self) -> list[GraphQLError]:
        """graphql-core's validation (with Strawberry's rules), computed once."""
        assert self.document is not None
        if self._validation is None:
            self._validation = validate_document(self._schema, self.document, self._rules)
        return self._validation


class Documents:
    """The documents seen lately, by text (least recently used ones are dropped)."""

    def __init__(
        self, schema: GraphQLSchema, *, limits: QueryLimits, production: bool,
        size: int = DEFAULT_SIZE,
    ) -> None:  # fmt: skip
        self._schema = schema
        self._limits = limits
        extra: Sequence[type[ASTValidationRule]] = (
            (NoSchemaIntrospectionCustomRule,) if production else ()
        )
        self._rules = (*specified_rules, *extra)
        self._size = size
        self._entries: OrderedDict[str, PreparedDocument] = OrderedDict()

    def prepare(self, query: str) -> PreparedDocument:
        entry = self._entries.get(query)
        if entry is not None:
            self._entries.move_to_end(query)
            return entry
        entry = PreparedDocument(self._schema, self._rules, query, self._limits)
        self._entries[query] = entry
        if len(self._entries) > self._size:
            self._entries.popitem(last=False)
        return entry


class CachedDocuments(SchemaExtension):
    """Strawberry's pipeline takes parsed documents and validation results from ``Documents``.

    Listed after the query limits and the NUL check: when they have refused the document
    already, validation is not asked for.
    """

    def __init__(self, documents: Documents) -> None:
        self.documents = documents
        self._entry: PreparedDocument | None = None

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is None and isinstance(context.query, str):
            entry = self.documents.prepare(context.query)
            # (A document that did not parse never gets here: gql/admission.py refused it.)
            if entry.document is not None:
                context.graphql_document = entry.document
                self._entry = entry
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if self._entry is not None and context.pre_execution_errors is None:
            context.pre_execution_errors = list(self._entry.validation_errors())
        yield

    def get_results(self) -> dict[str, Any]:
        return {}
