"""Queries of the caller, agent types and projects."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry

from domain.errors import NotFound
from domain.store import catalog
from gql.context import Info
from gql.ids import from_global_id
from gql.pagination import Connection, PageArgs, connection, encode_cursor, keyset_for
from gql.permissions import SignedIn
from gql.types.agent_type import AgentType
from gql.types.project import Project
from gql.types.user import User


def _sizes(info: Info) -> dict[str, int]:
    s = info.context.settings
    return {"default_size": s.default_page_size, "max_size": s.max_page_size}


@strawberry.type
class CatalogQueries:
    @strawberry.field(description="The signed-in user.", permission_classes=[SignedIn])
    async def me(self, info: Info) -> User:
        viewer = info.context.viewer
        assert viewer.user_id is not None
        row = await info.context.loaders.user_by_id.load(viewer.user_id)
        if row is None:
            raise NotFound("User")
        return User.from_row(row)

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
        keyset = keyset_for(
            PageArgs(first=first, after=after), "agent-type",
            lambda v: (str(v[0]), uuid.UUID(v[1])), **_sizes(info),
        )  # fmt: skip
        viewer = info.context.viewer
        database = info.context.database
        async with database.read() as conn:
            page = await catalog.page_agent_types(
                conn, viewer, active_only=active_only is not False, keyset=keyset
            )

        async def count() -> int:
            async with database.read() as conn:
                return await catalog.count_agent_types(
                    conn, viewer, active_only=active_only is not False
                )

        return connection(
            page, keyset, node=AgentType.from_row,
            cursor=lambda r: encode_cursor("agent-type", [r.name, str(r.id)]), count=count,
        )  # fmt: skip

    @strawberry.field(description="An agent type by id.", permission_classes=[SignedIn])
    async def agent_type(self, info: Info, id: strawberry.ID) -> AgentType | None:
        ident = from_global_id(id, "AgentType")
        async with info.context.database.read() as conn:
            row = await catalog.agent_type_visible(conn, info.context.viewer, ident)
        if row is None:
            raise NotFound("AgentType", id)
        return AgentType.from_row(row)

    @strawberry.field(description="An agent type by slug.", permission_classes=[SignedIn])
    async def agent_type_by_slug(self, info: Info, slug: str) -> AgentType | None:
        async with info.context.database.read() as conn:
            row = await catalog.agent_type_by_slug(conn, info.context.viewer, slug)
        if row is None:
            raise NotFound("AgentType", slug)
        return AgentType.from_row(row)

    @strawberry.field(
        description="Projects the caller owns (all of them for superusers), oldest first.",
        permission_classes=[SignedIn],
    )
    async def projects(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Project]:
        keyset = keyset_for(
            PageArgs(first=first, after=after), "project",
            lambda v: (datetime.fromisoformat(v[0]), uuid.UUID(v[1])), **_sizes(info),
        )  # fmt: skip
        viewer = info.context.viewer
        database = info.context.database
        async with database.read() as conn:
            page = await catalog.page_projects(conn, viewer, keyset=keyset)

        async def count() -> int:
            async with database.read() as conn:
                return await catalog.count_projects(conn, viewer)

        return connection(
            page, keyset, node=Project.from_row,
            cursor=lambda r: encode_cursor("project", [r.created_at.isoformat(), str(r.id)]),
            count=count,
        )  # fmt: skip

    @strawberry.field(description="A project by id.", permission_classes=[SignedIn])
    async def project(self, info: Info, id: strawberry.ID) -> Project | None:
        row = await info.context.loaders.project_by_id.load(from_global_id(id, "Project"))
        if row is None:
            raise NotFound("Project", id)
        return Project.from_row(row)

    @strawberry.field(description="A project by slug.", permission_classes=[SignedIn])
    async def project_by_slug(self, info: Info, slug: str) -> Project | None:
        async with info.context.database.read() as conn:
            row = await catalog.project_by_slug(conn, info.context.viewer, slug)
        if row is None:
            raise NotFound("Project", slug)
        return Project.from_row(row)
