"""Every table of the product (SPEC §2), importable from one place."""

from store.models.accounts import AgentToken, CallerBudget, RefreshToken, SignInThrottle, User
from store.models.activity import Event, StatusTransition
from store.models.approvals import Approval
from store.models.base import Base
from store.models.configuration import AgentCapability, AgentConfig
from store.models.executions import Checkpoint, Execution, ExecutionEvent, ExecutionStep
from store.models.fleet import Agent, AgentState, AgentType, Project
from store.models.metrics import AgentMetric

__all__ = [
    "Agent",
    "AgentCapability",
    "AgentConfig",
    "AgentMetric",
    "AgentState",
    "AgentToken",
    "AgentType",
    "Approval",
    "Base",
    "CallerBudget",
    "Checkpoint",
    "Event",
    "Execution",
    "ExecutionEvent",
    "ExecutionStep",
    "Project",
    "RefreshToken",
    "SignInThrottle",
    "StatusTransition",
    "User",
]
