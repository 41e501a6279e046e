"""People and agent types."""

from __future__ import annotations

from collections.abc import Mapping

from store.reads.entity import (
    Entity,
    columns,
)

ENTITIES: Mapping[str, Entity] = {
    "user": Entity(
        rows="SELECT {t}.* FROM users {t}",
        attributes=columns("id", "email", "first_name", "last_name", "is_superuser", "created_at"),
    ),
    "agent_type": Entity(
        rows="SELECT {t}.* FROM agent_types {t}",
        attributes=columns(
            "id",
            "name",
            "slug",
            "description",
            "expertise",
            "personality_prompt",
            "primary_model",
            "fallback_models",
            "model_params",
            "mcp_servers",
            "is_active",
            "created_at",
            "updated_at",
        ),
    ),
}
