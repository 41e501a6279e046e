"""AgentType: the template agents are spawned from (admin-managed)."""

from __future__ import annotations

import uuid

import strawberry

from domain import records
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
    def from_record(cls, agent_type: records.AgentType) -> AgentType:
        return cls(
            id=strawberry.ID(to_global_id("AgentType", agent_type.id)),
            pk=agent_type.id,
            name=agent_type.name,
            slug=agent_type.slug,
            description=agent_type.description,
            expertise=agent_type.expertise,
            personality_prompt=agent_type.personality_prompt,
            primary_model=agent_type.primary_model,
            fallback_models=agent_type.fallback_models,
            model_params=agent_type.model_params,
            mcp_servers=agent_type.mcp_servers,
            is_active=agent_type.is_active,
            created_at=agent_type.created_at,
            updated_at=agent_type.updated_at,
        )
