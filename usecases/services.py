"""What a running server holds below its surface: built once by ``agentgraph.bootstrap`` and
handed to the GraphQL surface, which never reaches up into the wiring for it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from store.database import Database
from usecases.accounts import TokenConfig
from usecases.authentication import Authenticator
from usecases.budgets import Budgets
from usecases.live.hub import EventHub
from usecases.throttle import SignInThrottle


@dataclass
class Services:
    """The long-lived parts every request may use."""

    database: Database
    hub: EventHub
    sign_in_throttle: SignInThrottle
    tokens: TokenConfig
    heartbeat_timeout: timedelta
    authenticator: Authenticator
    budgets: Budgets
