"""AgentCapability: a versioned capability of an agent."""

from __future__ import annotations

import uuid

import strawberry

from domain import records
from gql.ids import to_global_id
from gql.scalars import JSON, DateTime
from gql.types import enums as _enums  # noqa: F401  (registers the GraphQL enums)
from gql.types.node import Node


@strawberry.type(description="A versioned capability of an agent.")
class AgentCapability(Node):
    pk: strawberry.Private[uuid.UUID]
    name: str = strawberry.field(description="Capability name; several versions may coexist.")
    version: str = strawberry.field(description="Semantic version.")
    enabled: bool = strawberry.field(description="Disabled capabilities are not used.")
    parameters: JSON = strawberry.field(description="Parameters (a JSON object).")
    description: str | None = strawberry.field(description="What the capability does.")
    created_at: DateTime = strawberry.field(description="When it was registered.")
    updated_at: DateTime = strawberry.field(description="When it last changed.")

    @classmethod
    def from_record(cls, capability: records.AgentCapability) -> AgentCapability:
        return cls(
            id=strawberry.ID(to_global_id("AgentCapability", capability.id)),
            pk=capability.id,
            name=capability.name,
            version=capability.version,
            enabled=capability.enabled,
            parameters=capability.parameters,
            description=capability.description,
            created_at=capability.created_at,
            updated_at=capability.updated_at,
        )
