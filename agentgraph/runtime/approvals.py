"""Waiting for a person to decide a step, through the approvalEvents subscription.

The watcher subscribes once, for the agent's own approvals, after a cursor read when the client
connected (the agent's latest lifecycle move). Every decision committed after that cursor
arrives on the subscription (after a reconnect or a server restart the client resumes from the
last event it received). The agent only waits on steps it read as awaiting approval after it
connected, so their decisions come after that cursor: none is missed, and none is polled for.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Any

from agentgraph.runtime.errors import AgentgraphError
from agentgraph.runtime.http import GraphQLHttp
from agentgraph.runtime.signals import Changes
from agentgraph.runtime.subscriptions import LiveSubscription, SubscriptionClient

APPROVAL_FIELDS = "id status reason decidedAt step { index } execution { id }"
APPROVAL_EVENTS = f"""
subscription Approvals($agentId: ID!, $after: String) {{
  approvalEvents(agentId: $agentId, after: $after) {{ cursor kind approval {{ {APPROVAL_FIELDS} }} }}
}}
"""
APPROVAL = f"""
query Approval($id: ID!) {{ node(id: $id) {{ ... on Approval {{ {APPROVAL_FIELDS} }} }} }}
"""
DECIDED = ("APPROVED", "REJECTED", "EXPIRED", "CANCELLED")


@dataclass(frozen=True)
class ApprovalDecision:
    """How a person (or the clock: EXPIRED) decided a step."""

    approval_id: str
    status: str  # APPROVED, REJECTED, EXPIRED or CANCELLED
    reason: str | None
    step_index: int | None
    execution_id: str | None
    decided_at: str | None

    @property
    def approved(self) -> bool:
        return self.status == "APPROVED"

    @classmethod
    def from_approval(cls, approval: dict[str, Any]) -> ApprovalDecision:
        step = approval.get("step") or {}
        execution = approval.get("execution") or {}
        return cls(
            approval_id=str(approval["id"]),
            status=str(approval["status"]),
            reason=approval.get("reason"),
            step_index=step.get("index"),
            execution_id=execution.get("id"),
            decided_at=approval.get("decidedAt"),
        )


class ApprovalWatcher:
    def __init__(
        self,
        subscriptions: SubscriptionClient,
        http: GraphQLHttp,
        agent_id: str,
        cursor: str | None,
    ) -> None:
        self.subscriptions = subscriptions
        self.http = http
        self.agent_id = agent_id
        self.cursor = cursor
        self.decisions: dict[str, ApprovalDecision] = {}
        self.waiting: set[str] = set()  # approvals an agent is waiting on right now
        self.fatal: AgentgraphError | None = None
        self.changes = Changes()
        self._sub: LiveSubscription | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._sub = await self.subscriptions.subscribe(
            APPROVAL_EVENTS, {"agentId": self.agent_id}, field="approvalEvents", cursor=self.cursor
        )
        self._task = asyncio.create_task(self._follow(self._sub), name="agentgraph-approvals")

    async def stop(self) -> None:
        if self._sub is not None:
            await self._sub.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def wait(self, approval_id: str) -> ApprovalDecision:
        """The decision on ``approval_id``, once there is one (raises the client's fatal error
        if it stops first). A terminate cancels the request: the decision is CANCELLED."""
        if approval_id not in self.decisions:
            # A request past its expiry reads as EXPIRED before the server's sweeper records it
            # (and announces it): the read spares the agent that wait.
            data = await self.http.query(APPROVAL, {"id": approval_id})
            approval = data.get("node")
            if approval and approval.get("status") in DECIDED:
                self._record(approval)
        self.waiting.add(approval_id)
        self.changes.notify()
        try:
            await self.changes.wait_until(
                lambda: approval_id in self.decisions or self.fatal is not None
            )
        finally:
            self.waiting.discard(approval_id)
        if approval_id in self.decisions:
            return self.decisions[approval_id]
        assert self.fatal is not None
        raise self.fatal

    async def _follow(self, sub: LiveSubscription) -> None:
        try:
            async for event in sub:
                approval = event.get("approval")
                if approval and approval.get("status") in DECIDED:
                    self._record(approval)
        except AgentgraphError as error:
            self.fatal = error
            self.changes.notify()

    def _record(self, approval: dict[str, Any]) -> None:
        decision = ApprovalDecision.from_approval(approval)
        self.decisions[decision.approval_id] = decision
        self.changes.notify()
