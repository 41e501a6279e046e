"""What every resolver sees as ``info.context``: the caller, the services, per-request loaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from strawberry.types import Info as StrawberryInfo

from domain.access import Viewer
from domain.errors import DomainError
from gql.loaders import Loaders

if TYPE_CHECKING:
    from agentgraph.bootstrap import Services
    from agentgraph.settings import Settings
    from domain.store.database import Database
    from gql.subscriptions.live import LiveEvent


@dataclass
class Context:
    services: Services
    viewer: Viewer
    client_address: str = "unknown"
    # Set by Strawberry for WebSocket connections (the connection_init payload).
    connection_params: dict[str, Any] | None = None
    # The WebSocket upgrade request's bearer token, used when connection_init carries none.
    upgrade_token: str | None = None
    # Why the request's token was refused, reported by fields that need a caller.
    auth_error: DomainError | None = None
    # Subscriptions: the event being resolved right now (a cohort reads it beside the result).
    current_event: LiveEvent | None = None
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.refresh_loaders()

    def refresh_loaders(self) -> None:
        """Fresh, empty loaders (each subscription event is resolved against current data)."""
        self.loaders = Loaders(self.database, self.viewer, self.heartbeat_timeout)

    @property
    def database(self) -> Database:
        return self.services.database

    @property
    def settings(self) -> Settings:
        return self.services.settings

    @property
    def heartbeat_timeout(self) -> timedelta:
        return timedelta(seconds=self.settings.heartbeat_timeout_s)


Info = StrawberryInfo[Context, None]
