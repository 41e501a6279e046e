"""The root fields: what each reads, for whom (the visibility checks the resolvers make)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from store.reads.agent_entities import agent_filter, agent_keys
from store.reads.entity import (
    ID_KEY,
    Conditions,
    Entity,
    Key,
    Relation,
    fixed,
)
from store.reads.scope import Scope


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
    conditions = agent_filter(scope, t, args)
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
                fixed(Key("{x}.created_at", "timestamptz", "datetime"), ID_KEY, descending=False),
            ),
            "agent": Relation("agent", "one", _by_id(_agent_visible)),
            "agents": Relation("agent", "page", _root_agents, agent_keys, guard=_project_given),
            "me": Relation("user", "one", _me),
            "agent_types": Relation(
                "agent_type",
                "page",
                _agent_types,
                fixed(Key("{x}.name", "text", "text"), ID_KEY, descending=False),
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
}
