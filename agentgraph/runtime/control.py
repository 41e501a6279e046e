"""Operator control: pause and terminate reach the running agent through its own
``agentStateChanged`` subscription, and the agent obeys between steps.

The agent calls ``between_steps()`` before it starts each step. While it runs that returns at
once; after an operator paused the agent it reports back (the agent's ``workflowData`` says
``{"runtime": "paused"}``), waits for the resume, and reports that too; after a terminate it
reports that it stopped and raises ``Terminated``. A step already running is never interrupted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from agentgraph.runtime.errors import AgentgraphError, Terminated
from agentgraph.runtime.http import GraphQLHttp
from agentgraph.runtime.signals import Changes
from agentgraph.runtime.subscriptions import LiveSubscription, SubscriptionClient

logger = logging.getLogger("agentgraph.runtime")

STATE_CHANGED = """
subscription Control($agentId: ID!, $after: String) {
  agentStateChanged(agentId: $agentId, after: $after) {
    cursor kind fromStatus toStatus reason actor
  }
}
"""
AGENT_STATUS = """
query Status($id: ID!) {
  agent(id: $id) {
    status statusHistory(first: 1) { edges { node { cursor fromStatus toStatus reason actor } } }
  }
}
"""
REPORT_STATE = """
mutation Report($input: UpdateAgentStateInput!) { updateAgentState(input: $input) { id } }
"""


@dataclass(frozen=True)
class StatusChange:
    """One lifecycle move of this agent, as the subscription delivered it."""

    from_status: str | None
    to_status: str
    reason: str | None
    actor: str | None
    cursor: str | None


class Control:
    def __init__(
        self,
        subscriptions: SubscriptionClient,
        http: GraphQLHttp,
        agent_id: str,
        *,
        status: str,
        cursor: str | None,
    ) -> None:
        self.subscriptions = subscriptions
        self.http = http
        self.agent_id = agent_id
        self.status = status
        self.cursor = cursor
        self.last_change: StatusChange | None = None
        self.fatal: AgentgraphError | None = None
        self.changes = Changes()
        self._sub: LiveSubscription | None = None
        self._task: asyncio.Task[None] | None = None
        self._reported: str | None = None
        self._seen = 0  # status events received so far

    async def start(self) -> None:
        self._sub = await self.subscriptions.subscribe(
            STATE_CHANGED,
            {"agentId": self.agent_id},
            field="agentStateChanged",
            cursor=self.cursor,
        )
        self._task = asyncio.create_task(self._follow(self._sub), name="agentgraph-control")

    async def stop(self) -> None:
        if self._sub is not None:
            await self._sub.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    @property
    def paused(self) -> bool:
        return self.status == "PAUSED"

    @property
    def terminated(self) -> bool:
        return self.status == "TERMINATED"

    def check(self) -> None:
        """Raise what stops the agent now: a fatal error of the client, or ``Terminated``."""
        if self.fatal is not None:
            raise self.fatal
        if self.terminated:
            raise Terminated(self.last_change)

    async def between_steps(
        self,
        where: Mapping[str, Any] | None = None,
        *,
        on_pause: Callable[[], None] | None = None,
    ) -> None:
        """Return when the agent may start its next step (see the module docstring).

        ``where`` (e.g. ``{"execution": id, "nextStep": 3}``) goes into the reports back;
        ``on_pause`` is called when the agent stops for a pause (to tell its user).
        """
        await self.refresh()
        await self.obey_termination(where)
        if not self.paused:
            return
        logger.info("paused by an operator; waiting to be resumed")
        if on_pause is not None:
            on_pause()
        await self._report("paused", where)
        while self.paused and self.fatal is None:
            # The subscription wakes us; the read confirms (its events may trail the truth).
            await self.changes.wait_until(lambda: not self.paused or self.fatal is not None)
            await self.refresh()
        await self.obey_termination(where)
        await self._report("running", where)

    async def refresh(self) -> None:
        """Read the agent's status now. The subscription is what wakes the agent, but its
        events can trail what has been committed: before the agent acts on its status, a read
        taken while no event arrived is the newest there is."""
        while self.fatal is None:
            seen = self._seen
            data = await self.http.query(AGENT_STATUS, {"id": self.agent_id})
            if self._seen != seen and data["agent"]["status"] != "TERMINATED":
                continue  # an event came in meanwhile: which one is newer? Read again.
            [latest] = [edge["node"] for edge in data["agent"]["statusHistory"]["edges"]]
            if latest["toStatus"] != self.status:
                self._apply(latest)
            return

    async def until_stopped(self) -> AgentgraphError:
        """Wait until the agent must stop (terminated, or a fatal error); returns why."""
        await self.changes.wait_until(lambda: self.terminated or self.fatal is not None)
        return self.fatal or Terminated(self.last_change)

    async def obey_termination(self, where: Mapping[str, Any] | None = None) -> None:
        """Raise what stops the agent now (``check``), having reported a termination back."""
        if self.terminated and self.fatal is None:
            await self._report("stopped", where)
        self.check()

    async def _report(self, runtime: str, where: Mapping[str, Any] | None) -> None:
        """Tell the operator where the agent stands (best effort: never stops the agent)."""
        if self._reported == runtime:
            return
        self._reported = runtime
        data = {"runtime": runtime, **(where or {})}
        update = {"agentId": self.agent_id, "workflowData": data}
        try:
            await self.http.mutate(REPORT_STATE, {"input": update}, patience=5)
        except AgentgraphError as error:
            logger.warning("could not report %s back: %s", runtime, error)

    async def _follow(self, sub: LiveSubscription) -> None:
        try:
            async for event in sub:
                if event.get("kind") == "STATUS_CHANGED" and event.get("toStatus"):
                    self._seen += 1
                    self._apply(event)
        except AgentgraphError as error:
            self.fatal = error
            self.changes.notify()

    def _apply(self, move: Mapping[str, Any]) -> None:
        if self.terminated:
            return  # final: nothing comes after it (an older event may still trail in)
        self.last_change = StatusChange(
            from_status=move.get("fromStatus"),
            to_status=str(move["toStatus"]),
            reason=move.get("reason"),
            actor=move.get("actor"),
            cursor=move.get("cursor"),
        )
        self.status = self.last_change.to_status
        self.cursor = self.last_change.cursor or self.cursor
        self.changes.notify()
