"""Every table of the product (SPEC §2), importable from one place."""

from domain.store.models.activity import Event, StatusTransition
from domain.store.models.base import Base
from domain.store.models.fleet import Agent, AgentType, Project
from domain.store.models.identity import AgentToken, RefreshToken, User
from domain.store.models.runtime import AgentCapability, AgentConfig, AgentMetric, AgentState
from domain.store.models.work import (
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
