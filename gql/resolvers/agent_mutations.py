"""Mutations of agents: spawn, lifecycle moves, errors, deletion. Thin: parse → call the use
case → return."""

from __future__ import annotations

import strawberry

from domain.lifecycle import Trigger
from domain.safety import SafetyLevel
from domain.values import ConfigValueType
from gql.context import Info
from gql.ids import from_global_id
from gql.permissions import AgentRuntime, SignedIn
from gql.types.agent import Agent
from gql.types.agent_inputs import AgentTransitionInput, ReportAgentErrorInput, SpawnAgentInput
from gql.types.agent_payloads import AgentTransitionPayload
from gql.types.payloads import DeletePayload
from gql.types.transition import StatusTransition
from usecases import agents, configuration


def _payload(result: agents.Transitioned) -> AgentTransitionPayload:
    return AgentTransitionPayload(
        agent=Agent.from_record(result.agent),
        transition=StatusTransition.from_record(result.transition),
    )


def _spawn_request(value: SpawnAgentInput) -> agents.SpawnRequest:
    return agents.SpawnRequest(
        project_id=from_global_id(value.project_id, "Project", "input.projectId"),
        agent_type_id=from_global_id(value.agent_type_id, "AgentType", "input.agentTypeId"),
        name=value.name,
        safety_level=value.safety_level or SafetyLevel.MODERATE,
        version=value.version,
        endpoint=value.endpoint,
        configs=[
            configuration.ConfigSpec(
                c.key,
                c.value,
                c.value_type or ConfigValueType.STRING,
                c.description,
                bool(c.is_sensitive),
            )
            for c in value.configs or []
        ],
        capabilities=[
            configuration.CapabilitySpec(
                c.name, c.version, c.enabled is not False, c.parameters, c.description
            )
            for c in value.capabilities or []
        ],
    )


async def _transition(
    info: Info, value: AgentTransitionInput, trigger: Trigger
) -> AgentTransitionPayload:
    result = await agents.change_status(
        info.context.database,
        info.context.viewer,
        from_global_id(value.id, "Agent", "input.id"),
        trigger,
        reason=value.reason,
        expected_revision=value.expected_revision,
    )
    return _payload(result)


@strawberry.type
class AgentMutations:
    @strawberry.mutation(
        description="Spawn an IDLE agent into your project.", permission_classes=[SignedIn]
    )
    async def spawn_agent(self, info: Info, input: SpawnAgentInput) -> Agent:
        agent = await agents.spawn_agent(
            info.context.database, info.context.viewer, _spawn_request(input)
        )
        return Agent.from_record(agent)

    @strawberry.mutation(
        description="Pause an agent; resume returns it where it was.", permission_classes=[SignedIn]
    )
    async def pause_agent(self, info: Info, input: AgentTransitionInput) -> AgentTransitionPayload:
        return await _transition(info, input, Trigger.PAUSE)

    @strawberry.mutation(
        description="Resume a paused agent to its status before the pause.",
        permission_classes=[SignedIn],
    )
    async def resume_agent(self, info: Info, input: AgentTransitionInput) -> AgentTransitionPayload:
        return await _transition(info, input, Trigger.RESUME)

    @strawberry.mutation(
        description="Terminate an agent for good; its open executions are cancelled.",
        permission_classes=[SignedIn],
    )
    async def terminate_agent(
        self, info: Info, input: AgentTransitionInput
    ) -> AgentTransitionPayload:
        return await _transition(info, input, Trigger.TERMINATE)

    @strawberry.mutation(
        description="Bring an agent in ERROR back to IDLE.", permission_classes=[SignedIn]
    )
    async def recover_agent(
        self, info: Info, input: AgentTransitionInput
    ) -> AgentTransitionPayload:
        return await _transition(info, input, Trigger.RECOVER)

    @strawberry.mutation(
        description="Report an error: the agent goes to ERROR; errorCount + 1; lastError set.",
        permission_classes=[AgentRuntime],
    )
    async def report_agent_error(
        self, info: Info, input: ReportAgentErrorInput
    ) -> AgentTransitionPayload:
        result = await agents.report_error(
            info.context.database,
            info.context.viewer,
            from_global_id(input.agent_id, "Agent", "input.agentId"),
            input.error,
            expected_revision=input.expected_revision,
        )
        return _payload(result)

    @strawberry.mutation(
        description="Delete an agent and everything below it.", permission_classes=[SignedIn]
    )
    async def delete_agent(self, info: Info, id: strawberry.ID) -> DeletePayload:
        await agents.delete_agent(
            info.context.database, info.context.viewer, from_global_id(id, "Agent")
        )
        info.context.services.authenticator.forget()  # its tokens end with it
        return DeletePayload(
            id=id,
            message="Agent deleted with its configs, state, capabilities, metrics, history and executions.",
        )
