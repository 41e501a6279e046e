"""What one compilation knows: who reads (visibility), the bound parameters, fresh aliases."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from domain.access import Viewer


@dataclass
class Scope:
    viewer: Viewer
    heartbeat_timeout: timedelta
    params: list[Any] = field(default_factory=list)
    _aliases: int = 0

    def bind(self, value: Any, sql_type: str) -> str:
        """A placeholder for ``value`` (asyncpg's $n), cast to ``sql_type``."""
        self.params.append(value)
        return f"${len(self.params)}::{sql_type}"

    def alias(self) -> str:
        self._aliases += 1
        return f"r{self._aliases}"

    # --- visibility, as store/scopes.py states it ---------------------------------------------

    def user_id(self) -> str:
        return self.bind(self.viewer.user_id or uuid.UUID(int=0), "uuid")

    def agent_id(self) -> str:
        return self.bind(self.viewer.agent_id or uuid.UUID(int=0), "uuid")

    def sees_projects(self, project_id: str, owner_id: str) -> str:
        """SQL: the viewer may see the project with these columns."""
        if self.viewer.is_superuser:
            return "TRUE"
        conditions = []
        if self.viewer.user_id is not None:
            conditions.append(f"{owner_id} = {self.user_id()}")
        if self.viewer.agent_id is not None:
            conditions.append(
                f"{project_id} = (SELECT project_id FROM agents WHERE id = {self.agent_id()})"
            )
        return " OR ".join(conditions) if conditions else "FALSE"

    def sees_agents(self, agent_id: str, owner_id: str) -> str:
        """SQL: the viewer may see the agent with these columns (owner_id: its project's owner)."""
        if self.viewer.is_superuser:
            return "TRUE"
        conditions = []
        if self.viewer.user_id is not None:
            conditions.append(f"{owner_id} = {self.user_id()}")
        if self.viewer.agent_id is not None:
            conditions.append(f"{agent_id} = {self.agent_id()}")
        return "(" + " OR ".join(conditions) + ")" if conditions else "FALSE"
