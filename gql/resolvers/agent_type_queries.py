"""Queries of agent types: listed by name, by id, by slug."""

from __future__ import annotations

from functools import partial

import strawberry

from domain.errors import NotFound
from gql import cursors
from gql.context import Info
from gql.ids import from_global_id
from gql.pagination import Connection, PageArgs, page_keyset, root_connection
from gql.permissions import SignedIn
from gql.types.agent_type import AgentType
from store import agent_types


@strawberry.type
class AgentTypeQueries:
    @strawberry.field(
        description="Agent types, by name. Only superusers can list inactive ones.",
        permission_classes=[SignedIn],
    )
    async def agent_types(
        self,
        info: Info,
        active_only: bool | None = True,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[AgentType]:
        keyset = page_keyset(info, PageArgs(first=first, after=after), cursors.AGENT_TYPES)
        scope = {"viewer": info.context.viewer, "active_only": active_only is not False}
        return await root_connection(
            info, keyset, cursors.AGENT_TYPES, node=AgentType.from_record,
            page=partial(agent_types.page_agent_types, **scope, keyset=keyset),
            count=partial(agent_types.count_agent_types, **scope),
        )  # fmt: skip

    @strawberry.field(description="An agent type by id.", permission_classes=[SignedIn])
    async def agent_type(self, info: Info, id: strawberry.ID) -> AgentType | None:
        ident = from_global_id(id, "AgentType")
        async with info.context.database.read() as conn:
            agent_type = await agent_types.agent_type_visible(conn, info.context.viewer, ident)
        if agent_type is None:
            raise NotFound("AgentType", id)
        return AgentType.from_record(agent_type)

    @strawberry.field(description="An agent type by slug.", permission_classes=[SignedIn])
    async def agent_type_by_slug(self, info: Info, slug: str) -> AgentType | None:
        async with info.context.database.read() as conn:
            agent_type = await agent_types.agent_type_by_slug(conn, info.context.viewer, slug)
        if agent_type is None:
            raise NotFound("AgentType", slug)
        return AgentType.from_record(agent_type)
