"""The /graphql endpoint: Strawberry's ASGI view with our context, limits and error policy."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from strawberry.asgi import GraphQL

from gql.schema import build_schema

if TYPE_CHECKING:
    from agentgraph.bootstrap import Services


class AgentgraphGraphQL(GraphQL):
    def __init__(self, services: Services, **kwargs: Any) -> None:
        super().__init__(build_schema(), **kwargs)
        self.services = services


def graphql_app(services: Services) -> AgentgraphGraphQL:
    return AgentgraphGraphQL(services)
