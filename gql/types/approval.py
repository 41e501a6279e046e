"""Approval: a human decision on one risky step; decided at most once."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from domain import records
from domain.executions import ApprovalStatus, approval_status_at
from gql.context import Info
from gql.ids import to_global_id
from gql.loaders.base import load_required
from gql.scalars import DateTime
from gql.types.node import Node
from gql.types.show import show, shows
from gql.types.user import User

if TYPE_CHECKING:
    from gql.types.agent import Agent
    from gql.types.execution import Execution, ExecutionStep


@shows(records.Approval)
@strawberry.type(description="A request for a human to approve or reject one step.")
class Approval(Node):
    pk: strawberry.Private[uuid.UUID]
    agent_pk: strawberry.Private[uuid.UUID]
    execution_pk: strawberry.Private[uuid.UUID]
    step_pk: strawberry.Private[uuid.UUID]
    decided_by_pk: strawberry.Private[uuid.UUID | None]
    status: ApprovalStatus = strawberry.field(
        description="PENDING until decided; a pending request past expiresAt reads as EXPIRED."
    )
    requested_at: DateTime = strawberry.field(description="When approval was requested.")
    expires_at: DateTime = strawberry.field(description="After this it counts as rejected.")
    decided_at: DateTime | None = strawberry.field(description="When it was decided.")
    reason: str | None = strawberry.field(description="Reason given with the decision.")

    @classmethod
    def from_record(cls, approval: records.Approval) -> Approval:
        status = approval_status_at(approval.status, approval.expires_at, datetime.now(UTC))
        return cls(
            id=strawberry.ID(to_global_id("Approval", approval.id)),
            pk=approval.id,
            agent_pk=approval.agent_id,
            execution_pk=approval.execution_id,
            step_pk=approval.step_id,
            decided_by_pk=approval.decided_by,
            status=status,
            requested_at=approval.requested_at,
            expires_at=approval.expires_at,
            decided_at=approval.decided_at,
            reason=approval.reason,
        )

    @strawberry.field(description="The agent whose step it is.")
    async def agent(self, info: Info) -> Annotated[Agent, strawberry.lazy("gql.types.agent")]:
        agent = await load_required(info.context.loaders.agent_by_id, self.agent_pk, "Agent")
        return show(agent)

    @strawberry.field(description="The execution the step belongs to.")
    async def execution(
        self, info: Info
    ) -> Annotated[Execution, strawberry.lazy("gql.types.execution")]:
        execution = await load_required(
            info.context.loaders.execution_by_id, self.execution_pk, "Execution"
        )
        return show(execution)

    @strawberry.field(description="The step waiting for the decision.")
    async def step(
        self, info: Info
    ) -> Annotated[ExecutionStep, strawberry.lazy("gql.types.execution")]:
        step = await load_required(info.context.loaders.step_by_id, self.step_pk, "ExecutionStep")
        return show(step)

    @strawberry.field(description="Who decided (not shown to agent tokens).")
    async def decided_by(self, info: Info) -> User | None:
        viewer = info.context.viewer
        if self.decided_by_pk is None or not viewer.can_see_user(
            self.decided_by_pk, within_own_project=True
        ):
            return None
        user = await info.context.loaders.user_by_id.load(self.decided_by_pk)
        return User.from_record(user) if user is not None else None
