"""Decisions on approval requests: approve, reject. People only (agents never decide their own
approvals); the project's owner or a superuser. Thin: parse → call the use case → return."""

from __future__ import annotations

import strawberry

from gql.context import Info
from gql.ids import from_global_id
from gql.permissions import SignedIn
from gql.types.approval import Approval
from usecases import approvals


@strawberry.type
class ApprovalMutations:
    @strawberry.mutation(
        description="Approve a PENDING request: the step runs and the agent is EXECUTING again. "
        "Decided once: a second decision, or one past expiresAt, is CONFLICT.",
        permission_classes=[SignedIn],
    )
    async def approve(self, info: Info, id: strawberry.ID, reason: str | None = None) -> Approval:
        approval = await approvals.approve(
            info.context.database, info.context.viewer, from_global_id(id, "Approval"), reason
        )
        return Approval.from_record(approval)

    @strawberry.mutation(
        description="Reject a PENDING request (reason required): the step is rejected, later "
        "steps skipped, the execution FAILED and the agent IDLE. Decided once.",
        permission_classes=[SignedIn],
    )
    async def reject(self, info: Info, id: strawberry.ID, reason: str) -> Approval:
        approval = await approvals.reject(
            info.context.database, info.context.viewer, from_global_id(id, "Approval"), reason
        )
        return Approval.from_record(approval)
