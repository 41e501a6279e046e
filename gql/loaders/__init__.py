"""Every dataloader of one request, created lazily on first use (and never shared between requests)."""

from __future__ import annotations

from datetime import timedelta
from functools import cached_property

from domain.access import Viewer
from gql.loaders.accounts import UserByIdLoader
from gql.loaders.agent_types import AgentTypeByIdLoader
from gql.loaders.agents import (
    AgentByIdLoader,
    AgentCountByProjectIdLoader,
    AgentPageByProjectIdLoader,
    StateByAgentIdLoader,
)
from gql.loaders.approvals import (
    ApprovalByIdLoader,
    ApprovalByStepIdLoader,
    ApprovalCountByAgentIdLoader,
    ApprovalPageByAgentIdLoader,
)
from gql.loaders.configuration import (
    CapabilitiesByAgentIdLoader,
    CapabilityByIdLoader,
    ConfigByIdLoader,
    ConfigsByAgentIdLoader,
)
from gql.loaders.executions import (
    CheckpointByIdLoader,
    CheckpointsByExecutionIdLoader,
    EventCountByExecutionIdLoader,
    EventPageByExecutionIdLoader,
    ExecutionByIdLoader,
    ExecutionCountByAgentIdLoader,
    ExecutionPageByAgentIdLoader,
    StepByIdLoader,
    StepsByExecutionIdLoader,
)
from gql.loaders.history import (
    TransitionByIdLoader,
    TransitionBySeqLoader,
    TransitionCountByAgentIdLoader,
    TransitionPageByAgentIdLoader,
)
from gql.loaders.metrics import (
    MetricByIdLoader,
    MetricCountByAgentIdLoader,
    MetricPageByAgentIdLoader,
    MetricSeriesByAgentIdLoader,
    MetricSummaryByAgentIdLoader,
)
from gql.loaders.projects import ProjectByIdLoader, StatsByProjectIdLoader
from store.database import Database


class Loaders:
    """Per-request dataloaders. Visibility-checked ones see what this request's viewer may see."""

    def __init__(self, database: Database, viewer: Viewer, heartbeat_timeout: timedelta) -> None:
        self._db = database
        self._viewer = viewer
        self._timeout = heartbeat_timeout

    @cached_property
    def user_by_id(self) -> UserByIdLoader:
        return UserByIdLoader(self._db)

    @cached_property
    def agent_type_by_id(self) -> AgentTypeByIdLoader:
        return AgentTypeByIdLoader(self._db)

    @cached_property
    def project_by_id(self) -> ProjectByIdLoader:
        return ProjectByIdLoader(self._db, self._viewer)

    @cached_property
    def stats_by_project_id(self) -> StatsByProjectIdLoader:
        return StatsByProjectIdLoader(self._db, self._viewer)

    @cached_property
    def agent_by_id(self) -> AgentByIdLoader:
        return AgentByIdLoader(self._db, self._viewer)

    @cached_property
    def agent_page_by_project_id(self) -> AgentPageByProjectIdLoader:
        return AgentPageByProjectIdLoader(self._db, self._viewer, self._timeout)

    @cached_property
    def agent_count_by_project_id(self) -> AgentCountByProjectIdLoader:
        return AgentCountByProjectIdLoader(self._db, self._viewer, self._timeout)

    @cached_property
    def configs_by_agent_id(self) -> ConfigsByAgentIdLoader:
        return ConfigsByAgentIdLoader(self._db)

    @cached_property
    def config_by_id(self) -> ConfigByIdLoader:
        return ConfigByIdLoader(self._db)

    @cached_property
    def state_by_agent_id(self) -> StateByAgentIdLoader:
        return StateByAgentIdLoader(self._db)

    @cached_property
    def capabilities_by_agent_id(self) -> CapabilitiesByAgentIdLoader:
        return CapabilitiesByAgentIdLoader(self._db)

    @cached_property
    def capability_by_id(self) -> CapabilityByIdLoader:
        return CapabilityByIdLoader(self._db)

    @cached_property
    def metric_by_id(self) -> MetricByIdLoader:
        return MetricByIdLoader(self._db)

    @cached_property
    def metric_page_by_agent_id(self) -> MetricPageByAgentIdLoader:
        return MetricPageByAgentIdLoader(self._db)

    @cached_property
    def metric_count_by_agent_id(self) -> MetricCountByAgentIdLoader:
        return MetricCountByAgentIdLoader(self._db)

    @cached_property
    def metric_series_by_agent_id(self) -> MetricSeriesByAgentIdLoader:
        return MetricSeriesByAgentIdLoader(self._db)

    @cached_property
    def metric_summary_by_agent_id(self) -> MetricSummaryByAgentIdLoader:
        return MetricSummaryByAgentIdLoader(self._db)

    @cached_property
    def transition_page_by_agent_id(self) -> TransitionPageByAgentIdLoader:
        return TransitionPageByAgentIdLoader(self._db)

    @cached_property
    def transition_count_by_agent_id(self) -> TransitionCountByAgentIdLoader:
        return TransitionCountByAgentIdLoader(self._db)

    @cached_property
    def transition_by_id(self) -> TransitionByIdLoader:
        return TransitionByIdLoader(self._db)

    @cached_property
    def transition_by_seq(self) -> TransitionBySeqLoader:
        return TransitionBySeqLoader(self._db)

    @cached_property
    def execution_by_id(self) -> ExecutionByIdLoader:
        return ExecutionByIdLoader(self._db, self._viewer)

    @cached_property
    def execution_page_by_agent_id(self) -> ExecutionPageByAgentIdLoader:
        return ExecutionPageByAgentIdLoader(self._db)

    @cached_property
    def execution_count_by_agent_id(self) -> ExecutionCountByAgentIdLoader:
        return ExecutionCountByAgentIdLoader(self._db)

    @cached_property
    def steps_by_execution_id(self) -> StepsByExecutionIdLoader:
        return StepsByExecutionIdLoader(self._db)

    @cached_property
    def step_by_id(self) -> StepByIdLoader:
        return StepByIdLoader(self._db)

    @cached_property
    def checkpoints_by_execution_id(self) -> CheckpointsByExecutionIdLoader:
        return CheckpointsByExecutionIdLoader(self._db)

    @cached_property
    def checkpoint_by_id(self) -> CheckpointByIdLoader:
        return CheckpointByIdLoader(self._db)

    @cached_property
    def event_page_by_execution_id(self) -> EventPageByExecutionIdLoader:
        return EventPageByExecutionIdLoader(self._db)

    @cached_property
    def event_count_by_execution_id(self) -> EventCountByExecutionIdLoader:
        return EventCountByExecutionIdLoader(self._db)

    @cached_property
    def approval_by_id(self) -> ApprovalByIdLoader:
        return ApprovalByIdLoader(self._db, self._viewer)

    @cached_property
    def approval_by_step_id(self) -> ApprovalByStepIdLoader:
        return ApprovalByStepIdLoader(self._db)

    @cached_property
    def approval_page_by_agent_id(self) -> ApprovalPageByAgentIdLoader:
        return ApprovalPageByAgentIdLoader(self._db)

    @cached_property
    def approval_count_by_agent_id(self) -> ApprovalCountByAgentIdLoader:
        return ApprovalCountByAgentIdLoader(self._db)
