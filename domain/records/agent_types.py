"""Agent types: the templates agents are spawned from."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class AgentType:
    id: uuid.UUID
    name: str
    slug: str
    description: str | None
    expertise: list[str]
    personality_prompt: str
    primary_model: str
    fallback_models: list[str]
    model_params: dict[str, Any]
    mcp_servers: list[str]
    is_active: bool
    created_at: datetime
    updated_at: datetime
