"""Results of agent mutations."""

from __future__ import annotations

import strawberry

from gql.types.agent import Agent
from gql.types.transition import StatusTransition


@strawberry.type(description="An agent after a lifecycle move, and the move itself.")
class AgentTransitionPayload:
    agent: Agent = strawberry.field(description="The agent after the move.")
    transition: StatusTransition = strawberry.field(description="The recorded move.")


@strawberry.type(description="Outcome of a batch write.")
class BatchResult:
    accepted: int = strawberry.field(description="Items written.")
