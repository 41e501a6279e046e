"""Executions from the agent's side: start one, submit its plan, run its steps one by one
(waiting for approval where the server's safety rules ask for it), checkpoint, and finish.

An ``Execution`` is a snapshot of the server's record, refreshed by every call that changes it.
The server is the source of truth for where a run stands: after a restart the agent finds its
open execution (``Executions.open()``), and the step to run next is the one after the latest
``step_<i>_completed`` checkpoint; a failed one is resumed from there (``resume()``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from agentgraph.runtime.approvals import ApprovalDecision, ApprovalWatcher
from agentgraph.runtime.control import Control
from agentgraph.runtime.errors import (
    AgentgraphError,
    Conflict,
    InvalidTransition,
    ServerUnavailable,
)
from agentgraph.runtime.http import GraphQLHttp
from agentgraph.runtime.steps import Checkpoint, PlanStep, Step

OPEN_STATUSES = ("PLANNING", "RUNNING", "WAITING_APPROVAL")
FIELDS = """
id status description input dryRun error recoveryStrategy result
steps {
  index tool params rationale riskLevel requiresApproval safe risks mitigations status attempts
  result error approval { id status }
}
checkpoints { name data createdAt }
"""
START = f"mutation Start($input: StartExecutionInput!) {{ startExecution(input: $input) {{ {FIELDS} }} }}"
SUBMIT = f"mutation Plan($id: ID!, $steps: [StepInput!]!) {{ submitPlan(executionId: $id, steps: $steps) {{ {FIELDS} }} }}"
REPORT = f"mutation Report($input: StepResultInput!) {{ reportStepResult(input: $input) {{ {FIELDS} }} }}"
COMPLETE = f"""mutation Complete($id: ID!, $result: JSON, $tokens: Float, $cost: Float) {{
  completeExecution(executionId: $id, result: $result, tokensUsed: $tokens, cost: $cost) {{ {FIELDS} }}
}}"""
FAIL = f"mutation Fail($id: ID!, $error: String!) {{ failExecution(executionId: $id, error: $error) {{ {FIELDS} }} }}"
CANCEL = f"mutation Cancel($id: ID!, $reason: String) {{ cancelExecution(executionId: $id, reason: $reason) {{ {FIELDS} }} }}"
RESUME = f"mutation Resume($id: ID!) {{ resumeExecution(executionId: $id) {{ {FIELDS} }} }}"
SAVE_CHECKPOINT = """mutation Save($id: ID!, $name: String!, $data: JSON!) {
  saveCheckpoint(executionId: $id, name: $name, data: $data) { name data createdAt }
}"""
EXECUTION = f"query Execution($id: ID!) {{ execution(id: $id) {{ {FIELDS} }} }}"
_PAGE = f"edges {{ node {{ {FIELDS} }} }}"
AGENT_EXECUTIONS = f"""query Executions($id: ID!) {{ agent(id: $id) {{
  planning: executions(status: PLANNING, first: 1) {{ {_PAGE} }}
  running: executions(status: RUNNING, first: 1) {{ {_PAGE} }}
  waiting: executions(status: WAITING_APPROVAL, first: 1) {{ {_PAGE} }}
  latest: executions(first: 1) {{ {_PAGE} }}
}} }}"""


class ExecutionClosed(AgentgraphError):
    """The execution is over (COMPLETED, FAILED or CANCELLED) and has no step to run."""

    def __init__(self, execution: Execution) -> None:
        detail = f": {execution.error}" if execution.error else ""
        super().__init__(f"Execution {execution.id} is {execution.status}{detail}.")
        self.status = execution.status
        self.error = execution.error


class Execution:
    def __init__(
        self,
        http: GraphQLHttp,
        approvals: ApprovalWatcher,
        control: Control,
        data: Mapping[str, Any],
    ) -> None:
        self._http = http
        self._approvals = approvals
        self._control = control
        self._set(data)

    def _set(self, data: Mapping[str, Any]) -> None:
        self.id: str = str(data["id"])
        self.status: str = str(data["status"])
        self.description: str = str(data["description"])
        self.input: dict[str, Any] = dict(data.get("input") or {})
        self.dry_run: bool = bool(data.get("dryRun"))
        self.error: str | None = data.get("error")
        self.recovery_strategy: str | None = data.get("recoveryStrategy")
        self.result: Any = data.get("result")
        self.steps = [Step.from_json(s) for s in data.get("steps") or []]
        self.checkpoints = [Checkpoint.from_json(c) for c in data.get("checkpoints") or []]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    # --- reading ------------------------------------------------------------------------------

    async def refresh(self) -> Execution:
        self._set((await self._http.query(EXECUTION, {"id": self.id}))["execution"])
        return self

    def current_step(self) -> Step | None:
        """The step the plan stands at (running, failed and to be retried, or awaiting
        approval); None once every step is done. Raises ``ExecutionClosed`` when it is over."""
        if not self.is_open:
            raise ExecutionClosed(self)
        if not self.steps:
            raise ValueError(f"execution {self.id} has no plan yet: submit_plan() first")
        return next((step for step in self.steps if not step.done), None)

    def latest_step_checkpoint(self) -> Checkpoint | None:
        """The latest ``step_<i>_completed``: the run continues after it."""
        marks = [c for c in self.checkpoints if c.completed_step is not None]
        return marks[-1] if marks else None

    def step_results(self) -> dict[int, Any]:
        """What each completed step produced, read back from its checkpoint (so an agent that
        restarted has the outputs of the steps it ran before)."""
        results: dict[int, Any] = {}
        for checkpoint in self.checkpoints:
            if checkpoint.completed_step is not None:
                results[checkpoint.completed_step] = checkpoint.data.get("result")
        return results

    # --- running ------------------------------------------------------------------------------

    async def submit_plan(self, steps: Sequence[PlanStep]) -> Execution:
        """Submit the plan: the first step starts, or waits for approval."""
        plan = [step.as_input() for step in steps]
        await self._change(
            SUBMIT, "submitPlan", {"id": self.id, "steps": plan}, applied=lambda: bool(self.steps)
        )
        return self

    async def await_approval(self, step: Step) -> ApprovalDecision:
        """Wait for the decision on a step awaiting approval: APPROVED (the step now runs),
        REJECTED or EXPIRED (the execution failed), or CANCELLED. Raises ``Terminated`` if an
        operator terminates the agent meanwhile. Survives reconnects and server restarts."""
        if step.approval_id is None:
            raise ValueError(f"step {step.index} has no approval request")
        decision = await self._approvals.wait(step.approval_id)
        if decision.status == "CANCELLED":
            await self._control.refresh()  # cancelled by a termination?
            await self._control.obey_termination()
        await self.refresh()
        return decision

    async def step_succeeded(self, step: Step, result: Any = None) -> Execution:
        """Report success: checkpoint ``step_<i>_completed`` is saved; the next step starts."""
        variables = {
            "executionId": self.id,
            "index": step.index,
            "succeeded": True,
            "result": result,
        }
        await self._change(
            REPORT,
            "reportStepResult",
            {"input": variables},
            applied=lambda: self.steps[step.index].done,
        )
        return self

    async def step_failed(self, step: Step, error: str, result: Any = None) -> Execution:
        """Report a failed attempt; the step may be run and reported again (a retry)."""
        attempts = step.attempts
        variables = {
            "executionId": self.id,
            "index": step.index,
            "succeeded": False,
            "error": error,
            "result": result,
        }
        await self._change(
            REPORT,
            "reportStepResult",
            {"input": variables},
            applied=lambda: self.steps[step.index].attempts > attempts,
        )
        return self

    async def save_checkpoint(self, name: str, data: Mapping[str, Any]) -> Checkpoint:
        variables = {"id": self.id, "name": name, "data": dict(data)}
        saved = Checkpoint.from_json(
            (await self._http.mutate(SAVE_CHECKPOINT, variables))["saveCheckpoint"]
        )
        self.checkpoints.append(saved)
        return saved

    async def complete(
        self, result: Any = None, *, tokens_used: float | None = None, cost: float | None = None
    ) -> Execution:
        variables = {"id": self.id, "result": result, "tokens": tokens_used, "cost": cost}
        await self._change(
            COMPLETE, "completeExecution", variables, applied=lambda: self.status == "COMPLETED"
        )
        return self

    async def fail(self, error: str) -> Execution:
        """Give up: FAILED, with a recovery strategy the server classifies from ``error``."""
        await self._change(
            FAIL,
            "failExecution",
            {"id": self.id, "error": error},
            applied=lambda: self.status == "FAILED",
        )
        return self

    async def cancel(self, reason: str | None = None) -> Execution:
        await self._change(
            CANCEL,
            "cancelExecution",
            {"id": self.id, "reason": reason},
            applied=lambda: self.status == "CANCELLED",
        )
        return self

    async def resume(self) -> Execution:
        """Restart a FAILED execution from the step after its latest step checkpoint."""
        await self._change(RESUME, "resumeExecution", {"id": self.id}, applied=lambda: self.is_open)
        return self

    async def _change(
        self,
        document: str,
        field: str,
        variables: Mapping[str, Any],
        *,
        applied: Callable[[], bool],
    ) -> None:
        """Send a mutation; if its answer was lost, look whether it was applied before sending
        it again (a restart of the server must not make the agent report a step twice). A
        refusal because an operator terminated the agent raises ``Terminated``; one because the
        execution was ended meanwhile (an operator cancelled it) raises ``ExecutionClosed``."""
        try:
            try:
                self._set((await self._http.mutate(document, variables))[field])
            except ServerUnavailable as error:
                if not error.maybe_applied:
                    raise
                await self.refresh()
                if not applied():
                    self._set((await self._http.mutate(document, variables))[field])
        except (Conflict, InvalidTransition) as refused:
            await self._control.refresh()  # terminated meanwhile (its execution cancelled)?
            await self._control.obey_termination()
            if self.is_open:
                await self.refresh()  # or was the execution ended by someone else?
                if not self.is_open:
                    raise ExecutionClosed(self) from refused
            raise


class Executions:
    """The agent's executions (``AgentClient.executions``)."""

    def __init__(
        self, http: GraphQLHttp, approvals: ApprovalWatcher, control: Control, agent_id: str
    ) -> None:
        self._http = http
        self._approvals = approvals
        self._control = control
        self.agent_id = agent_id

    def _wrap(self, data: Mapping[str, Any]) -> Execution:
        return Execution(self._http, self._approvals, self._control, data)

    async def start(
        self, description: str, input: Mapping[str, Any] | None = None, *, dry_run: bool = False
    ) -> Execution:
        """A new PLANNING execution (the agent must be IDLE); submit its plan next."""
        variables = {
            "agentId": self.agent_id,
            "description": description,
            "input": dict(input or {}),
            "dryRun": dry_run,
        }
        data = await self._http.mutate(START, {"input": variables})
        return self._wrap(data["startExecution"])

    async def get(self, execution_id: str) -> Execution:
        return self._wrap((await self._http.query(EXECUTION, {"id": execution_id}))["execution"])

    async def open(self) -> Execution | None:
        """The agent's open execution (planning, running or waiting for approval), if any:
        what a restarted agent continues. The server allows at most one."""
        agent = await self._listing()
        for key in ("running", "waiting", "planning"):
            edges = agent[key]["edges"]
            if edges:
                return self._wrap(edges[0]["node"])
        return None

    async def latest(self) -> Execution | None:
        """The agent's newest execution, whatever its status."""
        edges = (await self._listing())["latest"]["edges"]
        return self._wrap(edges[0]["node"]) if edges else None

    async def _listing(self) -> dict[str, Any]:
        data = await self._http.query(AGENT_EXECUTIONS, {"id": self.agent_id})
        return dict(data["agent"])
