"""What every resolver sees as ``info.context``: the caller, the services, per-request loaders."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from starlette.responses import Response
from strawberry.types import Info as StrawberryInfo

from domain.access import Viewer
from domain.errors import DomainError, RateLimited
from domain.events import LiveEvent
from gql.config import SurfaceConfig
from gql.loaders import Loaders
from store.database import Database
from usecases.live.sessions import LiveSession
from usecases.services import Services

if TYPE_CHECKING:
    from gql.subscriptions.cohorts import Cohorts


@dataclass
class Context:
    services: Services
    config: SurfaceConfig
    cohorts: Cohorts
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
    # A cohort's stream resumes after the cursor where the cohort began (see cohorts.py).
    resume_after: int | None = None
    # Subscriptions: the STATUS_CHANGED cursors of the burst being resolved whose transitions
    # were not read yet; the first payload that asks for one reads them all (types/event.py).
    burst_transitions: list[int] = field(default_factory=list)
    # HTTP: the response being prepared (a refused budget sets its status and Retry-After),
    # and whether the compiled read path already spent this request's cost.
    http_response: Response | None = None
    budget_spent: bool = False
    # WebSocket: the socket's live session, once connection_init authenticated it, and how
    # its protocol handler ends the socket when the session's credential ends.
    session: LiveSession | None = None
    end_socket: Callable[[str], Awaitable[None]] | None = None
    going_away: Callable[[], Awaitable[None]] | None = None
    # graphql-sse: the Last-Event-ID a reconnecting stream sent (it wins over `after`).
    last_event_id: int | None = None
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.refresh_loaders()

    def refresh_loaders(self) -> None:
        """Fresh, empty loaders (each subscription event is resolved against current data)."""
        self.loaders = Loaders(self.database, self.viewer, self.heartbeat_timeout)

    def for_viewer(self, viewer: Viewer, client_address: str) -> Context:
        """A context of the same server for another caller (a cohort's shared resolution)."""
        return Context(self.services, self.config, self.cohorts, viewer, client_address)

    async def spend_budget(self, cost: int) -> None:
        """Spend an operation's cost from the caller's budget (usecases/budgets.py), once per
        HTTP request and once per subscription; ``RateLimited`` when it is used up."""
        if self.budget_spent:
            return
        try:
            await self.services.budgets.spend(self.viewer, cost)
        except RateLimited as refused:
            if self.http_response is not None and refused.retry_after_s is not None:
                self.http_response.status_code = 429
                self.http_response.headers["Retry-After"] = str(math.ceil(refused.retry_after_s))
            raise
        self.budget_spent = self.http_response is not None

    @property
    def database(self) -> Database:
        return self.services.database

    @property
    def heartbeat_timeout(self) -> timedelta:
        return self.config.heartbeat_timeout


Info = StrawberryInfo[Context, None]
