"""Queries of agents, executions and approvals across projects."""

from __future__ import annotations

import strawberry

from domain.errors import NotFound
from domain.store import agents as agent_store
from domain.store import work
from gql.context import Info
from gql.ids import from_global_id
from gql.pagination import Connection, PageArgs, connection, keyset_for
from gql.permissions import AgentRuntime, SignedIn
from gql.types.agent import Agent
from gql.types.agent_inputs import AgentFilterInput, AgentOrderInput
from gql.types.approval import Approval, approval_cursor, approval_key
from gql.types.enums import ApprovalStatus
from gql.types.execution import Execution
from gql.types.project import agent_listing


@strawberry.type
class AgentQueries:
    @strawberry.field(
        description="Agents the caller may see, of one project or of all their projects.",
        permission_classes=[SignedIn],
    )
    async def agents(
        self,
        info: Info,
        project_id: strawberry.ID | None = None,
        filter: AgentFilterInput | None = None,
        order_by: AgentOrderInput | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Agent]:
        context = info.context
        project_pk = None
        if project_id is not None:
            project_pk = from_global_id(project_id, "Project", "projectId")
            if await context.loaders.project_by_id.load(project_pk) is None:
                raise NotFound("Project", project_id)
        listing = agent_listing(filter, order_by)
        settings = context.settings
        keyset = keyset_for(
            PageArgs(first, after, last, before), listing.tag, listing.key,
            default_size=settings.default_page_size, max_size=settings.max_page_size,
        )  # fmt: skip
        async with context.database.read() as conn:
            page = await agent_store.page_agents(
                conn, context.viewer, project_id=project_pk, flt=listing.flt,
                order=listing.order, descending=listing.descending, keyset=keyset,
                heartbeat_timeout=context.heartbeat_timeout,
            )  # fmt: skip

        async def count() -> int:
            async with context.database.read() as conn:
                return await agent_store.count_agents(
                    conn, context.viewer, project_id=project_pk, flt=listing.flt,
                    heartbeat_timeout=context.heartbeat_timeout,
                )  # fmt: skip

        return connection(page, keyset, node=Agent.from_row, cursor=listing.cursor, count=count)

    @strawberry.field(description="An agent by id.", permission_classes=[AgentRuntime])
    async def agent(self, info: Info, id: strawberry.ID) -> Agent:
        row = await info.context.loaders.agent_by_id.load(from_global_id(id, "Agent"))
        if row is None:
            raise NotFound("Agent", id)
        return Agent.from_row(row)

    @strawberry.field(description="An execution by id.", permission_classes=[AgentRuntime])
    async def execution(self, info: Info, id: strawberry.ID) -> Execution:
        row = await info.context.loaders.execution_by_id.load(from_global_id(id, "Execution"))
        if row is None:
            raise NotFound("Execution", id)
        return Execution.from_row(row)

    @strawberry.field(
        description="Approval requests the caller may decide, newest first.",
        permission_classes=[SignedIn],
    )
    async def approvals(
        self,
        info: Info,
        project_id: strawberry.ID | None = None,
        status: ApprovalStatus | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Approval]:
        context = info.context
        project_pk = None
        if project_id is not None:
            project_pk = from_global_id(project_id, "Project", "projectId")
            if await context.loaders.project_by_id.load(project_pk) is None:
                raise NotFound("Project", project_id)
        settings = context.settings
        keyset = keyset_for(
            PageArgs(first=first, after=after), "approval", approval_key,
            default_size=settings.default_page_size, max_size=settings.max_page_size,
        )  # fmt: skip
        status_value = status.value if status else None
        async with context.database.read() as conn:
            page = await work.page_approvals(
                conn, context.viewer, project_id=project_pk, status=status_value, keyset=keyset
            )

        async def count() -> int:
            async with context.database.read() as conn:
                return await work.count_approvals(
                    conn, context.viewer, project_id=project_pk, status=status_value
                )

        return connection(page, keyset, node=Approval.from_row, cursor=approval_cursor, count=count)
