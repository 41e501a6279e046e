"""AgentConfig: one configuration entry of an agent (sensitive values masked)."""

from __future__ import annotations

import uuid

import strawberry

from domain import records
from domain.values import ConfigValueType, parse_config_value
from gql.ids import to_global_id
from gql.scalars import JSON, DateTime
from gql.types import enums as _enums  # noqa: F401  (registers the GraphQL enums)
from gql.types.node import Node


@strawberry.type(description="One configuration entry of an agent.")
class AgentConfig(Node):
    pk: strawberry.Private[uuid.UUID]
    key: str = strawberry.field(description="Key (lowercase, digits, '_' and '.').")
    value: str | None = strawberry.field(
        description="Null when the value is sensitive and the caller may not read it."
    )
    value_type: ConfigValueType = strawberry.field(description="Type the value parses as.")
    typed_value: JSON | None = strawberry.field(
        description="The value parsed as its type; null when masked."
    )
    description: str | None = strawberry.field(description="What the entry controls.")
    is_sensitive: bool = strawberry.field(description="Sensitive values are masked for others.")
    masked: bool = strawberry.field(description="True when value and typedValue are withheld.")
    created_at: DateTime = strawberry.field(description="When the entry was created.")
    updated_at: DateTime = strawberry.field(description="When the entry last changed.")

    @classmethod
    def from_record(cls, config: records.AgentConfig, *, may_read_secrets: bool) -> AgentConfig:
        masked = config.is_sensitive and not may_read_secrets
        value_type = ConfigValueType(config.value_type)
        return cls(
            id=strawberry.ID(to_global_id("AgentConfig", config.id)),
            pk=config.id,
            key=config.key,
            value=None if masked else config.value,
            value_type=value_type,
            typed_value=None if masked else parse_config_value(config.value, value_type),
            description=config.description,
            is_sensitive=config.is_sensitive,
            masked=masked,
            created_at=config.created_at,
            updated_at=config.updated_at,
        )
