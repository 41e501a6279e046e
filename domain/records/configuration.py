"""How an agent is set up: its config entries and versioned capabilities."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.values import ConfigValueType


@dataclass(frozen=True, slots=True)
class AgentConfig:
    id: uuid.UUID
    agent_id: uuid.UUID
    key: str
    value: str
    value_type: ConfigValueType
    description: str | None
    is_sensitive: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class AgentCapability:
    id: uuid.UUID
    agent_id: uuid.UUID
    name: str
    version: str
    enabled: bool
    parameters: dict[str, Any]
    description: str | None
    created_at: datetime
    updated_at: datetime
