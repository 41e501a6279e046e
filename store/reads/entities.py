"""What the compiled read path can read: entities (rows and their attributes) and the relations
between them, with the same orderings, filters and visibility as the store's other reads
(store/agents.py, store/catalog.py, store/work.py, store/scopes.py).

Templates use ``{t}`` for the table inside a relation's row query and ``{r}`` for the row alias
its attributes are read from; ``{p}`` is the parent's row alias.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from domain.lifecycle import ACTIVE_STATUSES, AgentStatus
from store.reads.scope import Scope
from store.reads.spelling import json_float, metric_uuid

Attribute = str | Callable[[Scope, str], str]
Conditions = Callable[[Scope, str, str, Mapping[str, Any]], list[str]]


@dataclass(frozen=True)
class Key:
    """One expression of a keyset ordering and how its value travels in a cursor."""

    expr: str  # over {x}: the table inside the row query, or the row alias outside it
    sql_type: str
    cursor: Literal["text", "number", "datetime"]
    # What the cursor carries, when it is not the key itself.
    cursor_expr: str | None = None


@dataclass(frozen=True)
class Relation:
    target: str
    kind: Literal["one", "many", "page"]
    where: Conditions
    # many: the list's order; page: the keyset ordering (unique tie-breaker last)
    keys: Callable[[Mapping[str, Any]], tuple[list[Key], bool]] = lambda args: ([], False)
    # The target's rows when the parent holds what they need (else the entity's own rows).
    rows: str | None = None
    # A condition the whole value depends on (else it is NULL): what a resolver checks first.
    guard: Callable[[Scope, Mapping[str, Any]], str | None] = lambda scope, args: None


@dataclass(frozen=True)
class Entity:
    rows: str  # SELECT … FROM … over {t}: the columns the attributes read
    attributes: Mapping[str, Attribute]
    relations: Mapping[str, Relation] = field(default_factory=dict)


def _columns(*names: str) -> dict[str, Attribute]:
    return {name: f"{{r}}.{name}" for name in names}


def _child_of(column: str, parent: str = "id") -> Conditions:
    return lambda scope, t, p, args: [f"{t}.{column} = {p}.{parent}"]


def _fixed(*keys: Key, descending: bool) -> Callable[[Mapping[str, Any]], tuple[list[Key], bool]]:
    return lambda args: (list(keys), descending)


_UUID = Key("{x}.id", "uuid", "text")


# --- agents ---------------------------------------------------------------------------------

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


def _agent_keys(args: Mapping[str, Any]) -> tuple[list[Key], bool]:
    return [_AGENT_ORDERS[args["order"]], _UUID], bool(args["descending"])


def _agent_filter(scope: Scope, t: str, args: Mapping[str, Any]) -> list[str]:
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


def _project_agents(scope: Scope, t: str, p: str, args: Mapping[str, Any]) -> list[str]:
    return [f"{t}.project_id = {p}.id", *_agent_filter(scope, t, args)]


def _stats_scope(scope: Scope, t: str, p: str, args: Mapping[str, Any]) -> list[str]:
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

# --- configs ----------------------------------------------------------------------------------


def _masked(scope: Scope, r: str) -> str:
    # Viewer.can_read_secrets_of: whoever may see the agent (its owner, a superuser, its token).
    return f"({r}.is_sensitive AND NOT {scope.sees_agents(f'{r}.agent_id', f'{r}.owner_id')})"


def _config_value(scope: Scope, r: str) -> str:
    return f"CASE WHEN {_masked(scope, r)} THEN NULL ELSE {r}.value END"


def _typed_value(scope: Scope, r: str) -> str:
    """domain.values.parse_config_value, in SQL (values were checked when they were written)."""
    value = f"{r}.value"
    return (
        f"CASE WHEN {_masked(scope, r)} THEN NULL "
        f"WHEN {r}.value_type = 'integer' THEN to_json({value}::numeric) "
        f"WHEN {r}.value_type = 'float' THEN {json_float(value)} "
        f"WHEN {r}.value_type = 'boolean' THEN to_json(lower({value}) IN ('true', '1')) "
        f"WHEN {r}.value_type = 'json' THEN {value}::json "
        f"ELSE to_json({value}) END"
    )


def _configs(scope: Scope, t: str, p: str, args: Mapping[str, Any]) -> list[str]:
    conditions = [f"{t}.agent_id = {p}.id"]
    if args.get("keys") is not None:
        conditions.append(f"{t}.key = ANY({scope.bind(list(args['keys']), 'text[]')})")
    return conditions


def _capabilities(scope: Scope, t: str, p: str, args: Mapping[str, Any]) -> list[str]:
    conditions = [f"{t}.agent_id = {p}.id"]
    if args.get("name") is not None:
        conditions.append(f"{t}.name = {scope.bind(args['name'], 'text')}")
    if args.get("enabled_only"):
        conditions.append(f"{t}.enabled")
    return conditions


# --- metrics, history, executions, approvals ------------------------------------------------


def _metrics(scope: Scope, t: str, p: str, args: Mapping[str, Any]) -> list[str]:
    """store.metrics._filtered, in SQL text."""
    flt = args["filter"]
    conditions = [f"{t}.agent_id = {p}.id"]
    if flt.name is not None:
        conditions.append(f"{t}.name = {scope.bind(flt.name, 'text')}")
    if flt.since is not None:
        conditions.append(f"{t}.recorded_at >= {scope.bind(flt.since, 'timestamptz')}")
    if flt.until is not None:
        conditions.append(f"{t}.recorded_at <= {scope.bind(flt.until, 'timestamptz')}")
    if flt.tags_json is not None:
        conditions.append(f"{t}.tags @> {scope.bind(flt.tags_json, 'text')}::jsonb")
    return conditions


def _with_status(column: str = "agent_id") -> Conditions:
    def conditions(scope: Scope, t: str, p: str, args: Mapping[str, Any]) -> list[str]:
        found = [f"{t}.{column} = {p}.id"]
        if args.get("status") is not None:
            found.append(f"{t}.status = {scope.bind(args['status'], 'text')}")
        return found

    return conditions


def _approvals(scope: Scope, t: str, p: str, args: Mapping[str, Any]) -> list[str]:
    """store.work._approvals: a pending approval past its expiry counts as expired."""
    found = [f"{t}.agent_id = {p}.id"]
    status = args.get("status")
    if status == "pending":
        found.append(f"{t}.status = 'pending' AND {t}.expires_at > now()")
    elif status == "expired":
        found.append(
            f"({t}.status = 'expired' OR ({t}.status = 'pending' AND {t}.expires_at <= now()))"
        )
    elif status is not None:
        found.append(f"{t}.status = {scope.bind(status, 'text')}")
    return found


def _approval_status(scope: Scope, r: str) -> str:
    return (
        f"CASE WHEN {r}.status = 'pending' AND {r}.expires_at <= now() THEN 'expired' "
        f"ELSE {r}.status END"
    )


def _decider(scope: Scope, t: str, p: str, args: Mapping[str, Any]) -> list[str]:
    # Viewer.can_see_user(…, within_own_project=True): any person, never an agent runtime.
    return [f"{t}.id = {p}.decided_by", "FALSE" if scope.viewer.is_agent else "TRUE"]


# --- roots ------------------------------------------------------------------------------------


def _by_id(visible: Callable[[Scope, str], str]) -> Conditions:
    return lambda scope, t, p, args: [
        f"{t}.id = {scope.bind(args['id'], 'uuid')}",
        visible(scope, t),
    ]


def _agent_visible(scope: Scope, t: str) -> str:
    return scope.sees_agents(f"{t}.id", f"{t}p.owner_id")


def _project_visible(scope: Scope, t: str) -> str:
    return scope.sees_projects(f"{t}.id", f"{t}.owner_id")


def _root_agents(scope: Scope, t: str, p: str, args: Mapping[str, Any]) -> list[str]:
    conditions = _agent_filter(scope, t, args)
    if args.get("project_id") is not None:
        conditions.append(f"{t}.project_id = {scope.bind(args['project_id'], 'uuid')}")
    return conditions


def _project_given(scope: Scope, args: Mapping[str, Any]) -> str | None:
    """agents(projectId:): the project must be one the caller may see (else NOT_FOUND)."""
    if args.get("project_id") is None:
        return None
    project = scope.bind(args["project_id"], "uuid")
    visible = scope.sees_projects("gp.id", "gp.owner_id")
    return f"EXISTS (SELECT 1 FROM projects gp WHERE gp.id = {project} AND {visible})"


def _agent_types(scope: Scope, t: str, p: str, args: Mapping[str, Any]) -> list[str]:
    # Inactive templates are the superusers' business (store.catalog._types_query).
    return [f"{t}.is_active"] if args["active_only"] or not scope.viewer.is_superuser else []


def _me(scope: Scope, t: str, p: str, args: Mapping[str, Any]) -> list[str]:
    return [f"{t}.id = {scope.user_id()}"]


def _node_user(scope: Scope, t: str, p: str, args: Mapping[str, Any]) -> list[str]:
    # node(id) for a User: your own account, any for superusers, never for agent runtimes.
    viewer = scope.viewer
    if viewer.is_agent:
        return ["FALSE"]
    found = [f"{t}.id = {scope.bind(args['id'], 'uuid')}"]
    return found if viewer.is_superuser else [*found, f"{t}.id = {scope.user_id()}"]


def _node_agent_type(scope: Scope, t: str, p: str, args: Mapping[str, Any]) -> list[str]:
    if not scope.viewer.is_user:
        return ["FALSE"]
    found = [f"{t}.id = {scope.bind(args['id'], 'uuid')}"]
    return found if scope.viewer.is_superuser else [*found, f"{t}.is_active"]


def _node_project(scope: Scope, t: str, p: str, args: Mapping[str, Any]) -> list[str]:
    # Agent tokens read their agent (its project comes along as context), not projects as such.
    if scope.viewer.is_agent:
        return ["FALSE"]
    return _by_id(_project_visible)(scope, t, p, args)


def _below_visible_agent(column: str = "agent_id", id_type: str = "uuid") -> Conditions:
    def conditions(scope: Scope, t: str, p: str, args: Mapping[str, Any]) -> list[str]:
        agent = (
            f"SELECT 1 FROM agents va JOIN projects vp ON vp.id = va.project_id "
            f"WHERE va.id = {t}.{column} AND {scope.sees_agents('va.id', 'vp.owner_id')}"
        )
        return [f"{t}.id = {scope.bind(args['id'], id_type)}", f"EXISTS ({agent})"]

    return conditions


def _checkpoint_visible(scope: Scope, t: str, p: str, args: Mapping[str, Any]) -> list[str]:
    agent = (
        "SELECT 1 FROM executions ve JOIN agents va ON va.id = ve.agent_id "
        "JOIN projects vp ON vp.id = va.project_id "
        f"WHERE ve.id = {t}.execution_id AND {scope.sees_agents('va.id', 'vp.owner_id')}"
    )
    return [f"{t}.id = {scope.bind(args['id'], 'uuid')}", f"EXISTS ({agent})"]


_TIME_AND_ID_DESC = {
    "executions": _fixed(Key("{x}.started_at", "timestamptz", "datetime"), _UUID, descending=True),
    "approvals": _fixed(Key("{x}.requested_at", "timestamptz", "datetime"), _UUID, descending=True),
}

ENTITIES: Mapping[str, Entity] = {
    "query": Entity(
        rows="",
        attributes={},
        relations={
            "project": Relation("project", "one", _by_id(_project_visible)),
            "projects": Relation(
                "project",
                "page",
                lambda s, t, p, a: [_project_visible(s, t)],
                _fixed(Key("{x}.created_at", "timestamptz", "datetime"), _UUID, descending=False),
            ),
            "agent": Relation("agent", "one", _by_id(_agent_visible)),
            "agents": Relation("agent", "page", _root_agents, _agent_keys, guard=_project_given),
            "me": Relation("user", "one", _me),
            "agent_types": Relation(
                "agent_type",
                "page",
                _agent_types,
                _fixed(Key("{x}.name", "text", "text"), _UUID, descending=False),
            ),
            "node:User": Relation("user", "one", _node_user),
            "node:AgentType": Relation("agent_type", "one", _node_agent_type),
            "node:Project": Relation("project", "one", _node_project),
            "node:Agent": Relation("agent", "one", _by_id(_agent_visible)),
            "node:AgentConfig": Relation("config", "one", _below_visible_agent()),
            "node:AgentCapability": Relation("capability", "one", _below_visible_agent()),
            "node:AgentMetric": Relation("metric", "one", _below_visible_agent(id_type="bigint")),
            "node:StatusTransition": Relation("transition", "one", _below_visible_agent()),
            "node:Execution": Relation("execution", "one", _below_visible_agent()),
            "node:Approval": Relation("approval", "one", _below_visible_agent()),
            "node:Checkpoint": Relation("checkpoint", "one", _checkpoint_visible),
        },
    ),
    "user": Entity(
        rows="SELECT {t}.* FROM users {t}",
        attributes=_columns("id", "email", "first_name", "last_name", "is_superuser", "created_at"),
    ),
    "agent_type": Entity(
        rows="SELECT {t}.* FROM agent_types {t}",
        attributes=_columns(
            "id",
            "name",
            "slug",
            "description",
            "expertise",
            "personality_prompt",
            "primary_model",
            "fallback_models",
            "model_params",
            "mcp_servers",
            "is_active",
            "created_at",
            "updated_at",
        ),
    ),
    "project": Entity(
        rows="SELECT {t}.* FROM projects {t}",
        attributes=_columns("id", "name", "slug", "created_at", "updated_at"),
        relations={
            "owner": Relation("user", "one", _child_of("id", "owner_id")),
            "agents": Relation("agent", "page", _project_agents, _agent_keys),
            "agent_stats": Relation("agent_stats", "one", _stats_scope),
        },
    ),
    "agent_stats": Entity(
        rows=_STATS_ROWS,
        attributes=_columns(
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
    "agent": Entity(
        rows="SELECT {t}.*, {t}p.owner_id FROM agents {t} JOIN projects {t}p ON {t}p.id = {t}.project_id",
        attributes={
            **_columns(
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
            "project": Relation("project", "one", _child_of("id", "project_id")),
            "agent_type": Relation("agent_type", "one", _child_of("id", "agent_type_id")),
            "state": Relation("state", "one", _child_of("agent_id")),
            "configs": Relation(
                "config",
                "many",
                _configs,
                _fixed(Key("{x}.key", "text", "text"), descending=False),
                # The agent row carries its project's owner: no join per config.
                rows="SELECT {t}.*, {p}.owner_id FROM agent_configs {t}",
            ),
            "capabilities": Relation(
                "capability",
                "many",
                _capabilities,
                _fixed(
                    Key('{x}.name COLLATE "C"', "text", "text"),
                    Key("{x}.version_order", "text", "text"),
                    Key('{x}.version COLLATE "C"', "text", "text"),
                    descending=False,
                ),
            ),
            "metrics": Relation(
                "metric",
                "page",
                _metrics,
                _fixed(
                    Key("{x}.recorded_at", "timestamptz", "datetime"),
                    Key("{x}.id", "bigint", "number"),
                    descending=True,
                ),
            ),
            "status_history": Relation(
                "transition",
                "page",
                _child_of("agent_id"),
                _fixed(Key("{x}.seq", "bigint", "number"), descending=True),
            ),
            "executions": Relation(
                "execution", "page", _with_status(), _TIME_AND_ID_DESC["executions"]
            ),
            "approvals": Relation("approval", "page", _approvals, _TIME_AND_ID_DESC["approvals"]),
        },
    ),
    "state": Entity(
        rows="SELECT {t}.* FROM agent_states {t}",
        attributes=_columns(
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
    "config": Entity(
        rows=(
            "SELECT {t}.*, {t}p.owner_id FROM agent_configs {t} "
            "JOIN agents {t}a ON {t}a.id = {t}.agent_id JOIN projects {t}p ON {t}p.id = {t}a.project_id"
        ),
        attributes={
            **_columns(
                "id", "key", "value_type", "description", "is_sensitive", "created_at", "updated_at"
            ),
            "value": _config_value,
            "typed_value": _typed_value,
            "masked": _masked,
        },
    ),
    "capability": Entity(
        rows="SELECT {t}.* FROM agent_capabilities {t}",
        attributes=_columns(
            "id",
            "name",
            "version",
            "enabled",
            "parameters",
            "description",
            "created_at",
            "updated_at",
        ),
    ),
    "metric": Entity(
        rows="SELECT {t}.* FROM agent_metrics {t}",
        attributes={
            **_columns("name", "value", "metric_type", "unit", "tags", "recorded_at"),
            "id": lambda scope, r: metric_uuid(f"{r}.id"),
        },
    ),
    "transition": Entity(
        rows="SELECT {t}.* FROM status_transitions {t}",
        attributes={
            **_columns("id", "from_status", "to_status", "reason", "actor", "at"),
            "cursor": "{r}.seq::text",
        },
    ),
    "execution": Entity(
        rows="SELECT {t}.* FROM executions {t}",
        attributes=_columns(
            "id",
            "description",
            "input",
            "status",
            "dry_run",
            "started_at",
            "completed_at",
            "result",
            "error",
            "recovery_strategy",
            "tokens_used",
            "cost",
        ),
        relations={
            "agent": Relation("agent", "one", _child_of("id", "agent_id")),
            "steps": Relation(
                "step",
                "many",
                _child_of("execution_id"),
                _fixed(Key('{x}."index"', "int", "number"), descending=False),
            ),
            "checkpoints": Relation(
                "checkpoint",
                "many",
                _child_of("execution_id"),
                _fixed(Key("{x}.seq", "int", "number"), descending=False),
            ),
            "events": Relation(
                "execution_event",
                "page",
                _child_of("execution_id"),
                _fixed(Key("{x}.id", "bigint", "number"), descending=False),
            ),
        },
    ),
    "step": Entity(
        rows="SELECT {t}.* FROM execution_steps {t}",
        attributes={
            **_columns(
                "id",
                "tool",
                "params",
                "rationale",
                "risk_level",
                "requires_approval",
                "safe",
                "risks",
                "mitigations",
                "status",
                "result",
                "error",
                "attempts",
                "started_at",
                "completed_at",
            ),
            "index": '{r}."index"',
        },
        relations={
            # The latest request of the step (a resumed execution may ask again).
            "approval": Relation(
                "approval",
                "one",
                _child_of("step_id"),
                _fixed(Key("{x}.requested_at", "timestamptz", "datetime"), _UUID, descending=True),
            ),
        },
    ),
    "checkpoint": Entity(
        rows="SELECT {t}.* FROM checkpoints {t}",
        attributes=_columns("id", "name", "data", "created_at"),
    ),
    "execution_event": Entity(
        rows="SELECT {t}.* FROM execution_events {t}",
        attributes=_columns("event_type", "data", "at"),
    ),
    "approval": Entity(
        rows="SELECT {t}.* FROM approvals {t}",
        attributes={
            **_columns("id", "requested_at", "expires_at", "decided_at", "reason"),
            "status": _approval_status,
        },
        relations={
            "agent": Relation("agent", "one", _child_of("id", "agent_id")),
            "execution": Relation("execution", "one", _child_of("id", "execution_id")),
            "step": Relation("step", "one", _child_of("id", "step_id")),
            "decided_by": Relation("user", "one", _decider),
        },
    ),
}
