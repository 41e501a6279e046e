"""AgentEvent: what subscriptions deliver."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from domain import records
from domain.events import AgentHealth, EventKind, health_of
from domain.lifecycle import AgentStatus
from gql.context import Info
from gql.loaders.base import load_required
from gql.scalars import JSON, DateTime
from gql.types.agent import Agent
from gql.types.show import show

if TYPE_CHECKING:
    from domain.events import LiveEvent
    from gql.types.approval import Approval
    from gql.types.execution import Execution


@strawberry.type(description="One event; cursor is null for heartbeats (they are not kept).")
class AgentEvent:
    seq: strawberry.Private[int | None]
    agent_pk: strawberry.Private[uuid.UUID]
    data: strawberry.Private[dict[str, Any]]
    # STATUS_CHANGED: the transition, when the event's NOTIFY carried it (else read by seq).
    move: strawberry.Private[records.StatusTransition | None]
    cursor: str | None = strawberry.field(
        description="Position in the durable log; pass as `after` to resume after this event."
    )
    kind: EventKind = strawberry.field(description="What happened.")
    at: DateTime = strawberry.field(description="When it was committed (heartbeats: reported).")

    @classmethod
    def from_live(cls, event: LiveEvent) -> AgentEvent:
        return cls(
            seq=event.seq,
            agent_pk=event.agent_id,
            data=event.data,
            move=event.transition,
            cursor=str(event.seq) if event.seq is not None else None,
            kind=event.kind,
            at=event.at,
        )

    @strawberry.field(description="The agent, as it is now; resolvable to any depth.")
    async def agent(self, info: Info) -> Agent:
        agent = await load_required(info.context.loaders.agent_by_id, self.agent_pk, "Agent")
        return Agent.from_record(agent)

    async def _transition(self, info: Info) -> records.StatusTransition | None:
        if self.kind is not EventKind.STATUS_CHANGED or self.seq is None:
            return None
        if self.move is not None:
            return self.move
        loader = info.context.loaders.transition_by_seq
        burst, info.context.burst_transitions = info.context.burst_transitions, []
        if burst:
            await loader.load_many(burst)  # the whole burst's, in one read
        return await loader.load(self.seq)

    @strawberry.field(description="STATUS_CHANGED: the status before (null for a spawn).")
    async def from_status(self, info: Info) -> AgentStatus | None:
        transition = await self._transition(info)
        return transition.from_status if transition else None

    @strawberry.field(description="STATUS_CHANGED: the status after.")
    async def to_status(self, info: Info) -> AgentStatus | None:
        transition = await self._transition(info)
        return transition.to_status if transition else None

    @strawberry.field(description="STATUS_CHANGED: why, as given by the actor.")
    async def reason(self, info: Info) -> str | None:
        transition = await self._transition(info)
        return transition.reason if transition else None

    @strawberry.field(
        description="STATUS_CHANGED: who ('user:<id>', 'agent-token:<id>', 'system')."
    )
    async def actor(self, info: Info) -> str | None:
        transition = await self._transition(info)
        return transition.actor if transition else None

    @strawberry.field(description="APPROVAL_REQUESTED / APPROVAL_DECIDED: the approval.")
    async def approval(
        self, info: Info
    ) -> Annotated[Approval, strawberry.lazy("gql.types.approval")] | None:
        ident = self.data.get("approval")
        approval = (
            await info.context.loaders.approval_by_id.load(uuid.UUID(ident)) if ident else None
        )
        return show(approval) if approval else None

    @strawberry.field(description="Events about an execution: the execution.")
    async def execution(
        self, info: Info
    ) -> Annotated[Execution, strawberry.lazy("gql.types.execution")] | None:
        ident = self.data.get("execution")
        execution = (
            await info.context.loaders.execution_by_id.load(uuid.UUID(ident)) if ident else None
        )
        return show(execution) if execution else None

    @strawberry.field(description="HEARTBEAT: the agent's latest resource usage.")
    async def resource_usage(self, info: Info) -> JSON | None:
        if self.kind is not EventKind.HEARTBEAT:
            return None
        state = await info.context.loaders.state_by_agent_id.load(self.agent_pk)
        return state.resource_usage if state else None

    @strawberry.field(description="HEALTH_CHANGED: the new health; HEARTBEAT: the current health.")
    def health(self, info: Info) -> AgentHealth | None:
        if self.kind is EventKind.HEALTH_CHANGED:
            return AgentHealth(self.data["health"])
        if self.kind is EventKind.HEARTBEAT:
            return health_of(self.at, datetime.now(UTC), info.context.heartbeat_timeout)
        return None
