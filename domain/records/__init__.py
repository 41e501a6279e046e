"""The records that cross layers: what the store reads, use cases pass on and the GraphQL
surface shows. Frozen dataclasses of the standard library, one module per aggregate; their
fields are the product's words (a column rename changes ``store/`` alone).

The event record (``LiveEvent``) sits with the event vocabulary in ``domain/events.py``.
"""

from domain.records.accounts import AgentToken, RefreshToken, User
from domain.records.agent_types import AgentType
from domain.records.agents import Agent, AgentState
from domain.records.approvals import Approval
from domain.records.configuration import AgentCapability, AgentConfig
from domain.records.executions import Checkpoint, Execution, ExecutionEvent, ExecutionStep
from domain.records.history import StatusTransition
from domain.records.projects import Project, ProjectStats
from domain.records.telemetry import AgentMetric, AppliedHeartbeat, MetricBucket, MetricSummary

__all__ = [
    "Agent",
    "AgentCapability",
    "AgentConfig",
    "AgentMetric",
    "AgentState",
    "AgentToken",
    "AgentType",
    "AppliedHeartbeat",
    "Approval",
    "Checkpoint",
    "Execution",
    "ExecutionEvent",
    "ExecutionStep",
    "MetricBucket",
    "MetricSummary",
    "Project",
    "ProjectStats",
    "RefreshToken",
    "StatusTransition",
    "User",
]
