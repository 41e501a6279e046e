"""AgentType: the template agents are spawned from (admin-managed)."""

from __future__ import annotations

import uuid
from typing import Any

import strawberry

from gql.ids import to_global_id
from gql.scalars import JSON, DateTime
from gql.types.node import Node


@strawberry.type(description="A template for agents: model, prompt, expertise and tools.")
class AgentType(Node):
    pk: strawberry.Private[uuid.UUID]
    name: str = strawberry.field(description="Display name.")
    slug: str = strawberry.field(description="Unique URL-safe key (lowercase, digits, dashes).")
    description: str | None = strawberry.field(description="What agents of this type do.")
    expertise: list[str] = strawberry.field(description="Areas of expertise.")
    personality_prompt: str = strawberry.field(description="System prompt giving the personality.")
    primary_model: str = strawberry.field(description="Model agents of this type use first.")
    fallback_models: list[str] = strawberry.field(description="Models to fall back to, in order.")
    model_params: JSON = strawberry.field(description="Model parameters (a JSON object).")
    mcp_servers: list[str] = strawberry.field(description="MCP servers agents may use.")
    is_active: bool = strawberry.field(description="Only active types can spawn agents.")
    created_at: DateTime = strawberry.field(description="When the type was created.")
    updated_at: DateTime = strawberry.field(description="When the type last changed.")

    @classmethod
    def from_row(cls, row: Any) -> AgentType:
        return cls(
            id=strawberry.ID(to_global_id("AgentType", row.id)),
            pk=row.id,
            name=row.name,
            slug=row.slug,
            description=row.description,
            expertise=row.expertise,
            personality_prompt=row.personality_prompt,
            primary_model=row.primary_model,
            fallback_models=row.fallback_models,
            model_params=row.model_params,
            mcp_servers=row.mcp_servers,
            is_active=row.is_active,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )
