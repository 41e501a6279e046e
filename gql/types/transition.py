"""StatusTransition: one move in an agent's lifecycle history."""

from __future__ import annotations

import uuid

import strawberry

from domain import records
from domain.lifecycle import AgentStatus
from gql.ids import to_global_id
from gql.scalars import DateTime
from gql.types.node import Node


@strawberry.type(description="One lifecycle move of an agent (the history is a chain).")
class StatusTransition(Node):
    pk: strawberry.Private[uuid.UUID]
    cursor: str = strawberry.field(description="Global event cursor of this transition.")
    from_status: AgentStatus | None = strawberry.field(description="Null for the first one.")
    to_status: AgentStatus = strawberry.field(description="Status after the move.")
    reason: str | None = strawberry.field(description="Why, as given by the actor.")
    actor: str = strawberry.field(description="Who: 'user:<id>', 'agent-token:<id>' or 'system'.")
    at: DateTime = strawberry.field(description="When the move was committed.")

    @classmethod
    def from_record(cls, transition: records.StatusTransition) -> StatusTransition:
        return cls(
            id=strawberry.ID(to_global_id("StatusTransition", transition.id)),
            pk=transition.id,
            cursor=str(transition.seq),
            from_status=transition.from_status,
            to_status=transition.to_status,
            reason=transition.reason,
            actor=transition.actor,
            at=transition.at,
        )
