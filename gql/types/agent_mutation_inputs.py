"""Inputs of the agent mutations (spawn, lifecycle, configs, capabilities, telemetry)."""

from __future__ import annotations

import strawberry

from domain.metrics import MetricType
from domain.safety import SafetyLevel
from domain.values import ConfigValueType
from gql.scalars import JSON, DateTime


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


@strawberry.input(description="Spawn an agent from an agent type into a project.")
class SpawnAgentInput:
    project_id: strawberry.ID = strawberry.field(description="Project to spawn into (yours).")
    agent_type_id: strawberry.ID = strawberry.field(description="Active agent type to spawn from.")
    name: str = strawberry.field(description="Name, unique within the project.")
    safety_level: SafetyLevel | None = strawberry.field(
        default=SafetyLevel.MODERATE, description="Safety level (default MODERATE)."
    )
    version: str | None = strawberry.field(default=None, description="Software version (1.0.0).")
    endpoint: str | None = strawberry.field(default=None, description="Runtime URL, if any.")
    configs: list[ConfigInput] | None = strawberry.field(default=None, description="Configs.")
    capabilities: list[CapabilityInput] | None = strawberry.field(
        default=None, description="Capabilities."
    )


@strawberry.input(description="A lifecycle move of one agent.")
class AgentTransitionInput:
    id: strawberry.ID = strawberry.field(description="The agent.")
    reason: str | None = strawberry.field(default=None, description="Why; kept in the history.")
    expected_revision: int | None = strawberry.field(
        default=None, description="Fail with CONFLICT unless the agent is at this revision."
    )


@strawberry.input(description="An error reported by (or for) an agent runtime.")
class ReportAgentErrorInput:
    agent_id: strawberry.ID = strawberry.field(description="The agent.")
    error: JSON = strawberry.field(description="The error: an object (e.g. {error, severity}).")
    expected_revision: int | None = strawberry.field(
        default=None, description="Fail with CONFLICT unless the agent is at this revision."
    )


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


@strawberry.input(description="A heartbeat from an agent runtime.")
class HeartbeatInput:
    agent_id: strawberry.ID = strawberry.field(description="The agent.")
    resource_usage: JSON | None = strawberry.field(
        default=None, description="Current resource usage (object)."
    )
    active_workflows: JSON | None = strawberry.field(
        default=None, description="Workflows in progress (array)."
    )
    current_workflow: str | None = strawberry.field(
        default=strawberry.UNSET, description="Workflow being run (null clears it)."
    )
    at: DateTime | None = strawberry.field(default=None, description="When (default: now).")


@strawberry.input(description="One metric point.")
class MetricInput:
    name: str = strawberry.field(description="Metric name.")
    value: float = strawberry.field(description="Value (finite).")
    metric_type: MetricType | None = strawberry.field(
        default=MetricType.GAUGE, description="Kind (default GAUGE)."
    )
    unit: str | None = strawberry.field(default=None, description="Unit, e.g. 'ms'.")
    tags: JSON | None = strawberry.field(default=None, description="Tags (object).")
    recorded_at: DateTime | None = strawberry.field(
        default=None, description="When observed (default: now)."
    )


@strawberry.input(description="Replace parts of an agent's state; omitted parts stay.")
class UpdateAgentStateInput:
    agent_id: strawberry.ID = strawberry.field(description="The agent.")
    current_workflow: str | None = strawberry.field(
        default=strawberry.UNSET, description="Workflow being run (null clears it)."
    )
    workflow_data: JSON | None = strawberry.field(default=None, description="Object.")
    active_workflows: JSON | None = strawberry.field(default=None, description="Array.")
    resource_locks: JSON | None = strawberry.field(default=None, description="Array.")
    resource_usage: JSON | None = strawberry.field(default=None, description="Object.")
    metadata: JSON | None = strawberry.field(default=None, description="Object.")
    expected_revision: int | None = strawberry.field(
        default=None, description="Fail with CONFLICT unless the agent is at this revision."
    )
