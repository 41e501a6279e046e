"""The Agentgraph runtime SDK: connect an agent process to Agentgraph with its agent token.

    from agentgraph.runtime import PlanStep, connect

    async with connect("http://127.0.0.1:8000", token) as agent:
        run = await agent.executions.start("nightly maintenance", {"tables": ["orders"]})
        await run.submit_plan([PlanStep("vacuum", {"table": "orders"}, risk="high")])
        while (step := run.current_step()) is not None:
            if step.awaiting_approval:
                decision = await run.await_approval(step)
                if not decision.approved:
                    break
                continue
            await agent.control.between_steps()
            await run.step_succeeded(step, await do(step))
        else:
            await run.complete()

Async-first; depends on httpx and websockets only, and talks to the server through its public
GraphQL API (HTTP and graphql-transport-ws), never through its code.
"""

from agentgraph.runtime.approvals import ApprovalDecision
from agentgraph.runtime.client import AgentClient, connect
from agentgraph.runtime.control import StatusChange
from agentgraph.runtime.errors import (
    AgentgraphError,
    Conflict,
    Forbidden,
    InvalidTransition,
    NotFound,
    ProtocolError,
    QueryTooComplex,
    RateLimited,
    ServerError,
    ServerUnavailable,
    Terminated,
    Unauthenticated,
    ValidationError,
)
from agentgraph.runtime.executions import Execution, ExecutionClosed
from agentgraph.runtime.steps import Checkpoint, PlanStep, Step

__all__ = [
    "AgentClient",
    "AgentgraphError",
    "ApprovalDecision",
    "Checkpoint",
    "Conflict",
    "Execution",
    "ExecutionClosed",
    "Forbidden",
    "InvalidTransition",
    "NotFound",
    "PlanStep",
    "ProtocolError",
    "QueryTooComplex",
    "RateLimited",
    "ServerError",
    "ServerUnavailable",
    "StatusChange",
    "Step",
    "Terminated",
    "Unauthenticated",
    "ValidationError",
    "connect",
]
