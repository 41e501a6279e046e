"""Inputs of accounts and the catalog: RegisterInput, LoginInput, agent type and project inputs."""

from __future__ import annotations

from typing import Any

import strawberry

from gql.scalars import JSON

SLUG_DESCRIPTION = (
    "Unique key: 2-63 lowercase letters, digits and dashes, not starting with a dash."
)


@strawberry.input(description="A new account.")
class RegisterInput:
    email: str = strawberry.field(description="Sign-in email; unique in any letter case.")
    password: str = strawberry.field(description="At least 10 characters.")
    first_name: str | None = strawberry.field(default=strawberry.UNSET, description="Given name.")
    last_name: str | None = strawberry.field(default=strawberry.UNSET, description="Family name.")


@strawberry.input(description="Credentials to sign in with.")
class LoginInput:
    email: str = strawberry.field(description="Sign-in email, in any letter case.")
    password: str = strawberry.field(description="The account's password.")


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


@strawberry.input(description="A new project, owned by the caller.")
class CreateProjectInput:
    name: str = strawberry.field(description="Display name.")
    slug: str = strawberry.field(description=SLUG_DESCRIPTION)


def given(value: Any) -> Any:
    """``value``, or None when the client left the field out."""
    return None if value is strawberry.UNSET else value
