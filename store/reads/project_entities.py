"""Projects, their agents and the agents' statistics."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from domain.lifecycle import ACTIVE_STATUSES, AgentStatus
from store.reads.agent_entities import agent_filter, agent_keys
from store.reads.entity import (
    Entity,
    Relation,
    child_of,
    columns,
)
from store.reads.scope import Scope


def project_agents(scope: Scope, t: str, p: str, args: Mapping[str, Any]) -> list[str]:
    return [f"{t}.project_id = {p}.id", *agent_filter(scope, t, args)]


def stats_scope(scope: Scope, t: str, p: str, args: Mapping[str, Any]) -> list[str]:
    conditions = [f"{t}.project_id = {p}.id"]
    if scope.viewer.agent_id is not None and not scope.viewer.is_superuser:
        conditions.append(f"{t}.id = {scope.agent_id()}")
    return conditions


def _statuses(*statuses: AgentStatus) -> str:
    return ", ".join(f"'{status.value}'" for status in sorted(statuses))


def _count_in(*statuses: AgentStatus) -> str:
    return f"count(*) FILTER (WHERE {{t}}.status IN ({_statuses(*statuses)}))"


# store.agents.stats_for_projects: AgentInstanceMetrics of one project, in one row.
_S = AgentStatus
_STATS_ROWS = (
    "SELECT count(*) AS total_instances, "
    f"{_count_in(*ACTIVE_STATUSES)} AS active_instances, "
    f"{_count_in(_S.IDLE)} AS idle_instances, {_count_in(_S.PAUSED)} AS paused_instances, "
    f"{_count_in(_S.ERROR)} AS error_instances, "
    f"{_count_in(_S.TERMINATED)} AS terminated_instances, "
    "coalesce(sum({t}.tasks_completed), 0) AS total_tasks_completed, "
    "coalesce(sum({t}.tokens_used), 0) AS total_tokens_used, "
    "coalesce(sum({t}.cost_incurred), 0) AS total_cost_incurred "
    "FROM agents {t}"
)

ENTITIES: Mapping[str, Entity] = {
    "project": Entity(
        rows="SELECT {t}.* FROM projects {t}",
        attributes=columns("id", "name", "slug", "created_at", "updated_at"),
        relations={
            "owner": Relation("user", "one", child_of("id", "owner_id")),
            "agents": Relation("agent", "page", project_agents, agent_keys),
            "agent_stats": Relation("agent_stats", "one", stats_scope),
        },
    ),
    "agent_stats": Entity(
        rows=_STATS_ROWS,
        attributes=columns(
            "total_instances",
            "active_instances",
            "idle_instances",
            "paused_instances",
            "error_instances",
            "terminated_instances",
            "total_tasks_completed",
            "total_tokens_used",
            "total_cost_incurred",
        ),
    ),
}
