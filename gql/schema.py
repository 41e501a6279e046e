"""The GraphQL schema, assembled from one module per aggregate."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
from strawberry.extensions import DisableIntrospection, MaxTokensLimiter, SchemaExtension
from strawberry.schema.config import StrawberryConfig

from gql.context import Context
from gql.documents import CachedDocuments, Documents
from gql.errors import ErrorPolicy, HideSuggestions
from gql.input_guard import RejectNulCharacters
from gql.limits import SPEC_LIMITS, QueryLimiter, QueryLimits
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
from gql.subscriptions.cohorts import sharing_key
from gql.subscriptions.fields import Subscription
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

    def process_errors(self, errors: Any, execution_context: Any = None) -> None:
        # Client errors are answers, not incidents; internal ones are logged once, with a
        # reference id, by the ErrorPolicy extension (gql/errors.py).
        return None

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
        """Both WebSocket protocols subscribe through here: identical subscriptions of viewers
        who see the same things share one cohort (gql/subscriptions/cohorts.py)."""
        parent = super()

        def run(context: Any) -> Any:
            return parent.stream(
                query, variable_values, context, root_value, operation_name,
                operation_extensions, allowed_operation_types,
            )  # fmt: skip

        if isinstance(context_value, Context):
            key = sharing_key(query, variable_values, operation_name, context_value.viewer)
            if key is not None:
                return context_value.cohorts.stream(key, context_value, run)
        return await run(context_value)


def build_schema(
    *, production: bool = False, limits: QueryLimits = SPEC_LIMITS
) -> AgentgraphSchema:
    """The schema with the query limits of SPEC §8 (``limits``, defaults as specified) and no
    NUL characters in arguments; in production also without introspection and without
    "Did you mean" suggestions."""
    extensions: list[type[SchemaExtension] | Callable[[], SchemaExtension]] = [
        ErrorPolicy,
        lambda: MaxTokensLimiter(max_token_count=limits.max_tokens),
        lambda: QueryLimiter(limits),
        RejectNulCharacters,
        lambda: CachedDocuments(schema.documents),
    ]
    if production:
        extensions += [DisableIntrospection, HideSuggestions]
    schema = AgentgraphSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=NODE_TYPES,
        extensions=extensions,
        config=StrawberryConfig(scalar_map=SCALARS),
    )
    schema.documents = Documents(
        schema._schema, max_tokens=limits.max_tokens, production=production
    )
    return schema


def export_sdl() -> str:
    """The schema as SDL, exactly as committed in ``schema.graphql``."""
    return build_schema().as_str() + "\n"
