"""Inputs of agents: the filter and order of lists of agents, spawning, lifecycle moves, errors."""

from __future__ import annotations

import strawberry

from domain.events import AgentHealth
from domain.lifecycle import AgentStatus
from domain.safety import SafetyLevel
from gql.ids import from_global_id
from gql.scalars import JSON
from gql.types.configuration_inputs import CapabilityInput, ConfigInput
from gql.types.enums import AgentOrderField, OrderDirection
from store.agents import AgentFilter


@strawberry.input(
    name="AgentFilter", description="Narrows a list of agents; all given parts must hold."
)
class AgentFilterInput:
    status: list[AgentStatus] | None = strawberry.field(
        default=None, description="Any of these statuses."
    )
    agent_type_id: strawberry.ID | None = strawberry.field(
        default=None, description="Spawned from this agent type."
    )
    health: AgentHealth | None = strawberry.field(default=None, description="With this health.")
    name_contains: str | None = strawberry.field(
        default=None,
        description="Name contains this text, case-insensitively (% and _ match themselves).",
    )


@strawberry.input(
    name="AgentOrder", description="Ordering of a list of agents (ties broken by id)."
)
class AgentOrderInput:
    field: AgentOrderField = strawberry.field(description="Field to order by.")
    direction: OrderDirection | None = strawberry.field(
        default=OrderDirection.ASC, description="ASC (default) or DESC."
    )


def agent_filter(value: AgentFilterInput | None) -> AgentFilter:
    if value is None:
        return AgentFilter()
    type_id = (
        from_global_id(value.agent_type_id, "AgentType", "filter.agentTypeId")
        if value.agent_type_id is not None
        else None
    )
    return AgentFilter(
        statuses=tuple(s.value for s in value.status) if value.status else None,
        agent_type_id=type_id,
        health=value.health,
        name_contains=value.name_contains or None,
    )


def agent_order(value: AgentOrderInput | None) -> tuple[str, bool]:
    """(sort key name, descending); default: oldest first."""
    if value is None:
        return "created_at", False
    return value.field.value, value.direction is OrderDirection.DESC


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
