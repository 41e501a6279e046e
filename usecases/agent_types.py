"""Use cases of agent types, the templates agents are spawned from (superusers only)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from domain.access import Capability, Viewer
from domain.errors import Forbidden, NotFound, Unauthenticated, ValidationFailed
from domain.records import AgentType
from domain.values import validate_json_object, validate_name, validate_slug
from store import agent_types
from store.database import Database

MAX_DESCRIPTION_LENGTH = 10_000


MAX_PROMPT_LENGTH = 50_000


MAX_LIST_LENGTH = 100


# The input fields of UpdateAgentTypeInput, by column; errors name the client's field.
UPDATABLE_AGENT_TYPE_FIELDS = {
    "name": "name",
    "description": "description",
    "expertise": "expertise",
    "personality_prompt": "personalityPrompt",
    "primary_model": "primaryModel",
    "fallback_models": "fallbackModels",
    "model_params": "modelParams",
    "mcp_servers": "mcpServers",
    "is_active": "isActive",
}


@dataclass(frozen=True)
class AgentTypeSpec:
    """A new agent type, as a superuser describes it."""

    name: str
    slug: str
    personality_prompt: str
    primary_model: str
    description: str | None = None
    expertise: Sequence[str] | None = None
    fallback_models: Sequence[str] | None = None
    model_params: Any = None
    mcp_servers: Sequence[str] | None = None
    is_active: bool | None = True


async def create_agent_type(database: Database, viewer: Viewer, spec: AgentTypeSpec) -> AgentType:
    """Create an agent type. Superusers only (FORBIDDEN for everyone else)."""
    _require_superuser(viewer)
    values = {
        "slug": validate_slug(spec.slug, "input.slug"),
        **_agent_type_values(
            {
                "name": spec.name,
                "description": spec.description,
                "expertise": spec.expertise or [],
                "personality_prompt": spec.personality_prompt,
                "primary_model": spec.primary_model,
                "fallback_models": spec.fallback_models or [],
                "model_params": {} if spec.model_params is None else spec.model_params,
                "mcp_servers": spec.mcp_servers or [],
                "is_active": True if spec.is_active is None else spec.is_active,
            }
        ),
    }
    async with database.transaction() as conn:
        created = await agent_types.insert_agent_type(conn, values)
        if created is None:
            raise ValidationFailed("input.slug", f"an agent type with slug '{spec.slug}' exists")
    return created


async def update_agent_type(
    database: Database, viewer: Viewer, agent_type_id: uuid.UUID, changes: Mapping[str, Any]
) -> AgentType:
    """Change the given fields of an agent type (keys of UPDATABLE_AGENT_TYPE_FIELDS) only.

    A null for a field that cannot be empty is refused; a null description clears it.
    """
    _require_superuser(viewer)
    unknown = set(changes) - set(UPDATABLE_AGENT_TYPE_FIELDS)
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")  # a programming error
    values = _agent_type_values(changes)
    async with database.transaction() as conn:
        updated = await agent_types.update_agent_type(conn, agent_type_id, values)
        if updated is None:
            raise NotFound("AgentType")
    return updated


def _require_superuser(viewer: Viewer) -> None:
    if not viewer.is_authenticated:
        raise Unauthenticated()
    if not viewer.may(Capability.SUPERUSER):
        raise Forbidden("Only superusers may manage agent types.")


def _agent_type_values(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Validated column values of the agent-type fields present in ``fields``."""
    values: dict[str, Any] = {}
    for column, value in fields.items():
        field = f"input.{UPDATABLE_AGENT_TYPE_FIELDS[column]}"
        if value is None and column != "description":
            raise ValidationFailed(field, "must not be null")
        values[column] = _VALIDATORS[column](value, field)
    return values


def _long_text(max_length: int, *, blank_is_none: bool = False) -> Any:
    def check(value: str | None, field: str) -> str | None:
        if value is None or (blank_is_none and not value.strip()):
            return None
        if not value.strip():
            raise ValidationFailed(field, "must not be empty")
        if len(value) > max_length:
            raise ValidationFailed(field, f"must be at most {max_length} characters")
        if "\x00" in value:
            raise ValidationFailed(field, "must not contain NUL characters")
        return value

    return check


def _labels(values: Sequence[str], field: str) -> list[str]:
    if len(values) > MAX_LIST_LENGTH:
        raise ValidationFailed(field, f"must have at most {MAX_LIST_LENGTH} entries")
    return [validate_name(value, f"{field}[{i}]") for i, value in enumerate(values)]


def _flag(value: bool, field: str) -> bool:
    return bool(value)


_VALIDATORS: dict[str, Any] = {
    "name": validate_name,
    "description": _long_text(MAX_DESCRIPTION_LENGTH, blank_is_none=True),
    "expertise": _labels,
    "personality_prompt": _long_text(MAX_PROMPT_LENGTH),
    "primary_model": validate_name,
    "fallback_models": _labels,
    "model_params": validate_json_object,
    "mcp_servers": _labels,
    "is_active": _flag,
}
