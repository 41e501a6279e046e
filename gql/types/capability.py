"""AgentCapability: a versioned capability of an agent."""

from __future__ import annotations

import uuid
from typing import Any

import strawberry

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
    def from_row(cls, row: Any) -> AgentCapability:
        return cls(
            id=strawberry.ID(to_global_id("AgentCapability", row.id)),
            pk=row.id,
            name=row.name,
            version=row.version,
            enabled=row.enabled,
            parameters=row.parameters,
            description=row.description,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )
