"""Queries of the projects the caller may see: listed oldest first, by id, by slug."""

from __future__ import annotations

from functools import partial

import strawberry

from domain.errors import NotFound
from gql import cursors
from gql.context import Info
from gql.ids import from_global_id
from gql.pagination import Connection, PageArgs, page_keyset, root_connection
from gql.permissions import SignedIn
from gql.types.project import Project
from store import projects


@strawberry.type
class ProjectQueries:
    @strawberry.field(
        description="Projects the caller owns (all of them for superusers), oldest first.",
        permission_classes=[SignedIn],
    )
    async def projects(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Project]:
        keyset = page_keyset(info, PageArgs(first=first, after=after), cursors.PROJECTS)
        viewer = info.context.viewer
        return await root_connection(
            info, keyset, cursors.PROJECTS, node=Project.from_record,
            page=partial(projects.page_projects, viewer=viewer, keyset=keyset),
            count=partial(projects.count_projects, viewer=viewer),
        )  # fmt: skip

    @strawberry.field(description="A project by id.", permission_classes=[SignedIn])
    async def project(self, info: Info, id: strawberry.ID) -> Project | None:
        project = await info.context.loaders.project_by_id.load(from_global_id(id, "Project"))
        if project is None:
            raise NotFound("Project", id)
        return Project.from_record(project)

    @strawberry.field(description="A project by slug.", permission_classes=[SignedIn])
    async def project_by_slug(self, info: Info, slug: str) -> Project | None:
        async with info.context.database.read() as conn:
            project = await projects.project_by_slug(conn, info.context.viewer, slug)
        if project is None:
            raise NotFound("Project", slug)
        return Project.from_record(project)
