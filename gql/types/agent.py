"""Agent: an instance of an AgentType running in a Project, and everything readable below it."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from domain import records
from domain.errors import ValidationFailed
from domain.events import AgentHealth, health_of
from domain.executions import ApprovalStatus, ExecutionStatus
from domain.lifecycle import AgentStatus
from domain.metrics import MAX_SERIES_BUCKETS, MetricAggregate
from domain.safety import SafetyLevel
from gql import cursors
from gql.context import Info
from gql.ids import to_global_id
from gql.loaders.base import load_required
from gql.pagination import Connection, PageArgs, connection, count_of, page_keyset
from gql.scalars import JSON, DateTime
from gql.types.agent_config import AgentConfig
from gql.types.agent_state import AgentState
from gql.types.agent_type import AgentType
from gql.types.capability import AgentCapability
from gql.types.metric import AgentMetric, MetricPoint, MetricSummary
from gql.types.node import Node
from gql.types.show import show, shows
from gql.types.transition import StatusTransition
from store.metrics import MetricFilter, SeriesQuery

if TYPE_CHECKING:
    from gql.types.approval import Approval
    from gql.types.execution import Execution
    from gql.types.project import Project


def metric_filter(
    name: str | None, since: datetime | None, until: datetime | None, tags: Any = None
) -> MetricFilter:
    if since is not None and until is not None and since > until:
        raise ValidationFailed("since", "must not be after until")
    if tags is not None and not isinstance(tags, dict):
        raise ValidationFailed("tags", "must be a JSON object")
    tags_json = json.dumps(tags, sort_keys=True) if tags else None
    return MetricFilter(name=name, since=since, until=until, tags_json=tags_json)


@shows(records.Agent)
@strawberry.type(description="An agent: an instance of an AgentType spawned into a Project.")
class Agent(Node):
    pk: strawberry.Private[uuid.UUID]
    project_pk: strawberry.Private[uuid.UUID]
    agent_type_pk: strawberry.Private[uuid.UUID]
    owner_pk: strawberry.Private[uuid.UUID]
    name: str = strawberry.field(description="Name, unique within the project.")
    status: AgentStatus = strawberry.field(description="Lifecycle status.")
    revision: int = strawberry.field(
        description=(
            "Incremented on every write to the agent or its state; pass as expectedRevision for "
            "optimistic concurrency."
        )
    )
    safety_level: SafetyLevel = strawberry.field(description="How cautious the agent is.")
    version: str = strawberry.field(description="Version of the agent software.")
    endpoint: str | None = strawberry.field(description="Where the agent runtime listens.")
    last_heartbeat_at: DateTime | None = strawberry.field(description="Latest heartbeat.")
    tasks_completed: int = strawberry.field(description="Executions completed.")
    tokens_used: float = strawberry.field(description="Tokens used by completed executions.")
    cost_incurred: float = strawberry.field(description="Cost of completed executions.")
    created_at: DateTime = strawberry.field(description="When the agent was spawned.")
    updated_at: DateTime = strawberry.field(description="When the agent last changed.")

    @classmethod
    def from_record(cls, agent: records.Agent) -> Agent:
        return cls(
            id=strawberry.ID(to_global_id("Agent", agent.id)),
            pk=agent.id,
            project_pk=agent.project_id,
            agent_type_pk=agent.agent_type_id,
            owner_pk=agent.owner_id,
            name=agent.name,
            status=agent.status,
            revision=agent.revision,
            safety_level=agent.safety_level,
            version=agent.version,
            endpoint=agent.endpoint,
            last_heartbeat_at=agent.last_heartbeat_at,
            tasks_completed=agent.tasks_completed,
            tokens_used=float(agent.tokens_used),
            cost_incurred=float(agent.cost_incurred),
            created_at=agent.created_at,
            updated_at=agent.updated_at,
        )

    @strawberry.field(description="Heartbeat health, from lastHeartbeatAt and the server timeout.")
    def health(self, info: Info) -> AgentHealth:
        return health_of(self.last_heartbeat_at, datetime.now(UTC), info.context.heartbeat_timeout)

    @strawberry.field(description="The project the agent belongs to.")
    async def project(self, info: Info) -> Annotated[Project, strawberry.lazy("gql.types.project")]:
        project = await load_required(
            info.context.loaders.project_by_id, self.project_pk, "Project"
        )
        return show(project)

    @strawberry.field(description="The template the agent was spawned from.")
    async def agent_type(self, info: Info) -> AgentType:
        agent_type = await load_required(
            info.context.loaders.agent_type_by_id, self.agent_type_pk, "AgentType"
        )
        return AgentType.from_record(agent_type)

    @strawberry.field(description="Runtime state.")
    async def state(self, info: Info) -> AgentState:
        state = await load_required(info.context.loaders.state_by_agent_id, self.pk, "AgentState")
        return AgentState.from_record(state)

    @strawberry.field(description="Configuration entries, by key; keys limits them to those keys.")
    async def configs(self, info: Info, keys: list[str] | None = None) -> list[AgentConfig]:
        found = await info.context.loaders.configs_by_agent_id.load(self.pk) or []
        may_read = info.context.viewer.can_read_secrets_of(self.pk, self.owner_pk)
        wanted = set(keys) if keys is not None else None
        return [
            AgentConfig.from_record(config, may_read_secrets=may_read)
            for config in found
            if wanted is None or config.key in wanted
        ]

    @strawberry.field(description="Capabilities, every version; filter by name or enabled ones.")
    async def capabilities(
        self, info: Info, name: str | None = None, enabled_only: bool | None = False
    ) -> list[AgentCapability]:
        found = await info.context.loaders.capabilities_by_agent_id.load(self.pk) or []
        return [
            AgentCapability.from_record(capability)
            for capability in found
            if (name is None or capability.name == name)
            and (capability.enabled or not enabled_only)
        ]

    @strawberry.field(description="Raw points, newest first.")
    async def metrics(
        self,
        info: Info,
        name: str | None = None,
        since: DateTime | None = None,
        until: DateTime | None = None,
        tags: JSON | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[AgentMetric]:
        flt = metric_filter(name, since, until, tags)
        keyset = page_keyset(info, PageArgs(first=first, after=after), cursors.METRICS)
        loaders = info.context.loaders
        page = await loaders.metric_page_by_agent_id.load((self.pk, (flt, keyset)))
        return connection(
            page,
            keyset,
            node=AgentMetric.from_record,
            cursor=cursors.METRICS.cursor,
            count=lambda: loaders.metric_count_by_agent_id.load((self.pk, flt)),
        )

    @strawberry.field(
        description=(
            "Points of one metric in time buckets of bucketSeconds, aligned on since; empty "
            f"buckets are omitted; at most {MAX_SERIES_BUCKETS} buckets per call."
        )
    )
    async def metric_series(
        self,
        info: Info,
        name: str,
        since: DateTime,
        bucket_seconds: int,
        until: DateTime | None = None,
        aggregate: MetricAggregate | None = MetricAggregate.AVG,
    ) -> list[MetricPoint]:
        end = until or datetime.now(UTC)
        if since > end:
            raise ValidationFailed("since", "must not be after until")
        if bucket_seconds <= 0:
            raise ValidationFailed("bucketSeconds", "must be a positive number of seconds")
        buckets = (end - since).total_seconds() / bucket_seconds
        if buckets > MAX_SERIES_BUCKETS:
            raise ValidationFailed(
                "bucketSeconds",
                f"gives {int(buckets) + 1} buckets; at most {MAX_SERIES_BUCKETS} per call",
            )
        query = SeriesQuery(name, since, end, bucket_seconds, aggregate or MetricAggregate.AVG)
        buckets = await info.context.loaders.metric_series_by_agent_id.load((self.pk, query))
        return [MetricPoint.from_record(bucket) for bucket in buckets]

    @strawberry.field(description="Count, average, min, max, sum and latest value of one metric.")
    async def metric_summary(
        self,
        info: Info,
        name: str,
        since: DateTime | None = None,
        until: DateTime | None = None,
    ) -> MetricSummary:
        flt = metric_filter(name, since, until)
        summary = await info.context.loaders.metric_summary_by_agent_id.load((self.pk, flt))
        return MetricSummary.from_record(summary)

    @strawberry.field(description="Lifecycle history, newest first.")
    async def status_history(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[StatusTransition]:
        keyset = page_keyset(info, PageArgs(first=first, after=after), cursors.TRANSITIONS)
        loaders = info.context.loaders
        page = await loaders.transition_page_by_agent_id.load((self.pk, keyset))
        return connection(
            page,
            keyset,
            node=StatusTransition.from_record,
            cursor=cursors.TRANSITIONS.cursor,
            count=lambda: count_of(loaders.transition_count_by_agent_id.load(self.pk)),
        )

    @strawberry.field(description="Executions, newest first.")
    async def executions(
        self,
        info: Info,
        status: ExecutionStatus | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Annotated[Execution, strawberry.lazy("gql.types.execution")]]:
        keyset = page_keyset(info, PageArgs(first=first, after=after), cursors.EXECUTIONS)
        loaders = info.context.loaders
        status_value = status.value if status else None
        page = await loaders.execution_page_by_agent_id.load((self.pk, (status_value, keyset)))
        return connection(
            page,
            keyset,
            node=show,
            cursor=cursors.EXECUTIONS.cursor,
            count=lambda: loaders.execution_count_by_agent_id.load((self.pk, status_value)),
        )

    @strawberry.field(description="Approval requests for this agent's steps, newest first.")
    async def approvals(
        self,
        info: Info,
        status: ApprovalStatus | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Annotated[Approval, strawberry.lazy("gql.types.approval")]]:
        keyset = page_keyset(info, PageArgs(first=first, after=after), cursors.APPROVALS)
        loaders = info.context.loaders
        status_value = status.value if status else None
        page = await loaders.approval_page_by_agent_id.load((self.pk, (status_value, keyset)))
        return connection(
            page,
            keyset,
            node=show,
            cursor=cursors.APPROVALS.cursor,
            count=lambda: loaders.approval_count_by_agent_id.load((self.pk, status_value)),
        )
