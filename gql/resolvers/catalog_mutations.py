"""Mutations of the catalog: agent types (superusers) and projects. Thin: parse → use case."""

from __future__ import annotations

import strawberry

from gql.context import Info
from gql.ids import from_global_id
from gql.permissions import SignedIn, Superuser
from gql.types.agent_type import AgentType
from gql.types.agent_type_inputs import CreateAgentTypeInput, UpdateAgentTypeInput
from gql.types.inputs import given
from gql.types.project import Project
from gql.types.project_inputs import CreateProjectInput
from usecases import agent_types, projects


@strawberry.type
class CatalogMutations:
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

    @strawberry.mutation(
        description="Create a project owned by the caller.", permission_classes=[SignedIn]
    )
    async def create_project(self, info: Info, input: CreateProjectInput) -> Project:
        project = await projects.create_project(
            info.context.database, info.context.viewer, name=input.name, slug=input.slug
        )
        return Project.from_record(project)
