"""Fixtures shared by the GraphQL tests: a superuser, an owner with a project, an agent type."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from starlette.applications import Starlette

from tests.support import factories
from tests.support.api import GraphQLClient


@dataclass
class World:
    """A superuser, a regular user owning one project, and an active agent type."""

    admin: dict[str, Any]
    owner: dict[str, Any]
    type_id: str
    project_id: str

    async def spawn(self, api: GraphQLClient, name: str = "Agent", **extra: Any) -> dict[str, Any]:
        variables = {
            "projectId": self.project_id,
            "agentTypeId": self.type_id,
            "name": name,
            **extra,
        }
        data = await api.ok(SPAWN, {"input": variables}, token=self.owner["token"])
        return dict(data["spawnAgent"])


SPAWN = """
mutation Spawn($input: SpawnAgentInput!) {
  spawnAgent(input: $input) { id name status revision safetyLevel version }
}
"""


@pytest.fixture
async def world(api: GraphQLClient, app: Starlette) -> World:
    admin = await factories.superuser(api, app)
    owner = await factories.register(api)
    type_id = await factories.create_agent_type(api, admin["token"])
    project_id = await factories.create_project(api, owner["token"])
    return World(admin=admin, owner=owner, type_id=type_id, project_id=project_id)


@pytest.fixture
async def stranger(api: GraphQLClient) -> dict[str, Any]:
    """Another signed-in user, who owns nothing the world holds."""
    return await factories.register(api)
