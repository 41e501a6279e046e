"""Inputs of the execution mutations (StartExecutionInput, StepInput, StepResultInput)."""

from __future__ import annotations

import strawberry

from domain.safety import RiskLevel
from gql.scalars import JSON


@strawberry.input(description="Start a task on an IDLE agent; the agent goes to PLANNING.")
class StartExecutionInput:
    agent_id: strawberry.ID = strawberry.field(description="The agent to run the task.")
    description: str = strawberry.field(description="What the task is (not empty).")
    input: JSON | None = strawberry.field(
        default=None, description="Input of the task: a JSON object (default {})."
    )
    dry_run: bool | None = strawberry.field(
        default=False,
        description="Record the plan and its safety decisions only: never run, never ask for "
        "approval (default false).",
    )


@strawberry.input(description="One step of a plan, as the agent runtime proposes it.")
class StepInput:
    tool: str = strawberry.field(description="The tool the step calls.")
    params: JSON | None = strawberry.field(
        default=None, description="Parameters for the tool: a JSON object (default {})."
    )
    risk_level: RiskLevel = strawberry.field(
        description="Declared risk; the safety rules may raise it (destructive tools: CRITICAL)."
    )
    rationale: str | None = strawberry.field(
        default=None, description="Why the step is in the plan."
    )


@strawberry.input(description="How one step went, reported by the agent runtime.")
class StepResultInput:
    execution_id: strawberry.ID = strawberry.field(description="The execution.")
    index: int = strawberry.field(description="The step's index (from 0): the running step.")
    succeeded: bool = strawberry.field(
        description="True: the step succeeded (checkpoint step_<index>_completed is saved and "
        "the next step starts). False: it failed (it may be reported again as a retry)."
    )
    result: JSON | None = strawberry.field(default=None, description="What the step produced.")
    error: str | None = strawberry.field(default=None, description="Why the step failed.")
