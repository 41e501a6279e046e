"""The tables of the models, typed as Core ``Table`` objects: what every query is built from."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table

from store.models import (
    Agent,
    AgentCapability,
    AgentConfig,
    AgentMetric,
    AgentState,
    AgentToken,
    AgentType,
    Approval,
    CallerBudget,
    Checkpoint,
    Event,
    Execution,
    ExecutionEvent,
    ExecutionStep,
    Project,
    RefreshToken,
    SignInThrottle,
    StatusTransition,
    User,
)

users = cast(Table, User.__table__)
refresh_tokens = cast(Table, RefreshToken.__table__)
agent_tokens = cast(Table, AgentToken.__table__)
caller_budgets = cast(Table, CallerBudget.__table__)
sign_in_throttle = cast(Table, SignInThrottle.__table__)
agent_types = cast(Table, AgentType.__table__)
projects = cast(Table, Project.__table__)
agents = cast(Table, Agent.__table__)
configs = cast(Table, AgentConfig.__table__)
states = cast(Table, AgentState.__table__)
capabilities = cast(Table, AgentCapability.__table__)
metrics = cast(Table, AgentMetric.__table__)
events = cast(Table, Event.__table__)
transitions = cast(Table, StatusTransition.__table__)
executions = cast(Table, Execution.__table__)
steps = cast(Table, ExecutionStep.__table__)
approvals = cast(Table, Approval.__table__)
checkpoints = cast(Table, Checkpoint.__table__)
execution_events = cast(Table, ExecutionEvent.__table__)


def max_length(table: Table, column: str) -> int:
    """The declared length of a ``String(n)`` column: the longest text it stores."""
    length = getattr(table.c[column].type, "length", None)
    assert isinstance(length, int), f"{table.name}.{column} has no length"
    return length
