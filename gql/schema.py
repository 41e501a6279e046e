"""The GraphQL schema, assembled from one module per aggregate."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.schema.config import StrawberryConfig

from gql.errors import ErrorPolicy
from gql.resolvers.agent_mutations import AgentMutations
from gql.resolvers.agent_queries import AgentQueries
from gql.resolvers.approval_mutations import ApprovalMutations
from gql.resolvers.catalog_mutations import CatalogMutations
from gql.resolvers.catalog_queries import CatalogQueries
from gql.resolvers.execution_mutations import ExecutionMutations
from gql.resolvers.identity_mutations import IdentityMutations
from gql.resolvers.node_queries import NodeQueries
from gql.scalars import SCALARS
from gql.subscriptions.fields import Subscription
from gql.types.agent import Agent
from gql.types.agent_type import AgentType
from gql.types.approval import Approval
from gql.types.execution import Checkpoint, Execution
from gql.types.project import Project
from gql.types.runtime import AgentCapability, AgentConfig, AgentMetric
from gql.types.transition import StatusTransition
from gql.types.user import User


@strawberry.type(description="Reads: the caller, the catalog, projects, agents and their graph.")
class Query(NodeQueries, CatalogQueries, AgentQueries):
    pass


@strawberry.type(description="Writes. Each mutation is one transaction: all or nothing.")
class Mutation(
    IdentityMutations, CatalogMutations, AgentMutations, ExecutionMutations, ApprovalMutations
):
    pass


NODE_TYPES = [
    User, AgentType, Project, Agent, AgentConfig, AgentCapability, AgentMetric,
    StatusTransition, Execution, Approval, Checkpoint,
]  # fmt: skip


class AgentgraphSchema(strawberry.Schema):
    def process_errors(self, errors: Any, execution_context: Any = None) -> None:
        # Client errors are answers, not incidents; internal ones are logged once, with a
        # reference id, by the ErrorPolicy extension (gql/errors.py).
        return None


def build_schema(*, production: bool = False) -> strawberry.Schema:
    return AgentgraphSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=NODE_TYPES,
        extensions=[ErrorPolicy],
        config=StrawberryConfig(scalar_map=SCALARS),
    )


def export_sdl() -> str:
    """The schema as SDL, exactly as committed in ``schema.graphql``."""
    return build_schema().as_str() + "\n"
