"""Builders of the objects most tests need, made through the GraphQL API as a client would.

Hashing a password costs ~50 ms (argon2id at OWASP cost): create users only where a test
needs one.
"""

from __future__ import annotations

import uuid
from typing import Any

from starlette.applications import Starlette

from store.database import Database
from tests.support.api import GraphQLClient
from usecases.accounts import create_superuser

DEFAULT_PASSWORD = "correct horse battery staple"

SESSION_FIELDS = "accessToken refreshToken expiresIn user { id email isSuperuser }"

REGISTER = f"""
mutation Register($input: RegisterInput!) {{ register(input: $input) {{ {SESSION_FIELDS} }} }}
"""
LOGIN = f"""
mutation Login($input: LoginInput!) {{ login(input: $input) {{ {SESSION_FIELDS} }} }}
"""
CREATE_AGENT_TYPE = """
mutation CreateAgentType($input: CreateAgentTypeInput!) {
  createAgentType(input: $input) { id slug }
}
"""
CREATE_PROJECT = """
mutation CreateProject($input: CreateProjectInput!) { createProject(input: $input) { id slug } }
"""
SPAWN_AGENT = """
mutation Spawn($input: SpawnAgentInput!) { spawnAgent(input: $input) { id name } }
"""
CREATE_AGENT_TOKEN = """
mutation CreateAgentToken($agentId: ID!, $name: String) {
  createAgentToken(agentId: $agentId, name: $name) { id token agent { id } }
}
"""


def unique(prefix: str) -> str:
    """A slug-safe unique value, e.g. ``user-1a2b3c4d``."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _session(payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "token": payload["accessToken"],
        "refresh": payload["refreshToken"],
        "user_id": payload["user"]["id"],
        "email": payload["user"]["email"],
    }


async def register(
    api: GraphQLClient,
    email: str | None = None,
    password: str = DEFAULT_PASSWORD,
    **names: str,
) -> dict[str, Any]:
    """A new user, signed in: {token, refresh, user_id, email}. ``names``: firstName, lastName."""
    variables = {"email": email or f"{unique('user')}@example.com", "password": password, **names}
    data = await api.ok(REGISTER, {"input": variables})
    return _session(data["register"])


async def login(api: GraphQLClient, email: str, password: str = DEFAULT_PASSWORD) -> dict[str, Any]:
    """A new session of an existing user: {token, refresh, user_id, email}."""
    data = await api.ok(LOGIN, {"input": {"email": email, "password": password}})
    return _session(data["login"])


async def superuser(
    api: GraphQLClient,
    source: Starlette | str,
    email: str | None = None,
    password: str = DEFAULT_PASSWORD,
) -> dict[str, Any]:
    """A superuser (made as `agentgraph create-superuser` does), signed in through the API.

    ``source`` is the ``app`` fixture or a database URL (the ``database_url`` fixture).
    """
    address = email or f"{unique('admin')}@example.com"
    if isinstance(source, str):
        database = Database(source, pool_size=1, max_overflow=0)
        try:
            await create_superuser(database, address, password)
        finally:
            await database.dispose()
    else:
        await create_superuser(source.state.services.database, address, password)
    return await login(api, address, password)


async def create_agent_type(api: GraphQLClient, su_token: str, **overrides: Any) -> str:
    """A new agent type's id (CreateAgentTypeInput fields, camelCase, override the defaults)."""
    variables = {
        "name": "Test Agent",
        "slug": unique("type"),
        "personalityPrompt": "You are a helpful assistant.",
        "primaryModel": "claude-3-sonnet",
        **overrides,
    }
    data = await api.ok(CREATE_AGENT_TYPE, {"input": variables}, token=su_token)
    return str(data["createAgentType"]["id"])


async def create_project(api: GraphQLClient, token: str, **overrides: Any) -> str:
    """A new project's id, owned by the user of ``token``."""
    variables = {"name": "Test Project", "slug": unique("project"), **overrides}
    data = await api.ok(CREATE_PROJECT, {"input": variables}, token=token)
    return str(data["createProject"]["id"])


async def spawn_agent(
    api: GraphQLClient, token: str, project_id: str, agent_type_id: str, name: str = "Agent"
) -> str:
    """A new agent's id, spawned with spawnAgent."""
    variables = {"projectId": project_id, "agentTypeId": agent_type_id, "name": name}
    data = await api.ok(SPAWN_AGENT, {"input": variables}, token=token)
    return str(data["spawnAgent"]["id"])


async def agent_token(
    api: GraphQLClient, token: str, agent_id: str, name: str | None = None
) -> dict[str, Any]:
    """A new agent token for the agent: {id, token}."""
    data = await api.ok(CREATE_AGENT_TOKEN, {"agentId": agent_id, "name": name}, token=token)
    payload = data["createAgentToken"]
    return {"id": payload["id"], "token": payload["token"]}
