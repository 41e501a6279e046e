"""Query limits (SPEC §8): size, tokens, depth, aliases and cost, all refused before any resolver.

A breach is a ``QUERY_TOO_COMPLEX`` error whose message names the limit and what was measured.
The checks run cheapest first: the request body (``RequestBodyLimit``, before the body is read
past the limit), the document's length in characters (not even lexed past it), tokens (the
parser stops at the limit; both in ``gql/documents.py``, asked by every transport through
``gql/admission.py``), then depth, aliases and cost (``QueryLimiter``, one walk of the operation
to run, before graphql-core's validation rules). They apply alike to queries, mutations and
subscriptions, over HTTP and both WebSocket protocols. Within the limits, the operation's cost
is then spent from the caller's budget over time (``usecases/budgets.py``): RATE_LIMITED when
it is used up.
graphql-core's own safety stops (nesting past 200 levels while parsing; a document too costly
to validate) are reported as ``QUERY_TOO_COMPLEX`` too.

Depth counts fields: ``{ me { id } }`` has depth 2.

Strawberry's ``QueryDepthLimiter`` and ``MaxAliasesLimiter`` are not used: they re-walk a
fragment at every spread, so a 160-token document of fragments spreading each other twice takes
seconds (exponential); a spread of an unknown fragment crashes the depth rule; and neither error
carries a code. The walk here visits each fragment once (per page size).

Cost approximates the objects a response can hold (scalars and enums are read from rows already
loaded and count 0):

- a field that returns an object counts 1;
- a connection counts 1 for its page plus ``first``/``last`` (default: the server's page size,
  20) times the cost of one item (``edges``/``nodes``; an edge and its ``node`` are one item);
  ``totalCount`` and ``pageInfo`` count once per page;
- a list that is not a connection comes back whole, so it counts the most items it may hold
  (``LIST_BOUNDS``, from ``domain/bounds.py``, where writes past them are refused) times the
  cost of one item: ``configs`` and ``capabilities`` 50, ``steps`` 100, ``checkpoints`` 200,
  ``metricSeries`` 1000 buckets; ``nodes(ids:)`` as many as ids (at most 100). So a response
  never holds more objects than its cost (tests/gql/test_cost_bounds.py);
- ``login`` and ``register`` count ``PASSWORD_HASH_COST`` (4000) each: each hashes or verifies
  a password with argon2id (~50 ms of CPU), so a document runs at most five of them;
- introspection (``__schema``, ``__type``) reads the schema in memory: it counts 1, and
  ``ofType`` does not add depth, so GraphiQL's introspection query passes in development
  (production turns introspection off).

The dashboard's fleet query (100 agents, each with type, state, configs, capabilities,
``metrics(first: 10)`` and ``statusHistory(first: 5)``) costs 12,005 of the 20,000 allowed;
three levels of ``first: 100`` (projects → agents → metrics) cost 1,020,201.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol, runtime_checkable

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLNamedType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    NamedTypeNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    get_operation_ast,
    introspection_types,
    is_list_type,
    parse,
    value_from_ast_untyped,
)
from graphql.error import GraphQLSyntaxError
from graphql.validation.validate import ValidationAbortedError
from strawberry.extensions import SchemaExtension

from domain.bounds import (
    MAX_CAPABILITIES_PER_AGENT,
    MAX_CHECKPOINTS_PER_EXECUTION,
    MAX_CONFIGS_PER_AGENT,
    MAX_NODES_PER_CALL,
    MAX_POINTS_PER_SERIES,
    MAX_STEPS_PER_PLAN,
)
from domain.errors import DomainError, RateLimited

QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"

# Every list of objects that is not a connection, at the most items it may hold.
LIST_BOUNDS: Mapping[tuple[str, str], int] = {
    ("Agent", "configs"): MAX_CONFIGS_PER_AGENT,
    ("Agent", "capabilities"): MAX_CAPABILITIES_PER_AGENT,
    ("Agent", "metricSeries"): MAX_POINTS_PER_SERIES,
    ("Execution", "steps"): MAX_STEPS_PER_PLAN,
    ("Execution", "checkpoints"): MAX_CHECKPOINTS_PER_EXECUTION,
    ("Query", "nodes"): MAX_NODES_PER_CALL,
}
PASSWORD_HASH_COST = 4000
FIELD_COSTS: Mapping[tuple[str, str], int] = {
    ("Mutation", "login"): PASSWORD_HASH_COST,
    ("Mutation", "register"): PASSWORD_HASH_COST,
}
_LIST_LENGTH_ARGUMENTS: Mapping[tuple[str, str], str] = {("Query", "nodes"): "ids"}
_ITEMS = frozenset({"edges", "nodes"})
_INTROSPECTION_ROOTS = {"__schema": "__Schema", "__type": "__Type"}


@dataclass(frozen=True)
class QueryLimits:
    """The limits of SPEC §8 (the defaults); the app builds them from the settings."""

    max_depth: int = 10
    max_aliases: int = 30
    max_tokens: int = 2000
    max_cost: int = 20000
    default_page_size: int = 20
    # Characters of a document: past it, a document is not even lexed.
    max_length: int = 65536


SPEC_LIMITS = QueryLimits()


class Measurement(NamedTuple):
    """What an operation would cost, how deep its fields nest, and how many aliases it has."""

    cost: int
    depth: int
    aliases: int


def _too_complex(message: str) -> GraphQLError:
    return GraphQLError(f"Query too complex: {message}", extensions={"code": QUERY_TOO_COMPLEX})


def measure(
    schema: GraphQLSchema,
    document: DocumentNode | str,
    variables: Mapping[str, Any] | None = None,
    operation_name: str | None = None,
    *,
    default_page_size: int = QueryLimits.default_page_size,
) -> Measurement:
    """Cost, depth and aliases of the operation ``operation_name`` would run (zero if none)."""
    if isinstance(document, str):
        document = parse(document)
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return Measurement(0, 0, 0)
    given = variables if isinstance(variables, Mapping) else {}  # bad ones fail coercion later
    walk = _Walk(schema, document, operation, given, default_page_size)
    root = schema.get_root_type(operation.operation)
    return walk.selections(operation.selection_set, root, None)


def check(
    schema: GraphQLSchema,
    document: DocumentNode,
    variables: Mapping[str, Any] | None,
    operation_name: str | None,
    limits: QueryLimits,
) -> list[GraphQLError]:
    """The ``QUERY_TOO_COMPLEX`` errors of an operation: empty when it is within every limit."""
    return checked_cost(schema, document, variables, operation_name, limits)[1]


def checked_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    variables: Mapping[str, Any] | None,
    operation_name: str | None,
    limits: QueryLimits,
) -> tuple[int, list[GraphQLError]]:
    """The operation's cost, and its ``QUERY_TOO_COMPLEX`` errors (``check``)."""
    try:
        found = measure(
            schema, document, variables, operation_name, default_page_size=limits.default_page_size
        )
    except RecursionError:
        return 0, [_too_complex(f"nested too deeply (the depth limit is {limits.max_depth}).")]
    errors = []
    if found.depth > limits.max_depth:
        errors.append(_too_complex(f"depth {found.depth} exceeds the limit of {limits.max_depth}."))
    if found.aliases > limits.max_aliases:
        errors.append(
            _too_complex(f"{found.aliases} aliases exceed the limit of {limits.max_aliases}.")
        )
    if found.cost > limits.max_cost:
        errors.append(_too_complex(f"cost {found.cost} exceeds the limit of {limits.max_cost}."))
    return found.cost, errors


@runtime_checkable
class SpendsBudget(Protocol):
    """A request context that pays for operations (gql/context.py's Context)."""

    async def spend_budget(self, cost: int) -> None: ...


def budget_error(error: DomainError) -> GraphQLError:
    """A refusal of the caller's budget as the GraphQL error a client sees."""
    return GraphQLError(error.message, extensions={"code": error.code, **error.extensions()})


class _Walk:
    """One pass over an operation; each fragment is measured once per page size it sits in."""

    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: Mapping[str, Any],
        default_page_size: int,
    ) -> None:
        self.schema = schema
        self.default_page_size = default_page_size
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        defaults = {
            d.variable.name.value: value_from_ast_untyped(d.default_value)
            for d in operation.variable_definitions or ()
            if d.default_value is not None
        }
        self.variables = {**defaults, **variables}
        self.done: dict[tuple[str, int | None], Measurement] = {}
        self.open: set[tuple[str, int | None]] = set()

    def selections(
        self, selection_set: SelectionSetNode, parent: GraphQLNamedType | None, page: int | None
    ) -> Measurement:
        """``page``: the page size when ``parent`` is a connection (it multiplies its items)."""
        cost = depth = aliases = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                found = self.field(selection, parent)
                if page is not None and selection.name.value in _ITEMS:
                    found = found._replace(cost=found.cost * page)
            elif isinstance(selection, InlineFragmentNode):
                inner = self.named(selection.type_condition) or parent
                found = self.selections(selection.selection_set, inner, page)
            elif isinstance(selection, FragmentSpreadNode):
                found = self.fragment(selection.name.value, page)
            else:  # pragma: no cover - the three kinds of selection
                continue
            cost += found.cost
            depth = max(depth, found.depth)
            aliases += found.aliases
        return Measurement(cost, depth, aliases)

    def fragment(self, name: str, page: int | None) -> Measurement:
        key = (name, page)
        if key in self.done:
            return self.done[key]
        definition = self.fragments.get(name)
        if definition is None or key in self.open:
            return Measurement(0, 0, 0)  # unknown or cyclic: validation reports it
        self.open.add(key)
        found = self.selections(
            definition.selection_set, self.named(definition.type_condition), page
        )
        self.open.discard(key)
        self.done[key] = found
        return found

    def field(self, node: FieldNode, parent: GraphQLNamedType | None) -> Measurement:
        name = node.name.value
        parent_name = parent.name if parent is not None else ""
        alias = 1 if node.alias else 0
        level = 0 if (parent_name, name) == ("__Type", "ofType") else 1
        if name in _INTROSPECTION_ROOTS:
            inner = introspection_types[_INTROSPECTION_ROOTS[name]]
            found = self._below(node, inner, None)
            return Measurement(1, found.depth + level, found.aliases + alias)
        fields = getattr(parent, "fields", None) or {}
        definition = fields.get(name)
        weight = FIELD_COSTS.get((parent_name, name))
        if node.selection_set is None:
            return Measurement(weight or 0, level, alias)
        target = get_named_type(definition.type) if definition is not None else None
        if weight is None:
            # An edge is the item of its page; its node is the same row.
            weight = 0 if name == "node" and _is_edge(parent) else 1
        page = self._page_size(node) if _is_connection(target) else None
        found = self._below(node, target, page)
        cost = weight + found.cost
        if (
            definition is not None
            and is_list_type(get_nullable_type(definition.type))
            and not (name in _ITEMS and _is_connection(parent))
        ):
            cost *= self._list_length(node, parent_name)
        return Measurement(cost, found.depth + level, found.aliases + alias)

    def _below(
        self, node: FieldNode, target: GraphQLNamedType | None, page: int | None
    ) -> Measurement:
        if node.selection_set is None:
            return Measurement(0, 0, 0)
        return self.selections(node.selection_set, target, page)

    def named(self, type_condition: NamedTypeNode | None) -> GraphQLNamedType | None:
        return self.schema.get_type(type_condition.name.value) if type_condition else None

    def _argument(self, node: FieldNode, name: str) -> Any:
        for argument in node.arguments or ():
            if argument.name.value == name:
                value = argument.value
                if isinstance(value, VariableNode):
                    return self.variables.get(value.name.value)
                if isinstance(value, IntValueNode):
                    return int(value.value)
                if isinstance(value, ListValueNode):
                    return value.values
                return None
        return None

    def _page_size(self, node: FieldNode) -> int:
        sizes = [self._argument(node, name) for name in ("first", "last")]
        given = [max(0, s) for s in sizes if isinstance(s, int) and not isinstance(s, bool)]
        return max(given) if given else self.default_page_size

    def _list_length(self, node: FieldNode, parent_name: str) -> int:
        argument = _LIST_LENGTH_ARGUMENTS.get((parent_name, node.name.value))
        if argument is not None:
            value = self._argument(node, argument)
            if isinstance(value, (list, tuple)):
                return min(len(value), LIST_BOUNDS[(parent_name, node.name.value)])
        # A list not in LIST_BOUNDS fails tests/gql/test_cost_bounds.py; until then, the most a
        # list of this API may hold.
        return LIST_BOUNDS.get((parent_name, node.name.value), max(LIST_BOUNDS.values()))


def _is_connection(type_: GraphQLNamedType | None) -> bool:
    fields = getattr(type_, "fields", None) or {}
    return "edges" in fields and "pageInfo" in fields


def _is_edge(type_: GraphQLNamedType | None) -> bool:
    fields = getattr(type_, "fields", None) or {}
    return "node" in fields and "cursor" in fields


def too_long(length: int, limits: QueryLimits) -> GraphQLError:
    """The error of a document longer than ``limits.max_length`` characters."""
    return _too_complex(
        f"the document has {length} characters (the limit is {limits.max_length}); "
        "send long values as variables."
    )


def label_parse_error(error: GraphQLError, limits: QueryLimits) -> GraphQLError:
    """A parse error with its code: QUERY_TOO_COMPLEX when the parser stopped at a limit,
    VALIDATION_ERROR for bad syntax (relabelled in place, and returned)."""
    message = _parse_limit_message(error, limits)
    if message is not None:
        _relabel(error, message)
    elif "code" not in (error.extensions or {}):
        error.extensions = {**(error.extensions or {}), "code": "VALIDATION_ERROR"}
    return error


def _parse_limit_message(error: GraphQLError, limits: QueryLimits) -> str | None:
    """graphql-core's own words when the parser stopped at a limit."""
    if not isinstance(error, GraphQLSyntaxError):
        return None
    if error.message.endswith(
        f"Document contains more than {limits.max_tokens} tokens. Parsing aborted."
    ):
        return f"more than {limits.max_tokens} tokens (the limit is {limits.max_tokens})."
    if error.message.endswith("Document is nested too deeply. Parsing aborted."):
        return f"nested too deeply (the depth limit is {limits.max_depth})."
    return None


def _relabel(error: GraphQLError, message: str) -> None:
    # Strawberry answers with these very error objects: relabel them in place.
    error.message = f"Query too complex: {message}"
    error.extensions = {"code": QUERY_TOO_COMPLEX}


class QueryLimiter(SchemaExtension):
    """Refuses an operation past a limit before graphql-core validates it or anything runs;
    within them, its cost is spent from the caller's budget (RATE_LIMITED when it cannot be)."""

    def __init__(self, limits: QueryLimits) -> None:
        self.limits = limits

    def on_parse(self) -> Iterator[None]:
        yield
        for error in self.execution_context.pre_execution_errors or ():
            message = _parse_limit_message(error, self.limits)
            if message is not None:
                _relabel(error, message)

    async def on_validate(self) -> AsyncIterator[None]:
        context = self.execution_context
        if context.graphql_document is not None:
            cost, errors = checked_cost(
                context.schema._schema,
                context.graphql_document,
                context.variables,
                context.operation_name,
                self.limits,
            )
            caller = context.context
            # Subscriptions pay where they start (AgentgraphSchema.stream), once per subscriber.
            operation = get_operation_ast(context.graphql_document, context.operation_name)
            subscribing = (
                operation is not None and operation.operation is OperationType.SUBSCRIPTION
            )
            if not errors and not subscribing and isinstance(caller, SpendsBudget):
                try:
                    await caller.spend_budget(cost)
                except RateLimited as refused:
                    errors = [budget_error(refused)]
            if errors:
                # Strawberry skips its validation when an extension has set errors already.
                context.pre_execution_errors = errors
        yield
        # graphql-core gives up on documents too costly to validate (its budget of field
        # comparisons, or fragments nested past the recursion limit): a limit as well.
        for error in context.pre_execution_errors or ():
            if isinstance(error, ValidationAbortedError) and error.message == "Validation aborted.":
                _relabel(error, "too costly to validate (validation aborted).")
