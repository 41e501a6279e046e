"""Inputs of an agent's configuration: config entries and capabilities (at spawn time or later)."""

from __future__ import annotations

import strawberry

from domain.values import ConfigValueType
from gql.scalars import JSON


@strawberry.input(description="A config entry given at spawn time.")
class ConfigInput:
    key: str = strawberry.field(description="Key (lowercase letters, digits, '_' and '.').")
    value: str = strawberry.field(description="Value as text; must parse as valueType.")
    value_type: ConfigValueType | None = strawberry.field(
        default=ConfigValueType.STRING, description="Type of the value (default STRING)."
    )
    description: str | None = strawberry.field(default=None, description="What it controls.")
    is_sensitive: bool | None = strawberry.field(
        default=False, description="Mask the value for everyone but the owner."
    )


@strawberry.input(description="A capability given at spawn time.")
class CapabilityInput:
    name: str = strawberry.field(description="Capability name.")
    version: str = strawberry.field(description="Semantic version, e.g. 1.2.0.")
    enabled: bool | None = strawberry.field(default=True, description="Enabled (default true).")
    parameters: JSON | None = strawberry.field(default=None, description="Parameters (object).")
    description: str | None = strawberry.field(default=None, description="What it does.")


@strawberry.input(description="Create or replace one config entry.")
class SetAgentConfigInput:
    agent_id: strawberry.ID = strawberry.field(description="The agent.")
    key: str = strawberry.field(description="Key (lowercase letters, digits, '_' and '.').")
    value: str = strawberry.field(description="Value as text; must parse as valueType.")
    value_type: ConfigValueType | None = strawberry.field(
        default=ConfigValueType.STRING, description="Type of the value (default STRING)."
    )
    description: str | None = strawberry.field(default=None, description="What it controls.")
    is_sensitive: bool | None = strawberry.field(
        default=False, description="Mask the value for everyone but the owner."
    )


@strawberry.input(description="Register a capability version (again: updates it).")
class RegisterCapabilityInput:
    agent_id: strawberry.ID = strawberry.field(description="The agent.")
    name: str = strawberry.field(description="Capability name.")
    version: str = strawberry.field(description="Semantic version; several may coexist.")
    enabled: bool | None = strawberry.field(default=True, description="Enabled (default true).")
    parameters: JSON | None = strawberry.field(default=None, description="Parameters (object).")
    description: str | None = strawberry.field(default=None, description="What it does.")
