"""Every table of the product (SPEC §2), importable from one place."""

from store.models.accounts import AgentToken, RefreshToken, User
from store.models.activity import Event, StatusTransition
from store.models.base import Base
from store.models.fleet import Agent, AgentType, Project
from store.models.runtime import AgentCapability, AgentConfig, AgentMetric, AgentState
from store.models.work import (
    Approval,
    Checkpoint,
    Execution,
    ExecutionEvent,
    ExecutionStep,
)

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
    "Checkpoint",
    "Event",
    "Execution",
    "ExecutionEvent",
    "ExecutionStep",
    "Project",
    "RefreshToken",
    "StatusTransition",
    "User",
]
