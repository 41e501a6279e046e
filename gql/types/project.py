"""Project: a user's space of agents, with aggregate statistics."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from domain import records
from domain.errors import NotFound
from domain.records.projects import NO_AGENTS
from gql.context import Info
from gql.ids import to_global_id
from gql.loaders.agents import AgentPageParams
from gql.loaders.base import load_required
from gql.pagination import Connection, PageArgs, connection, encode_cursor, page_keyset
from gql.scalars import DateTime
from gql.types.agent_inputs import AgentFilterInput, AgentOrderInput, agent_filter, agent_order
from gql.types.node import Node
from gql.types.show import show, shows
from gql.types.user import User
from store.agents import AGENT_SORT_KEYS, AgentFilter

if TYPE_CHECKING:
    from gql.types.agent import Agent


@strawberry.type(
    description="Aggregates over a project's agents. active = not IDLE, PAUSED or TERMINATED."
)
class AgentInstanceMetrics:
    total_instances: int = strawberry.field(description="All agents.")
    active_instances: int = strawberry.field(description="Agents not IDLE, PAUSED or TERMINATED.")
    idle_instances: int = strawberry.field(description="IDLE agents.")
    paused_instances: int = strawberry.field(description="PAUSED agents.")
    error_instances: int = strawberry.field(description="Agents in ERROR.")
    terminated_instances: int = strawberry.field(description="TERMINATED agents.")
    total_tasks_completed: int = strawberry.field(description="Executions completed, summed.")
    total_tokens_used: float = strawberry.field(description="Tokens used, summed.")
    total_cost_incurred: float = strawberry.field(description="Cost incurred, summed.")

    @classmethod
    def from_record(cls, stats: records.ProjectStats) -> AgentInstanceMetrics:
        return cls(
            total_instances=stats.total,
            active_instances=stats.active,
            idle_instances=stats.idle,
            paused_instances=stats.paused,
            error_instances=stats.error,
            terminated_instances=stats.terminated,
            total_tasks_completed=int(stats.tasks_completed),
            total_tokens_used=float(stats.tokens_used),
            total_cost_incurred=float(stats.cost_incurred),
        )


@dataclass(frozen=True)
class AgentListing:
    """How a list of agents was asked for: filter, ordering and the cursor tag they imply."""

    flt: AgentFilter
    order: str
    descending: bool

    @property
    def tag(self) -> str:
        return f"agent:{self.order}:{'desc' if self.descending else 'asc'}"

    def cursor(self, agent: Any) -> str:
        key = AGENT_SORT_KEYS[self.order].of_agent(agent)
        return encode_cursor(self.tag, [key, str(agent.id)])

    def key(self, values: list[Any]) -> tuple[Any, ...]:
        return (AGENT_SORT_KEYS[self.order].from_cursor(values[0]), uuid.UUID(values[1]))


def agent_listing(
    filter: AgentFilterInput | None, order_by: AgentOrderInput | None
) -> AgentListing:
    order, descending = agent_order(order_by)
    return AgentListing(agent_filter(filter), order, descending)


@shows(records.Project)
@strawberry.type(description="A space owned by one user, holding agents.")
class Project(Node):
    pk: strawberry.Private[uuid.UUID]
    owner_pk: strawberry.Private[uuid.UUID]
    name: str = strawberry.field(description="Display name.")
    slug: str = strawberry.field(description="Unique URL-safe key.")
    created_at: DateTime = strawberry.field(description="When the project was created.")
    updated_at: DateTime = strawberry.field(description="When the project last changed.")

    @classmethod
    def from_record(cls, project: records.Project) -> Project:
        return cls(
            id=strawberry.ID(to_global_id("Project", project.id)),
            pk=project.id,
            owner_pk=project.owner_id,
            name=project.name,
            slug=project.slug,
            created_at=project.created_at,
            updated_at=project.updated_at,
        )

    @strawberry.field(description="The user who owns the project (not shown to agent tokens).")
    async def owner(self, info: Info) -> User:
        if not info.context.viewer.can_see_user(self.owner_pk, within_own_project=True):
            raise NotFound("User")
        owner = await load_required(info.context.loaders.user_by_id, self.owner_pk, "User")
        return User.from_record(owner)

    @strawberry.field(description="The project's agents (visible to the caller), paginated.")
    async def agents(
        self,
        info: Info,
        filter: AgentFilterInput | None = None,
        order_by: AgentOrderInput | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Annotated[Agent, strawberry.lazy("gql.types.agent")]]:
        listing = agent_listing(filter, order_by)
        keyset = page_keyset(info, PageArgs(first, after, last, before), listing)
        loaders = info.context.loaders
        params = AgentPageParams(listing.flt, listing.order, listing.descending, keyset)
        page = await loaders.agent_page_by_project_id.load((self.pk, params))
        return connection(
            page,
            keyset,
            node=show,
            cursor=listing.cursor,
            count=lambda: loaders.agent_count_by_project_id.load((self.pk, listing.flt)),
        )

    @strawberry.field(
        description="Aggregates over the project's agents the caller may see, computed in SQL."
    )
    async def agent_stats(self, info: Info) -> AgentInstanceMetrics:
        stats = await info.context.loaders.stats_by_project_id.load(self.pk)
        return AgentInstanceMetrics.from_record(stats or NO_AGENTS)
