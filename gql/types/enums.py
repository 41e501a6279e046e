"""GraphQL enums. Product enums come from domain/ (their values are what the database stores)."""

from __future__ import annotations

from enum import Enum

import strawberry

from domain.events import AgentHealth, EventKind
from domain.executions import ApprovalStatus, ExecutionStatus, StepStatus
from domain.lifecycle import AgentStatus
from domain.metrics import MetricAggregate, MetricType
from domain.recovery import RecoveryStrategy
from domain.safety import RiskLevel, SafetyLevel
from domain.values import ConfigValueType

strawberry.enum(AgentStatus, description="Where an agent is in its lifecycle.")
strawberry.enum(
    AgentHealth,
    description="Heartbeat health: HEALTHY within the timeout, STALE past it, UNKNOWN if never seen.",
)
strawberry.enum(SafetyLevel, description="How cautious an agent is: STRICT asks approval for more.")
strawberry.enum(ConfigValueType, description="The type a config value must parse as.")
strawberry.enum(MetricType, description="Kind of metric point.")
strawberry.enum(MetricAggregate, description="How metricSeries combines the points of a bucket.")
strawberry.enum(RiskLevel, description="Declared risk of a plan step.")
strawberry.enum(ExecutionStatus, description="Where an execution is.")
strawberry.enum(StepStatus, description="Where one plan step is.")
strawberry.enum(ApprovalStatus, description="State of an approval request; decided at most once.")
strawberry.enum(RecoveryStrategy, description="What to do about a failed execution.")
strawberry.enum(EventKind, description="Kind of agent event delivered by subscriptions.")


@strawberry.enum(description="Fields agents can be ordered by.")
class AgentOrderField(Enum):
    NAME = "name"
    CREATED_AT = "created_at"
    STATUS = "status"
    LAST_HEARTBEAT_AT = "last_heartbeat_at"


@strawberry.enum(description="Sort direction.")
class OrderDirection(Enum):
    ASC = "asc"
    DESC = "desc"


__all__ = [
    "AgentHealth",
    "AgentOrderField",
    "AgentStatus",
    "ApprovalStatus",
    "ConfigValueType",
    "EventKind",
    "ExecutionStatus",
    "MetricAggregate",
    "MetricType",
    "OrderDirection",
    "RecoveryStrategy",
    "RiskLevel",
    "SafetyLevel",
    "StepStatus",
]
