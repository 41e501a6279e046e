"""Mutations of an agent's configuration: config entries and capabilities (owner or superuser).
Thin: parse → call the use case → return."""

from __future__ import annotations

import strawberry

from domain.values import ConfigValueType
from gql.context import Info
from gql.ids import from_global_id, to_global_id
from gql.permissions import SignedIn
from gql.types.agent_config import AgentConfig
from gql.types.capability import AgentCapability
from gql.types.configuration_inputs import RegisterCapabilityInput, SetAgentConfigInput
from gql.types.payloads import DeletePayload
from usecases import configuration


@strawberry.type
class ConfigurationMutations:
    @strawberry.mutation(
        description="Create or replace a config entry.", permission_classes=[SignedIn]
    )
    async def set_agent_config(self, info: Info, input: SetAgentConfigInput) -> AgentConfig:
        spec = configuration.ConfigSpec(
            input.key, input.value, input.value_type or ConfigValueType.STRING, input.description,
            bool(input.is_sensitive),
        )  # fmt: skip
        config = await configuration.set_config(
            info.context.database,
            info.context.viewer,
            from_global_id(input.agent_id, "Agent", "input.agentId"),
            spec,
        )
        return AgentConfig.from_record(config, may_read_secrets=True)

    @strawberry.mutation(description="Delete a config entry by key.", permission_classes=[SignedIn])
    async def delete_agent_config(
        self, info: Info, agent_id: strawberry.ID, key: str
    ) -> DeletePayload:
        deleted = await configuration.delete_config(
            info.context.database,
            info.context.viewer,
            from_global_id(agent_id, "Agent", "agentId"),
            key,
        )
        return DeletePayload(
            id=strawberry.ID(to_global_id("AgentConfig", deleted)),
            message=f"Config '{key}' deleted.",
        )

    @strawberry.mutation(
        description="Register a capability version.", permission_classes=[SignedIn]
    )
    async def register_capability(
        self, info: Info, input: RegisterCapabilityInput
    ) -> AgentCapability:
        spec = configuration.CapabilitySpec(
            input.name,
            input.version,
            input.enabled is not False,
            input.parameters,
            input.description,
        )
        capability = await configuration.register_capability(
            info.context.database,
            info.context.viewer,
            from_global_id(input.agent_id, "Agent", "input.agentId"),
            spec,
        )
        return AgentCapability.from_record(capability)

    @strawberry.mutation(
        description="Enable or disable a capability version.", permission_classes=[SignedIn]
    )
    async def set_capability_enabled(
        self, info: Info, id: strawberry.ID, enabled: bool
    ) -> AgentCapability:
        capability = await configuration.set_capability_enabled(
            info.context.database,
            info.context.viewer,
            from_global_id(id, "AgentCapability"),
            enabled,
        )
        return AgentCapability.from_record(capability)
