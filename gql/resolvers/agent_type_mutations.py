"""Mutations of agent types (superusers only). Thin: parse → use case → return."""

from __future__ import annotations

import strawberry

from gql.context import Info
from gql.ids import from_global_id
from gql.permissions import Superuser
from gql.types.agent_type import AgentType
from gql.types.agent_type_inputs import CreateAgentTypeInput, UpdateAgentTypeInput
from gql.types.inputs import given
from usecases import agent_types


@strawberry.type
class AgentTypeMutations:
    @strawberry.mutation(
        description="Create an agent type. Superusers only.", permission_classes=[Superuser]
    )
    async def create_agent_type(self, info: Info, input: CreateAgentTypeInput) -> AgentType:
        spec = agent_types.AgentTypeSpec(
            name=input.name,
            slug=input.slug,
            personality_prompt=input.personality_prompt,
            primary_model=input.primary_model,
            description=given(input.description),
            expertise=given(input.expertise),
            fallback_models=given(input.fallback_models),
            model_params=given(input.model_params),
            mcp_servers=given(input.mcp_servers),
            is_active=given(input.is_active),
        )
        agent_type = await agent_types.create_agent_type(
            info.context.database, info.context.viewer, spec
        )
        return AgentType.from_record(agent_type)

    @strawberry.mutation(
        description="Change an agent type; fields left out stay as they are. Superusers only.",
        permission_classes=[Superuser],
    )
    async def update_agent_type(
        self, info: Info, id: strawberry.ID, input: UpdateAgentTypeInput
    ) -> AgentType:
        agent_type = await agent_types.update_agent_type(
            info.context.database,
            info.context.viewer,
            from_global_id(id, "AgentType"),
            input.given(),
        )
        return AgentType.from_record(agent_type)
