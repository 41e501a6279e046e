"""The database maintenance agent of seeds/003, connected to Agentgraph with the runtime SDK.

    python -m examples.maintenance_agent --url http://127.0.0.1:8000 --token aga_…

It runs one execution: plans the maintenance, runs the steps one by one (printing each),
waits for a person to approve the risky ones, checkpoints every step (the server saves
``step_<i>_completed`` with its result), and stops between steps when an operator pauses it.

Exit status: 0 completed; 3 a step was rejected or its approval expired (or an operator
cancelled the execution); 4 an operator terminated the agent; 5 the agent token is not (or no
longer) valid; 1 anything else.

Run it again after it was killed and it picks up where it was: the server knows the agent's
open execution (``agent.executions.open()``), so the agent keeps no state file of its own. The
step to run is the one after the latest ``step_<i>_completed`` checkpoint, and the outputs of
the steps before are read back from their checkpoints (the report, and the repair's list of
corrupted tables, need them). A failed execution that may be retried is resumed from its
checkpoint too; one that was rejected (or expired) is not: the agent plans a new one.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
from typing import Any

from agentgraph.runtime import (
    AgentClient,
    AgentgraphError,
    Execution,
    ExecutionClosed,
    Step,
    Terminated,
    Unauthenticated,
    connect,
)
from examples.maintenance_plan import MAINTENANCE_TYPES, plan, resolve
from examples.maintenance_tools import ToolFailed, row_counts, run_tool

COMPLETED, REFUSED, TERMINATED, TOKEN_REFUSED, FAILED = 0, 3, 4, 5, 1
MAX_ATTEMPTS = 3
RETRYABLE = ("RETRY_WITH_INCREASED_TIMEOUT", "WAIT_AND_RETRY", "RETRY_WITH_BACKOFF")


def say(text: str) -> None:
    print(text, flush=True)


def _usage() -> dict[str, Any]:
    return {"max_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}


async def find_or_start(agent: AgentClient, args: argparse.Namespace) -> Execution:
    """The execution to work on: the open one, a failed one worth resuming, or a new one."""
    execution = await agent.executions.open()
    if execution is not None:
        mark = execution.latest_step_checkpoint()
        where = f"after checkpoint {mark.name}" if mark else "from its first step"
        say(f"resuming execution {execution.id} ({execution.description}) {where}")
        if not execution.steps:
            await execution.submit_plan(_plan(execution.input))
        return execution
    latest = await agent.executions.latest()
    if latest is not None and latest.status == "FAILED" and latest.recovery_strategy in RETRYABLE:
        mark = latest.latest_step_checkpoint()
        say(f"resuming failed execution {latest.id} after {mark.name if mark else 'its start'}")
        return await latest.resume()
    task = {"maintenance_type": args.type, "database": args.database, "tables": args.tables}
    description = f"{args.type} maintenance of {args.database} ({', '.join(args.tables)})"
    execution = await agent.executions.start(description, task)
    await execution.submit_plan(_plan(task))
    say(f"execution {execution.id}: {description}, {len(execution.steps)} steps")
    return execution


def _plan(task: dict[str, Any]) -> list[Any]:
    return plan(task["maintenance_type"], task["database"], task["tables"], row_counts=row_counts())


async def drive(agent: AgentClient, execution: Execution, work_seconds: float = 0.0) -> int:
    """Run the execution's steps to the end; returns the exit status."""
    outputs = execution.step_results()  # what ran before a restart, from its checkpoints
    while (step := execution.current_step()) is not None:
        if step.awaiting_approval:
            say(
                f"step {step.index} {step.tool} [{step.risk_level.lower()}] waiting for approval "
                f"{step.approval_id}: {'; '.join(step.risks) or 'needs a person'}"
            )
            decision = await execution.await_approval(step)
            reason = f": {decision.reason}" if decision.reason else ""
            say(f"step {step.index} {decision.status.lower()}{reason}")
            if not decision.approved:
                return REFUSED
            continue
        await agent.control.between_steps(
            {"execution": execution.id, "nextStep": step.index},
            on_pause=lambda: say("paused by an operator; waiting to be resumed"),
        )
        if not await run_step(agent, execution, step, outputs, work_seconds):
            return FAILED
    report = outputs.get(len(execution.steps) - 1)
    await execution.complete(report)
    say(f"execution {execution.id} completed: {json.dumps(report, sort_keys=True)}")
    return COMPLETED


async def run_step(
    agent: AgentClient,
    execution: Execution,
    step: Step,
    outputs: dict[int, Any],
    work_seconds: float,
) -> bool:
    say(f"step {step.index} {step.tool} [{step.risk_level.lower()}] running")
    try:
        params = resolve(step.params, outputs)
        result = await run_tool(step.tool, params, outputs, seconds=work_seconds)
    except ToolFailed as error:
        await execution.step_failed(step, str(error))
        say(f"step {step.index} failed (attempt {step.attempts + 1}): {error}")
        if step.attempts + 1 >= MAX_ATTEMPTS:
            await execution.fail(f"{step.tool}: {error}")
            return False
        return True
    outputs[step.index] = result
    agent.record_metric(
        "rows_scanned",
        float(result.get("rows_scanned", 0)),
        metric_type="counter",
        tags={"tool": step.tool},
    )
    await execution.step_succeeded(step, result)
    say(f"step {step.index} done: {json.dumps(result, sort_keys=True)}")
    return True


async def main_async(args: argparse.Namespace) -> int:
    options: dict[str, Any] = {"heartbeat_interval": args.heartbeat, "usage": _usage}
    if args.agent_id:
        options["agent_id"] = args.agent_id
    try:
        async with connect(args.url, args.token, **options) as agent:
            say(f"agent {agent.name} ({agent.agent_id}) connected to {agent.http_url}")
            agent.control.check()
            execution = await find_or_start(agent, args)
            return await drive(agent, execution, args.work_seconds)
    except Terminated as stopped:
        say(f"stopped: {stopped.message}")
        return TERMINATED
    except Unauthenticated as refused:
        say(f"stopped: the agent token is not valid (revoked?): {refused.message}")
        return TOKEN_REFUSED
    except ExecutionClosed as closed:
        say(f"stopped: {closed.message}")
        return REFUSED if closed.status == "CANCELLED" else FAILED
    except AgentgraphError as error:
        say(f"stopped: {type(error).__name__}: {error.message}")
        return FAILED


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m examples.maintenance_agent", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--url", required=True, help="the server, e.g. http://127.0.0.1:8000")
    parser.add_argument("--token", required=True, help="the agent's token (aga_…)")
    parser.add_argument("--agent-id", help="the agent's id (found from the token if omitted)")
    parser.add_argument("--type", choices=MAINTENANCE_TYPES, default="full")
    parser.add_argument("--database", default="warehouse")
    parser.add_argument(
        "--tables",
        type=lambda text: [t for t in text.split(",") if t],
        default=["users", "orders"],
        help="comma-separated",
    )
    parser.add_argument("--heartbeat", type=float, default=5.0, help="seconds between beats")
    parser.add_argument(
        "--work-seconds", type=float, default=0.0, help="how long each (simulated) tool takes"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(main_async(parse(argv)))


if __name__ == "__main__":
    sys.exit(main())
