"""Mutations of projects: any signed-in user creates the projects they own."""

from __future__ import annotations

import strawberry

from gql.context import Info
from gql.permissions import SignedIn
from gql.types.project import Project
from gql.types.project_inputs import CreateProjectInput
from usecases import projects


@strawberry.type
class ProjectMutations:
    @strawberry.mutation(
        description="Create a project owned by the caller.", permission_classes=[SignedIn]
    )
    async def create_project(self, info: Info, input: CreateProjectInput) -> Project:
        project = await projects.create_project(
            info.context.database, info.context.viewer, name=input.name, slug=input.slug
        )
        return Project.from_record(project)
