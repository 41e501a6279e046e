"""What a running server holds below its surface: built once by ``agentgraph.bootstrap`` and
handed to the GraphQL surface, which never reaches up into the wiring for it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from domain.throttle import LoginThrottle
from store.database import Database
from usecases.accounts import TokenConfig
from usecases.authentication import Authenticator
from usecases.budgets import Budgets
from usecases.live.hub import EventHub


@dataclass
class Services:
    """The long-lived parts every request may use."""

    database: Database
    hub: EventHub
    login_throttle: LoginThrottle
    tokens: TokenConfig
    heartbeat_timeout: timedelta
    authenticator: Authenticator
    budgets: Budgets
