"""Use cases of projects: any signed-in user creates the projects they own."""

from __future__ import annotations

from domain.access import Viewer
from domain.errors import Forbidden, Unauthenticated, ValidationFailed
from domain.records import Project
from domain.values import validate_name, validate_slug
from store import projects
from store.database import Database


async def create_project(database: Database, viewer: Viewer, *, name: str, slug: str) -> Project:
    """Create a project owned by the calling user."""
    if viewer.is_agent:
        raise Forbidden("Agent tokens may not create projects.")
    if viewer.user_id is None:
        raise Unauthenticated()
    values = {
        "name": validate_name(name, "input.name"),
        "slug": validate_slug(slug, "input.slug"),
        "owner_id": viewer.user_id,
    }
    async with database.transaction() as conn:
        project = await projects.insert_project(conn, values)
        if project is None:
            raise ValidationFailed("input.slug", f"a project with slug '{slug}' exists")
    return project
