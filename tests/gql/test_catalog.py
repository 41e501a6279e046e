"""Agent types (superusers manage them, users read active ones) and projects (owners only).

The access-control cases of seeds/002's REST suite, in GraphQL form.
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

import pytest
from starlette.applications import Starlette

from tests.support import factories
from tests.support.api import GraphQLClient

TYPE_FIELDS = """
id name slug description expertise personalityPrompt primaryModel fallbackModels modelParams
mcpServers isActive createdAt updatedAt
"""
CREATE_TYPE = f"""
mutation Create($input: CreateAgentTypeInput!) {{
  createAgentType(input: $input) {{ {TYPE_FIELDS} }}
}}
"""
UPDATE_TYPE = f"""
mutation Update($id: ID!, $input: UpdateAgentTypeInput!) {{
  updateAgentType(id: $id, input: $input) {{ {TYPE_FIELDS} }}
}}
"""
LIST_TYPES = """
query List($activeOnly: Boolean) {
  agentTypes(activeOnly: $activeOnly) { totalCount edges { node { slug isActive } } }
}
"""
TYPE_BY_SLUG = "query BySlug($slug: String!) { agentTypeBySlug(slug: $slug) { id slug } }"
TYPE_BY_ID = "query ById($id: ID!) { agentType(id: $id) { id slug } }"
PROJECT = """
query Project($id: ID!) { project(id: $id) { id name slug owner { id } agents { totalCount } } }
"""
PROJECTS = "{ projects { totalCount edges { node { id slug } } } }"


def _missing_id(type_name: str) -> str:
    return base64.b64encode(f"{type_name}:{uuid.uuid4()}".encode()).decode()


def _type_input(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "Test Agent",
        "slug": factories.unique("type"),
        "personalityPrompt": "You are a helpful assistant.",
        "primaryModel": "claude-3-sonnet",
        **overrides,
    }


@pytest.fixture
async def admin(api: GraphQLClient, app: Starlette) -> dict[str, Any]:
    return await factories.superuser(api, app)


@pytest.fixture
async def user(api: GraphQLClient) -> dict[str, Any]:
    return await factories.register(api)


# --- agent types -----------------------------------------------------------------------------


async def test_regular_user_cannot_create_agent_types(
    api: GraphQLClient, user: dict[str, Any]
) -> None:
    result = await api.error(CREATE_TYPE, {"input": _type_input()}, token=user["token"])
    assert result.code == "FORBIDDEN"
    assert result.data is None


async def test_superuser_creates_an_agent_type(api: GraphQLClient, admin: dict[str, Any]) -> None:
    variables = _type_input(
        name="Product Owner Agent",
        description="A product owner agent for requirements gathering",
        expertise=["requirements", "user_stories", "prioritization"],
        personalityPrompt="You are a product owner focused on delivering value.\nBe brief.",
        primaryModel="claude-3-opus",
        fallbackModels=["claude-3-sonnet"],
        modelParams={"temperature": 0.7, "max_tokens": 4000},
        mcpServers=["knowledge-base"],
        isActive=True,
    )
    data = await api.ok(CREATE_TYPE, {"input": variables}, token=admin["token"])
    created = data["createAgentType"]
    assert {k: created[k] for k in variables} == variables


async def test_agent_type_defaults(api: GraphQLClient, admin: dict[str, Any]) -> None:
    data = await api.ok(CREATE_TYPE, {"input": _type_input()}, token=admin["token"])
    created = data["createAgentType"]
    assert created["isActive"] is True
    assert created["description"] is None
    assert created["expertise"] == created["fallbackModels"] == created["mcpServers"] == []
    assert created["modelParams"] == {}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"slug": "Not A Slug"}, "input.slug"),
        ({"slug": "-leading-dash"}, "input.slug"),
        ({"name": "   "}, "input.name"),
        ({"modelParams": [1, 2]}, "input.modelParams"),
        ({"modelParams": "temperature=1"}, "input.modelParams"),
        ({"personalityPrompt": ""}, "input.personalityPrompt"),
        ({"expertise": ["ok", ""]}, "input.expertise[1]"),
    ],
)
async def test_agent_type_input_is_validated(
    api: GraphQLClient, admin: dict[str, Any], overrides: dict[str, Any], field: str
) -> None:
    result = await api.error(CREATE_TYPE, {"input": _type_input(**overrides)}, token=admin["token"])
    assert result.code == "VALIDATION_ERROR"
    assert result.errors[0]["extensions"]["field"] == field


async def test_agent_type_slugs_are_unique(api: GraphQLClient, admin: dict[str, Any]) -> None:
    slug = factories.unique("dup")
    await api.ok(CREATE_TYPE, {"input": _type_input(slug=slug)}, token=admin["token"])
    again = await api.error(CREATE_TYPE, {"input": _type_input(slug=slug)}, token=admin["token"])
    assert again.code == "VALIDATION_ERROR"
    assert again.errors[0]["extensions"]["field"] == "input.slug"


async def test_any_user_lists_and_reads_active_agent_types(
    api: GraphQLClient, admin: dict[str, Any], user: dict[str, Any]
) -> None:
    slug = factories.unique("list-test")
    type_id = await factories.create_agent_type(api, admin["token"], slug=slug)
    listed = await api.ok(LIST_TYPES, token=user["token"])
    assert listed["agentTypes"]["totalCount"] >= 1
    assert {"slug": slug, "isActive": True} in [e["node"] for e in listed["agentTypes"]["edges"]]
    by_slug = await api.ok(TYPE_BY_SLUG, {"slug": slug}, token=user["token"])
    assert by_slug["agentTypeBySlug"] == {"id": type_id, "slug": slug}
    by_id = await api.ok(TYPE_BY_ID, {"id": type_id}, token=user["token"])
    assert by_id["agentType"]["slug"] == slug


async def test_superuser_gets_an_agent_type_by_slug(
    api: GraphQLClient, admin: dict[str, Any]
) -> None:
    slug = factories.unique("slug-test")
    type_id = await factories.create_agent_type(api, admin["token"], slug=slug)
    data = await api.ok(TYPE_BY_SLUG, {"slug": slug}, token=admin["token"])
    assert data["agentTypeBySlug"] == {"id": type_id, "slug": slug}


async def test_update_changes_only_the_given_fields(
    api: GraphQLClient, admin: dict[str, Any]
) -> None:
    created = (
        await api.ok(
            CREATE_TYPE,
            {"input": _type_input(name="Original Name", personalityPrompt="Original prompt.",
                                  description="Old", expertise=["a"])},
            token=admin["token"],
        )
    )["createAgentType"]  # fmt: skip
    data = await api.ok(
        UPDATE_TYPE,
        {
            "id": created["id"],
            "input": {"name": "Updated Name", "description": "Added description"},
        },
        token=admin["token"],
    )
    updated = data["updateAgentType"]
    assert updated["name"] == "Updated Name"
    assert updated["description"] == "Added description"
    assert updated["personalityPrompt"] == "Original prompt."  # unchanged
    assert updated["expertise"] == ["a"]
    assert updated["slug"] == created["slug"]
    assert updated["updatedAt"] >= created["updatedAt"]
    cleared = await api.ok(
        UPDATE_TYPE, {"id": created["id"], "input": {"description": None}}, token=admin["token"]
    )
    assert cleared["updateAgentType"]["description"] is None
    assert cleared["updateAgentType"]["name"] == "Updated Name"


async def test_update_refuses_nulls_for_required_fields(
    api: GraphQLClient, admin: dict[str, Any]
) -> None:
    type_id = await factories.create_agent_type(api, admin["token"])
    result = await api.error(
        UPDATE_TYPE, {"id": type_id, "input": {"primaryModel": None}}, token=admin["token"]
    )
    assert result.code == "VALIDATION_ERROR"
    assert result.errors[0]["extensions"]["field"] == "input.primaryModel"


async def test_who_may_update_agent_types(
    api: GraphQLClient, admin: dict[str, Any], user: dict[str, Any]
) -> None:
    type_id = await factories.create_agent_type(api, admin["token"])
    variables = {"id": type_id, "input": {"name": "Hijacked"}}
    assert (await api.error(UPDATE_TYPE, variables, token=user["token"])).code == "FORBIDDEN"
    assert (await api.error(UPDATE_TYPE, variables)).code == "UNAUTHENTICATED"
    missing = {"id": _missing_id("AgentType"), "input": {"name": "x"}}
    assert (await api.error(UPDATE_TYPE, missing, token=admin["token"])).code == "NOT_FOUND"


async def test_inactive_agent_types_are_hidden_from_regular_users(
    api: GraphQLClient, admin: dict[str, Any], user: dict[str, Any]
) -> None:
    slug = factories.unique("inactive-type")
    type_id = await factories.create_agent_type(api, admin["token"], slug=slug)
    await api.ok(UPDATE_TYPE, {"id": type_id, "input": {"isActive": False}}, token=admin["token"])

    listed = await api.ok(LIST_TYPES, {"activeOnly": False}, token=user["token"])
    assert slug not in [e["node"]["slug"] for e in listed["agentTypes"]["edges"]]
    assert (await api.error(TYPE_BY_SLUG, {"slug": slug}, token=user["token"])).code == "NOT_FOUND"
    assert (await api.error(TYPE_BY_ID, {"id": type_id}, token=user["token"])).code == "NOT_FOUND"

    everything = await api.ok(LIST_TYPES, {"activeOnly": False}, token=admin["token"])
    assert {"slug": slug, "isActive": False} in [
        e["node"] for e in everything["agentTypes"]["edges"]
    ]
    active = await api.ok(LIST_TYPES, token=admin["token"])
    assert slug not in [e["node"]["slug"] for e in active["agentTypes"]["edges"]]
    await api.ok(TYPE_BY_SLUG, {"slug": slug}, token=admin["token"])


async def test_agents_cannot_be_spawned_from_inactive_types(
    api: GraphQLClient, admin: dict[str, Any]
) -> None:
    type_id = await factories.create_agent_type(api, admin["token"])
    await api.ok(UPDATE_TYPE, {"id": type_id, "input": {"isActive": False}}, token=admin["token"])
    project_id = await factories.create_project(api, admin["token"])
    result = await api.error(
        factories.SPAWN_AGENT,
        {"input": {"projectId": project_id, "agentTypeId": type_id, "name": "Should Fail"}},
        token=admin["token"],
    )
    assert result.code == "VALIDATION_ERROR"


# --- projects --------------------------------------------------------------------------------


async def test_a_signed_in_user_creates_and_owns_a_project(
    api: GraphQLClient, user: dict[str, Any]
) -> None:
    slug = factories.unique("project")
    data = await api.ok(
        factories.CREATE_PROJECT,
        {"input": {"name": " My Project ", "slug": slug}},
        token=user["token"],
    )
    project_id = data["createProject"]["id"]
    project = (await api.ok(PROJECT, {"id": project_id}, token=user["token"]))["project"]
    assert project == {
        "id": project_id, "name": "My Project", "slug": slug,
        "owner": {"id": user["user_id"]}, "agents": {"totalCount": 0},
    }  # fmt: skip
    assert (await api.ok(PROJECTS, token=user["token"]))["projects"]["totalCount"] == 1


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"name": "x", "slug": "Bad Slug"}, "input.slug"),
        ({"name": "", "slug": "fine"}, "input.name"),
    ],
)
async def test_project_input_is_validated(
    api: GraphQLClient, user: dict[str, Any], variables: dict[str, str], field: str
) -> None:
    result = await api.error(factories.CREATE_PROJECT, {"input": variables}, token=user["token"])
    assert result.code == "VALIDATION_ERROR"
    assert result.errors[0]["extensions"]["field"] == field


async def test_project_slugs_are_unique(api: GraphQLClient, user: dict[str, Any]) -> None:
    slug = factories.unique("taken")
    await factories.create_project(api, user["token"], slug=slug)
    again = await api.error(
        factories.CREATE_PROJECT, {"input": {"name": "x", "slug": slug}}, token=user["token"]
    )
    assert again.code == "VALIDATION_ERROR"
    assert again.errors[0]["extensions"]["field"] == "input.slug"


async def test_create_project_needs_a_user(api: GraphQLClient) -> None:
    result = await api.error(factories.CREATE_PROJECT, {"input": {"name": "x", "slug": "anon"}})
    assert result.code == "UNAUTHENTICATED"


async def test_users_cannot_see_projects_or_agents_they_do_not_own(
    api: GraphQLClient, admin: dict[str, Any], user: dict[str, Any]
) -> None:
    type_id = await factories.create_agent_type(api, admin["token"])
    slug = factories.unique("protected-project")
    project_id = await factories.create_project(api, admin["token"], slug=slug)
    agent_id = await factories.spawn_agent(
        api, admin["token"], project_id, type_id, "Protected Agent"
    )
    token = user["token"]

    agent = await api.error(
        "query($id: ID!) { agent(id: $id) { id } }", {"id": agent_id}, token=token
    )
    assert agent.code == "NOT_FOUND"
    node = await api.error(
        "query($id: ID!) { node(id: $id) { id } }", {"id": agent_id}, token=token
    )
    assert node.code == "NOT_FOUND"
    project = await api.error(PROJECT, {"id": project_id}, token=token)
    assert project.code == "NOT_FOUND"
    by_slug = await api.error(
        "query($s: String!) { projectBySlug(slug: $s) { id } }", {"s": slug}, token=token
    )
    assert by_slug.code == "NOT_FOUND"
    agents = await api.error(
        "query($p: ID!) { agents(projectId: $p) { totalCount edges { node { id } } } }",
        {"p": project_id},
        token=token,
    )
    assert agents.code == "NOT_FOUND"
    assert (await api.ok(PROJECTS, token=token))["projects"]["totalCount"] == 0
    # The owner (here a superuser) sees all of it.
    owner_view = await api.ok(PROJECT, {"id": project_id}, token=admin["token"])
    assert owner_view["project"]["agents"]["totalCount"] == 1
