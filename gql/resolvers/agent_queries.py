"""Queries of agents, executions and approvals across projects."""

from __future__ import annotations

import uuid
from functools import partial

import strawberry

from domain.errors import NotFound
from gql import cursors
from gql.context import Info
from gql.ids import from_global_id
from gql.pagination import Connection, PageArgs, page_keyset, root_connection
from gql.permissions import AgentRuntime, SignedIn
from gql.types.agent import Agent
from gql.types.agent_inputs import AgentFilterInput, AgentOrderInput
from gql.types.approval import Approval
from gql.types.enums import ApprovalStatus
from gql.types.execution import Execution
from gql.types.project import agent_listing
from store import agents as agent_store
from store import approvals


async def _visible_project(info: Info, project_id: strawberry.ID | None) -> uuid.UUID | None:
    """The projectId argument's project, which the caller must be able to see (else NOT_FOUND)."""
    if project_id is None:
        return None
    pk = from_global_id(project_id, "Project", "projectId")
    if await info.context.loaders.project_by_id.load(pk) is None:
        raise NotFound("Project", project_id)
    return pk


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
        project_pk = await _visible_project(info, project_id)
        listing = agent_listing(filter, order_by)
        keyset = page_keyset(info, PageArgs(first, after, last, before), listing)
        scope = {
            "viewer": info.context.viewer,
            "project_id": project_pk,
            "flt": listing.flt,
            "heartbeat_timeout": info.context.heartbeat_timeout,
        }
        return await root_connection(
            info, keyset, listing, node=Agent.from_record,
            page=partial(
                agent_store.page_agents, **scope, order=listing.order,
                descending=listing.descending, keyset=keyset,
            ),
            count=partial(agent_store.count_agents, **scope),
        )  # fmt: skip

    @strawberry.field(description="An agent by id.", permission_classes=[AgentRuntime])
    async def agent(self, info: Info, id: strawberry.ID) -> Agent:
        agent = await info.context.loaders.agent_by_id.load(from_global_id(id, "Agent"))
        if agent is None:
            raise NotFound("Agent", id)
        return Agent.from_record(agent)

    @strawberry.field(description="An execution by id.", permission_classes=[AgentRuntime])
    async def execution(self, info: Info, id: strawberry.ID) -> Execution:
        execution = await info.context.loaders.execution_by_id.load(from_global_id(id, "Execution"))
        if execution is None:
            raise NotFound("Execution", id)
        return Execution.from_record(execution)

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
        project_pk = await _visible_project(info, project_id)
        keyset = page_keyset(info, PageArgs(first=first, after=after), cursors.APPROVALS)
        scope = {
            "viewer": info.context.viewer,
            "project_id": project_pk,
            "status": status.value if status else None,
        }
        return await root_connection(
            info, keyset, cursors.APPROVALS, node=Approval.from_record,
            page=partial(approvals.page_approvals, **scope, keyset=keyset),
            count=partial(approvals.count_approvals, **scope),
        )  # fmt: skip
