"""What agent runtimes report: heartbeats and metric points (telemetry: the revision stays) and
their state (revision + 1). Thin: parse → call the use case → return."""

from __future__ import annotations

import strawberry

from domain.metrics import MetricType
from gql.context import Info
from gql.ids import from_global_id
from gql.permissions import AgentRuntime
from gql.types.agent import Agent
from gql.types.agent_payloads import BatchResult
from gql.types.telemetry_inputs import HeartbeatInput, MetricInput, UpdateAgentStateInput
from usecases import states, telemetry


def heartbeat_of(value: HeartbeatInput, field: str) -> telemetry.Heartbeat:
    """The use case's heartbeat from a HeartbeatInput (also the fast path's: gql/ingest/)."""
    has_workflow = value.current_workflow is not strawberry.UNSET
    return telemetry.Heartbeat(
        agent_id=from_global_id(value.agent_id, "Agent", f"{field}.agentId"),
        resource_usage=value.resource_usage,
        active_workflows=value.active_workflows,
        current_workflow=value.current_workflow if has_workflow else None,
        has_workflow=has_workflow,
        at=value.at,
    )


def points_of(metrics: list[MetricInput]) -> list[telemetry.MetricPoint]:
    """The use case's metric points from MetricInputs (also the fast path's: gql/ingest/)."""
    return [
        telemetry.MetricPoint(
            m.name, m.value, m.metric_type or MetricType.GAUGE, m.unit, m.tags, m.recorded_at
        )
        for m in metrics
    ]


@strawberry.type
class TelemetryMutations:
    @strawberry.mutation(
        description="Record a heartbeat (cheap: one statement).", permission_classes=[AgentRuntime]
    )
    async def heartbeat(self, info: Info, input: HeartbeatInput) -> Agent:
        beat = heartbeat_of(input, "input")
        await telemetry.record_heartbeats(
            info.context.database, info.context.viewer, [beat], "input"
        )
        agent = await info.context.loaders.agent_by_id.load(beat.agent_id)
        return Agent.from_record(agent)

    @strawberry.mutation(
        description="Record many heartbeats in one round trip.", permission_classes=[AgentRuntime]
    )
    async def heartbeats(self, info: Info, inputs: list[HeartbeatInput]) -> BatchResult:
        beats = [heartbeat_of(value, f"inputs[{i}]") for i, value in enumerate(inputs)]
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
        accepted = await telemetry.record_metrics(
            info.context.database,
            info.context.viewer,
            from_global_id(agent_id, "Agent", "agentId"),
            points_of(metrics),
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
