"""Every dataloader of one request, each built on first use (and never shared between requests).

``Loaders`` is the table of them: one attribute per loader, typed by its class, built from the
request's ``LoaderScope`` the first time a resolver reads it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, Generic, TypeVar, overload

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
from gql.loaders.base import LoaderScope
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

L = TypeVar("L")


class PerRequest(Generic[L]):
    """A ``Loaders`` attribute: the loader is built on first read and kept on the instance
    (later reads find it there, like ``functools.cached_property``)."""

    def __init__(self, loader: Callable[[LoaderScope], L]) -> None:
        self._loader = loader
        self._name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, loaders: None, owner: type) -> PerRequest[L]: ...

    @overload
    def __get__(self, loaders: Loaders, owner: type) -> L: ...

    def __get__(self, loaders: Loaders | None, owner: type) -> Any:
        if loaders is None:
            return self
        built = self._loader(loaders.scope)
        loaders.__dict__[self._name] = built
        return built


class Loaders:
    """Per-request dataloaders. Visibility-checked ones see what this request's viewer may see."""

    user_by_id = PerRequest(UserByIdLoader)
    agent_type_by_id = PerRequest(AgentTypeByIdLoader)
    project_by_id = PerRequest(ProjectByIdLoader)
    stats_by_project_id = PerRequest(StatsByProjectIdLoader)
    agent_by_id = PerRequest(AgentByIdLoader)
    agent_page_by_project_id = PerRequest(AgentPageByProjectIdLoader)
    agent_count_by_project_id = PerRequest(AgentCountByProjectIdLoader)
    state_by_agent_id = PerRequest(StateByAgentIdLoader)
    configs_by_agent_id = PerRequest(ConfigsByAgentIdLoader)
    config_by_id = PerRequest(ConfigByIdLoader)
    capabilities_by_agent_id = PerRequest(CapabilitiesByAgentIdLoader)
    capability_by_id = PerRequest(CapabilityByIdLoader)
    metric_by_id = PerRequest(MetricByIdLoader)
    metric_page_by_agent_id = PerRequest(MetricPageByAgentIdLoader)
    metric_count_by_agent_id = PerRequest(MetricCountByAgentIdLoader)
    metric_series_by_agent_id = PerRequest(MetricSeriesByAgentIdLoader)
    metric_summary_by_agent_id = PerRequest(MetricSummaryByAgentIdLoader)
    transition_page_by_agent_id = PerRequest(TransitionPageByAgentIdLoader)
    transition_count_by_agent_id = PerRequest(TransitionCountByAgentIdLoader)
    transition_by_id = PerRequest(TransitionByIdLoader)
    transition_by_seq = PerRequest(TransitionBySeqLoader)
    execution_by_id = PerRequest(ExecutionByIdLoader)
    execution_page_by_agent_id = PerRequest(ExecutionPageByAgentIdLoader)
    execution_count_by_agent_id = PerRequest(ExecutionCountByAgentIdLoader)
    steps_by_execution_id = PerRequest(StepsByExecutionIdLoader)
    step_by_id = PerRequest(StepByIdLoader)
    checkpoints_by_execution_id = PerRequest(CheckpointsByExecutionIdLoader)
    checkpoint_by_id = PerRequest(CheckpointByIdLoader)
    event_page_by_execution_id = PerRequest(EventPageByExecutionIdLoader)
    event_count_by_execution_id = PerRequest(EventCountByExecutionIdLoader)
    approval_by_id = PerRequest(ApprovalByIdLoader)
    approval_by_step_id = PerRequest(ApprovalByStepIdLoader)
    approval_page_by_agent_id = PerRequest(ApprovalPageByAgentIdLoader)
    approval_count_by_agent_id = PerRequest(ApprovalCountByAgentIdLoader)

    def __init__(self, database: Database, viewer: Viewer, heartbeat_timeout: timedelta) -> None:
        self.scope = LoaderScope(database, viewer, heartbeat_timeout)
