"""Agents and their state: the orderings and filters of agent lists, health."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from store.reads.activity_entities import agent_approvals, agent_metrics, with_status
from store.reads.config_entities import agent_capabilities, agent_configs
from store.reads.entity import (
    ID_KEY,
    Entity,
    Key,
    Relation,
    child_of,
    columns,
    fixed,
)
from store.reads.scope import Scope

# Agents never heard from sort first (store.agents._NEVER_HEARD, year 1, which asyncpg sends as
# -infinity); their cursors carry year 1, as the resolvers write it.
_NEVER_HEARD = "'-infinity'::timestamptz"
_YEAR_ONE = "'0001-01-01 00:00:00+00'::timestamptz"
_AGENT_ORDERS = {
    "name": Key("{x}.name", "text", "text"),
    "created_at": Key("{x}.created_at", "timestamptz", "datetime"),
    "status": Key("{x}.status", "text", "text"),
    "last_heartbeat_at": Key(
        f"coalesce({{x}}.last_heartbeat_at, {_NEVER_HEARD})",
        "timestamptz",
        "datetime",
        cursor_expr=f"coalesce({{x}}.last_heartbeat_at, {_YEAR_ONE})",
    ),
}


def agent_keys(args: Mapping[str, Any]) -> tuple[list[Key], bool]:
    return [_AGENT_ORDERS[args["order"]], ID_KEY], bool(args["descending"])


def agent_filter(scope: Scope, t: str, args: Mapping[str, Any]) -> list[str]:
    """store.agents._filtered, in SQL text."""
    flt = args["filter"]
    conditions = [scope.sees_agents(f"{t}.id", f"{t}p.owner_id")]
    if flt.statuses:
        conditions.append(f"{t}.status = ANY({scope.bind(list(flt.statuses), 'text[]')})")
    if flt.agent_type_id is not None:
        conditions.append(f"{t}.agent_type_id = {scope.bind(flt.agent_type_id, 'uuid')}")
    if flt.name_contains:
        pattern = "%" + _escape_like(flt.name_contains) + "%"
        conditions.append(f"lower({t}.name) LIKE lower({scope.bind(pattern, 'text')}) ESCAPE '/'")
    if flt.health is not None and flt.health.value == "unknown":
        conditions.append(f"{t}.last_heartbeat_at IS NULL")
    elif flt.health is not None:
        timeout = scope.bind(scope.heartbeat_timeout.total_seconds(), "float8")
        since = f"now() - make_interval(secs => {timeout})"
        comparison = ">=" if flt.health.value == "healthy" else "<"
        conditions.append(f"{t}.last_heartbeat_at {comparison} {since}")
    return conditions


def _escape_like(text: str) -> str:
    # SQLAlchemy's icontains(autoescape=True) escapes with '/': % and _ match themselves.
    return text.replace("/", "//").replace("%", "/%").replace("_", "/_")


def _health(scope: Scope, r: str) -> str:
    timeout = scope.bind(scope.heartbeat_timeout.total_seconds(), "float8")
    return (
        f"CASE WHEN {r}.last_heartbeat_at IS NULL THEN 'unknown' "
        f"WHEN now() - {r}.last_heartbeat_at <= make_interval(secs => {timeout}) "
        "THEN 'healthy' ELSE 'stale' END"
    )


TIME_AND_ID_DESC = {
    "executions": fixed(Key("{x}.started_at", "timestamptz", "datetime"), ID_KEY, descending=True),
    "approvals": fixed(Key("{x}.requested_at", "timestamptz", "datetime"), ID_KEY, descending=True),
}

ENTITIES: Mapping[str, Entity] = {
    "agent": Entity(
        rows="SELECT {t}.*, {t}p.owner_id FROM agents {t} JOIN projects {t}p ON {t}p.id = {t}.project_id",
        attributes={
            **columns(
                "id",
                "name",
                "status",
                "revision",
                "safety_level",
                "version",
                "endpoint",
                "last_heartbeat_at",
                "tasks_completed",
                "tokens_used",
                "cost_incurred",
                "created_at",
                "updated_at",
            ),
            "health": _health,
        },
        relations={
            "project": Relation("project", "one", child_of("id", "project_id")),
            "agent_type": Relation("agent_type", "one", child_of("id", "agent_type_id")),
            "state": Relation("state", "one", child_of("agent_id")),
            "configs": Relation(
                "config",
                "many",
                agent_configs,
                fixed(Key("{x}.key", "text", "text"), descending=False),
                # The agent row carries its project's owner: no join per config.
                rows="SELECT {t}.*, {p}.owner_id FROM agent_configs {t}",
            ),
            "capabilities": Relation(
                "capability",
                "many",
                agent_capabilities,
                fixed(
                    Key('{x}.name COLLATE "C"', "text", "text"),
                    Key("{x}.version_order", "text", "text"),
                    Key('{x}.version COLLATE "C"', "text", "text"),
                    descending=False,
                ),
            ),
            "metrics": Relation(
                "metric",
                "page",
                agent_metrics,
                fixed(
                    Key("{x}.recorded_at", "timestamptz", "datetime"),
                    Key("{x}.id", "bigint", "number"),
                    descending=True,
                ),
            ),
            "status_history": Relation(
                "transition",
                "page",
                child_of("agent_id"),
                fixed(Key("{x}.seq", "bigint", "number"), descending=True),
            ),
            "executions": Relation(
                "execution", "page", with_status(), TIME_AND_ID_DESC["executions"]
            ),
            "approvals": Relation(
                "approval", "page", agent_approvals, TIME_AND_ID_DESC["approvals"]
            ),
        },
    ),
    "state": Entity(
        rows="SELECT {t}.* FROM agent_states {t}",
        attributes=columns(
            "current_workflow",
            "workflow_data",
            "active_workflows",
            "resource_locks",
            "resource_usage",
            "metadata",
            "error_count",
            "last_error",
            "last_activity_at",
            "updated_at",
        ),
    ),
}
