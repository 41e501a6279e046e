"""The GraphQL schema, assembled from one module per aggregate."""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, Callable, Iterable
from typing import Any

import strawberry
from graphql import GraphQLError, get_operation_ast
from graphql import OperationType as DocumentOperation
from strawberry.extensions import DisableIntrospection, MaxTokensLimiter, SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.types.execution import ExecutionResult, PreExecutionError

from domain.errors import RateLimited
from gql.admission import HTTP_OPERATIONS, WEBSOCKET_OPERATIONS, refusal
from gql.context import Context
from gql.documents import CachedDocuments, Documents, PreparedDocument
from gql.errors import ErrorPolicy, HideSuggestions
from gql.execution import SettledExecutionContext
from gql.input_guard import RejectNulCharacters
from gql.input_limits import EnforceInputLimits
from gql.limits import SPEC_LIMITS, QueryLimiter, QueryLimits, budget_error, checked_cost
from gql.request_log import note_operation
from gql.resolvers.account_mutations import AccountMutations
from gql.resolvers.account_queries import AccountQueries
from gql.resolvers.agent_mutations import AgentMutations
from gql.resolvers.agent_queries import AgentQueries
from gql.resolvers.agent_token_mutations import AgentTokenMutations
from gql.resolvers.agent_type_mutations import AgentTypeMutations
from gql.resolvers.agent_type_queries import AgentTypeQueries
from gql.resolvers.approval_mutations import ApprovalMutations
from gql.resolvers.configuration_mutations import ConfigurationMutations
from gql.resolvers.execution_mutations import ExecutionMutations
from gql.resolvers.node_queries import NodeQueries
from gql.resolvers.project_mutations import ProjectMutations
from gql.resolvers.project_queries import ProjectQueries
from gql.resolvers.telemetry_mutations import TelemetryMutations
from gql.scalars import SCALARS
from gql.server_metrics import error_codes, observe_operation
from gql.subscriptions.cohorts import sharing_key
from gql.subscriptions.fields import Subscription
from gql.tracing import OperationSpans
from gql.trusted_documents import TrustedDocuments, not_listed
from gql.types.agent import Agent
from gql.types.agent_config import AgentConfig
from gql.types.agent_type import AgentType
from gql.types.approval import Approval
from gql.types.capability import AgentCapability
from gql.types.execution import Checkpoint, Execution
from gql.types.metric import AgentMetric
from gql.types.project import Project
from gql.types.transition import StatusTransition
from gql.types.user import User
from gql.write_slots import MutationWriteSlots


@strawberry.type(description="Reads: the caller, the catalog, projects, agents and their graph.")
class Query(NodeQueries, AccountQueries, AgentTypeQueries, ProjectQueries, AgentQueries):
    pass


@strawberry.type(description="Writes. Each mutation is one transaction: all or nothing.")
class Mutation(
    AccountMutations,
    AgentTokenMutations,
    AgentTypeMutations,
    ProjectMutations,
    AgentMutations,
    ConfigurationMutations,
    TelemetryMutations,
    ExecutionMutations,
    ApprovalMutations,
):
    pass


NODE_TYPES = [
    User, AgentType, Project, Agent, AgentConfig, AgentCapability, AgentMetric,
    StatusTransition, Execution, Approval, Checkpoint,
]  # fmt: skip


class AgentgraphSchema(strawberry.Schema):
    # Parsed and validated documents, shared with the compiled read path.
    documents: Documents
    limits: QueryLimits
    trusted: TrustedDocuments | None = None

    def _refusal(
        self, query: Any, variables: Any, operation_name: Any, allowed: frozenset[DocumentOperation]
    ) -> tuple[list[GraphQLError], PreparedDocument | None]:
        """Admission (gql/admission.py), after the trusted documents' check when configured."""
        if self.trusted is not None and not self.trusted.lists(query):
            return [not_listed()], None
        return refusal(self.documents, query, variables, operation_name, allowed)

    def process_errors(self, errors: Any, execution_context: Any = None) -> None:
        # Client errors are answers, not incidents; internal ones are logged once, with a
        # reference id, by the ErrorPolicy extension (gql/errors.py).
        return None

    async def execute(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        allowed_operation_types: Any = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        """HTTP runs queries and mutations through here, after ``gql/admission.py``."""
        started = time.perf_counter()
        allowed = _allowed(allowed_operation_types, HTTP_OPERATIONS)
        errors, entry = self._refusal(query, variable_values, operation_name, allowed)
        if errors:
            result = ExecutionResult(data=None, errors=errors)
        else:
            result = await super().execute(
                query, variable_values, context_value, root_value, operation_name,
                allowed_operation_types, operation_extensions,
            )  # fmt: skip
        name, kind = _operation(entry, operation_name)
        codes = error_codes(result.errors)
        observe_operation(name, kind, codes, time.perf_counter() - started)
        note_operation(name, codes)
        return result

    async def stream(  # type: ignore[override]
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        operation_extensions: dict[str, Any] | None = None,
        allowed_operation_types: Any = None,
    ) -> Any:
        """Both WebSocket protocols subscribe through here, after ``gql/admission.py``:
        identical subscriptions of viewers who see the same things share one cohort
        (gql/subscriptions/cohorts.py)."""
        started = time.perf_counter()
        allowed = _allowed(allowed_operation_types, WEBSOCKET_OPERATIONS)
        errors, entry = self._refusal(query, variable_values, operation_name, allowed)
        name, kind = _operation(entry, operation_name)
        if errors:
            observe_operation(name, kind, error_codes(errors), time.perf_counter() - started)
            return _refused(errors)
        assert entry is not None and entry.document is not None and isinstance(query, str)
        if isinstance(context_value, Context):
            # Each subscriber pays for its subscription here, cohort member or not (a cohort
            # runs the pipeline once for all of them). Past a limit, the pipeline reports it.
            cost, breaches = checked_cost(
                self._schema, entry.document, variable_values, operation_name, self.limits
            )
            if not breaches:
                try:
                    await context_value.spend_budget(cost)
                except RateLimited as refused:
                    errors = [budget_error(refused)]
                    observe_operation(name, kind, error_codes(errors))
                    return _refused(errors)
        # Counted as it starts: what each event then answers is the stream's (on_stream_result).
        observe_operation(name, kind, [], time.perf_counter() - started)
        parent = super()

        def run(context: Any) -> Any:
            return parent.stream(
                query, variable_values, context, root_value, operation_name,
                operation_extensions, allowed_operation_types,
            )  # fmt: skip

        # A stream resuming from its Last-Event-ID replays history, as `after` does: alone.
        if isinstance(context_value, Context) and context_value.last_event_id is None:
            key = sharing_key(
                entry.document, query, variable_values, operation_name, context_value.viewer
            )
            if key is not None:
                return context_value.cohorts.stream(key, context_value, run)
        return await run(context_value)


def _operation(entry: PreparedDocument | None, operation_name: Any) -> tuple[str | None, str]:
    """The name and type of the operation a request runs, as far as its document says."""
    document = entry.document if entry is not None else None
    operation = get_operation_ast(document, operation_name) if document is not None else None
    if operation is None:
        return (operation_name if isinstance(operation_name, str) else None), "unknown"
    name = operation.name.value if operation.name is not None else None
    return name, operation.operation.value


def _allowed(
    given: Iterable[Any] | None, transport: frozenset[DocumentOperation]
) -> frozenset[DocumentOperation]:
    """The operation types a transport runs (narrowed further by what the caller allows)."""
    if given is None:
        return transport
    return transport & {DocumentOperation(t.value) for t in given}


async def _refused(errors: list[GraphQLError]) -> AsyncGenerator[ExecutionResult, None]:
    yield PreExecutionError(data=None, errors=errors)


def build_schema(
    *,
    production: bool = False,
    limits: QueryLimits = SPEC_LIMITS,
    trusted: TrustedDocuments | None = None,
    traced: bool = False,
) -> AgentgraphSchema:
    """The schema with the query limits of SPEC §8 (``limits``, defaults as specified) and no
    NUL characters in arguments; in production also without introspection and without
    "Did you mean" suggestions."""
    extensions: list[type[SchemaExtension] | Callable[[], SchemaExtension]] = [
        ErrorPolicy,
        lambda: MaxTokensLimiter(max_token_count=limits.max_tokens),
        lambda: QueryLimiter(limits),
        RejectNulCharacters,
        EnforceInputLimits,
        lambda: CachedDocuments(schema.documents),
        MutationWriteSlots,
    ]
    if production:
        extensions += [DisableIntrospection, HideSuggestions]
    if traced:
        extensions.insert(0, OperationSpans)  # outermost: its span holds the others' work
    schema = AgentgraphSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=NODE_TYPES,
        extensions=extensions,
        config=StrawberryConfig(scalar_map=SCALARS),
        execution_context_class=SettledExecutionContext,
    )
    schema.documents = Documents(schema._schema, limits=limits, production=production)
    schema.limits = limits
    schema.trusted = trusted
    return schema


def export_sdl() -> str:
    """The schema as SDL, exactly as committed in ``schema.graphql``."""
    return build_schema().as_str() + "\n"
