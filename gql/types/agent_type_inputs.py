"""Inputs of agent types (superusers only)."""

from __future__ import annotations

from typing import Any

import strawberry

from gql.scalars import JSON
from gql.types.inputs import SLUG_DESCRIPTION


@strawberry.input(description="A new agent type (superusers only).")
class CreateAgentTypeInput:
    name: str = strawberry.field(description="Display name.")
    slug: str = strawberry.field(description=SLUG_DESCRIPTION)
    description: str | None = strawberry.field(
        default=strawberry.UNSET, description="What agents of this type do."
    )
    expertise: list[str] | None = strawberry.field(
        default=strawberry.UNSET, description="Areas of expertise (default none)."
    )
    personality_prompt: str = strawberry.field(description="System prompt giving the personality.")
    primary_model: str = strawberry.field(description="Model agents of this type use first.")
    fallback_models: list[str] | None = strawberry.field(
        default=strawberry.UNSET, description="Models to fall back to, in order (default none)."
    )
    model_params: JSON | None = strawberry.field(
        default=strawberry.UNSET, description="Model parameters; a JSON object (default {})."
    )
    mcp_servers: list[str] | None = strawberry.field(
        default=strawberry.UNSET, description="MCP servers agents may use (default none)."
    )
    is_active: bool | None = strawberry.field(
        default=True, description="Only active types can spawn agents and are listed to users."
    )


@strawberry.input(description="Changes to an agent type; only the fields given are changed.")
class UpdateAgentTypeInput:
    name: str | None = strawberry.field(default=strawberry.UNSET, description="Display name.")
    description: str | None = strawberry.field(
        default=strawberry.UNSET, description="What agents of this type do; null clears it."
    )
    expertise: list[str] | None = strawberry.field(
        default=strawberry.UNSET, description="Areas of expertise (replaces the list)."
    )
    personality_prompt: str | None = strawberry.field(
        default=strawberry.UNSET, description="System prompt giving the personality."
    )
    primary_model: str | None = strawberry.field(
        default=strawberry.UNSET, description="Model agents of this type use first."
    )
    fallback_models: list[str] | None = strawberry.field(
        default=strawberry.UNSET,
        description="Models to fall back to, in order (replaces the list).",
    )
    model_params: JSON | None = strawberry.field(
        default=strawberry.UNSET, description="Model parameters; a JSON object (replaces it)."
    )
    mcp_servers: list[str] | None = strawberry.field(
        default=strawberry.UNSET, description="MCP servers agents may use (replaces the list)."
    )
    is_active: bool | None = strawberry.field(
        default=strawberry.UNSET,
        description="Inactive types spawn no agents and are hidden from non-superusers.",
    )

    def given(self) -> dict[str, Any]:
        """The fields the client sent (explicit nulls included), by column name."""
        return {name: value for name, value in vars(self).items() if value is not strawberry.UNSET}
