"""node(id) and nodes(ids): refetch any object by its global id (Relay)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import strawberry

from domain.bounds import MAX_NODES_PER_CALL
from domain.errors import NotFound, ValidationFailed
from gql.context import Info
from gql.ids import split_global_id
from gql.permissions import AgentRuntime
from gql.types.agent import Agent
from gql.types.agent_config import AgentConfig
from gql.types.agent_type import AgentType
from gql.types.approval import Approval
from gql.types.capability import AgentCapability
from gql.types.execution import Checkpoint, Execution
from gql.types.metric import AgentMetric
from gql.types.node import Node
from gql.types.project import Project
from gql.types.transition import StatusTransition
from gql.types.user import User

MAX_NODES = MAX_NODES_PER_CALL


async def _agent_of(info: Info, agent_pk: uuid.UUID) -> Any:
    """The agent when the viewer may see it, else None."""
    return await info.context.loaders.agent_by_id.load(agent_pk)


async def _user(info: Info, pk: uuid.UUID) -> Node | None:
    if not info.context.viewer.can_see_user(pk):
        return None
    user = await info.context.loaders.user_by_id.load(pk)
    return User.from_record(user) if user else None


async def _agent_type(info: Info, pk: uuid.UUID) -> Node | None:
    if not info.context.viewer.is_user:
        return None
    agent_type = await info.context.loaders.agent_type_by_id.load(pk)
    if agent_type is None or not (agent_type.is_active or info.context.viewer.is_superuser):
        return None
    return AgentType.from_record(agent_type)


async def _project(info: Info, pk: uuid.UUID) -> Node | None:
    # Agent tokens read their agent (its project comes along as context), not projects as such.
    if info.context.viewer.is_agent:
        return None
    project = await info.context.loaders.project_by_id.load(pk)
    return Project.from_record(project) if project else None


async def _agent(info: Info, pk: uuid.UUID) -> Node | None:
    agent = await _agent_of(info, pk)
    return Agent.from_record(agent) if agent else None


async def _config(info: Info, pk: uuid.UUID) -> Node | None:
    config = await info.context.loaders.config_by_id.load(pk)
    agent = await _agent_of(info, config.agent_id) if config else None
    if config is None or agent is None:
        return None
    may_read = info.context.viewer.can_read_secrets_of(agent.id, agent.owner_id)
    return AgentConfig.from_record(config, may_read_secrets=may_read)


async def _capability(info: Info, pk: uuid.UUID) -> Node | None:
    capability = await info.context.loaders.capability_by_id.load(pk)
    if capability is None or await _agent_of(info, capability.agent_id) is None:
        return None
    return AgentCapability.from_record(capability)


async def _metric(info: Info, pk: uuid.UUID) -> Node | None:
    ident = pk.int  # metric points have bigint ids, carried in the global id as a UUID
    if ident >= 2**63:
        return None
    metric = await info.context.loaders.metric_by_id.load(ident)
    if metric is None or await _agent_of(info, metric.agent_id) is None:
        return None
    return AgentMetric.from_record(metric)


async def _transition(info: Info, pk: uuid.UUID) -> Node | None:
    transition = await info.context.loaders.transition_by_id.load(pk)
    if transition is None or await _agent_of(info, transition.agent_id) is None:
        return None
    return StatusTransition.from_record(transition)


async def _execution(info: Info, pk: uuid.UUID) -> Node | None:
    execution = await info.context.loaders.execution_by_id.load(pk)
    return Execution.from_record(execution) if execution else None


async def _approval(info: Info, pk: uuid.UUID) -> Node | None:
    approval = await info.context.loaders.approval_by_id.load(pk)
    return Approval.from_record(approval) if approval else None


async def _checkpoint(info: Info, pk: uuid.UUID) -> Node | None:
    checkpoint = await info.context.loaders.checkpoint_by_id.load(pk)
    if (
        checkpoint is None
        or await info.context.loaders.execution_by_id.load(checkpoint.execution_id) is None
    ):
        return None
    return Checkpoint.from_record(checkpoint)


RESOLVERS: dict[str, Callable[[Info, uuid.UUID], Awaitable[Node | None]]] = {
    "User": _user,
    "AgentType": _agent_type,
    "Project": _project,
    "Agent": _agent,
    "AgentConfig": _config,
    "AgentCapability": _capability,
    "AgentMetric": _metric,
    "StatusTransition": _transition,
    "Execution": _execution,
    "Approval": _approval,
    "Checkpoint": _checkpoint,
}


async def resolve_node(info: Info, global_id: str, field: str = "id") -> Node:
    """The object behind ``global_id``; NOT_FOUND when missing or not visible (no difference)."""
    type_name, pk = split_global_id(global_id, field)
    resolver = RESOLVERS.get(type_name)
    found = await resolver(info, pk) if resolver else None
    if found is None:
        raise NotFound("Object", global_id)
    return found


@strawberry.type
class NodeQueries:
    @strawberry.field(description="Any object by its global id.", permission_classes=[AgentRuntime])
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return await resolve_node(info, id)

    @strawberry.field(
        description=f"Objects by global id, in order; at most {MAX_NODES}. Missing ones are null.",
        permission_classes=[AgentRuntime],
    )
    def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[Node | None]:
        if len(ids) > MAX_NODES:
            raise ValidationFailed("ids", f"at most {MAX_NODES} ids per call")
        # Each item resolves on its own, so a missing one is a null with its own NOT_FOUND error.
        return [resolve_node(info, ident, f"ids[{i}]") for i, ident in enumerate(ids)]  # type: ignore[misc]
