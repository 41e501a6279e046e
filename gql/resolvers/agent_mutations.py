"""Mutations of agents: spawn, lifecycle moves, configs, capabilities, telemetry. Thin: parse →
call the use case → return."""

from __future__ import annotations

import strawberry

from domain.lifecycle import Trigger
from domain.metrics import MetricType
from domain.safety import SafetyLevel
from domain.values import ConfigValueType
from gql.context import Info
from gql.ids import from_global_id, to_global_id
from gql.permissions import AgentRuntime, SignedIn
from gql.types.agent import Agent
from gql.types.agent_config import AgentConfig
from gql.types.agent_mutation_inputs import (
    AgentTransitionInput,
    HeartbeatInput,
    MetricInput,
    RegisterCapabilityInput,
    ReportAgentErrorInput,
    SetAgentConfigInput,
    SpawnAgentInput,
    UpdateAgentStateInput,
)
from gql.types.agent_payloads import AgentTransitionPayload, BatchResult
from gql.types.capability import AgentCapability
from gql.types.payloads import DeletePayload
from gql.types.transition import StatusTransition
from usecases import agents, configuration, states, telemetry


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


def _heartbeat(value: HeartbeatInput, field: str) -> telemetry.Heartbeat:
    has_workflow = value.current_workflow is not strawberry.UNSET
    return telemetry.Heartbeat(
        agent_id=from_global_id(value.agent_id, "Agent", f"{field}.agentId"),
        resource_usage=value.resource_usage,
        active_workflows=value.active_workflows,
        current_workflow=value.current_workflow if has_workflow else None,
        has_workflow=has_workflow,
        at=value.at,
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
        return DeletePayload(
            id=id,
            message="Agent deleted with its configs, state, capabilities, metrics, history and executions.",
        )

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

    @strawberry.mutation(
        description="Record a heartbeat (cheap: one statement).", permission_classes=[AgentRuntime]
    )
    async def heartbeat(self, info: Info, input: HeartbeatInput) -> Agent:
        beat = _heartbeat(input, "input")
        await telemetry.record_heartbeats(
            info.context.database, info.context.viewer, [beat], "input"
        )
        agent = await info.context.loaders.agent_by_id.load(beat.agent_id)
        return Agent.from_record(agent)

    @strawberry.mutation(
        description="Record many heartbeats in one round trip.", permission_classes=[AgentRuntime]
    )
    async def heartbeats(self, info: Info, inputs: list[HeartbeatInput]) -> BatchResult:
        beats = [_heartbeat(value, f"inputs[{i}]") for i, value in enumerate(inputs)]
        applied = await telemetry.record_heartbeats(
            info.context.database, info.context.viewer, beats, "inputs"
        )
        return BatchResult(accepted=len(beats) if applied else 0)

    @strawberry.mutation(
        description="Append metric points (at most 1000 per call, one INSERT).",
        permission_classes=[AgentRuntime],
    )
    async def record_metrics(
        self, info: Info, agent_id: strawberry.ID, metrics: list[MetricInput]
    ) -> BatchResult:
        points = [
            telemetry.MetricPoint(
                m.name, m.value, m.metric_type or MetricType.GAUGE, m.unit, m.tags, m.recorded_at
            )
            for m in metrics
        ]
        accepted = await telemetry.record_metrics(
            info.context.database,
            info.context.viewer,
            from_global_id(agent_id, "Agent", "agentId"),
            points,
        )
        return BatchResult(accepted=accepted)

    @strawberry.mutation(
        description="Replace parts of an agent's state.", permission_classes=[AgentRuntime]
    )
    async def update_agent_state(self, info: Info, input: UpdateAgentStateInput) -> Agent:
        has_workflow = input.current_workflow is not strawberry.UNSET
        update = states.StateUpdate(
            current_workflow=input.current_workflow if has_workflow else None,
            has_current_workflow=has_workflow,
            workflow_data=input.workflow_data,
            active_workflows=input.active_workflows,
            resource_locks=input.resource_locks,
            resource_usage=input.resource_usage,
            metadata=input.metadata,
        )
        agent = await states.update_state(
            info.context.database,
            info.context.viewer,
            from_global_id(input.agent_id, "Agent", "input.agentId"),
            update,
            expected_revision=input.expected_revision,
        )
        return Agent.from_record(agent)
