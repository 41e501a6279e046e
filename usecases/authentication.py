"""Who a bearer token stands for, remembered for at most a second.

Checking a token costs a database read (a disabled user, a revoked agent token and a removed
superuser flag must take effect at once). A dashboard or a fleet of agent runtimes presents
the same token many times a second, so the answer is kept for ``ttl_s`` seconds (and never past
an access token's expiry): whatever changes about an account or a token is in force everywhere
within that second. Refusals are not remembered. Sooner still: every process forgets what it
remembered when the database announces that a credential changed (``forget``, called by the
event hub on the credentials channel).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime

from domain.access import ANONYMOUS, Viewer
from store.database import Database
from usecases.accounts import authenticate
from usecases.credentials.tokens import decode_access_token, is_agent_secret

DEFAULT_TTL_S = 1.0
MAX_REMEMBERED = 10_000


class Authenticator:
    def __init__(
        self,
        database: Database,
        secret_key: str,
        *,
        ttl_s: float = DEFAULT_TTL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._database = database
        self._secret_key = secret_key
        self.ttl_s = ttl_s
        self._clock = clock
        self._known: OrderedDict[str, tuple[float, Viewer]] = OrderedDict()
        # Bumped by forget(): an answer read before a forget() is not remembered after it.
        self._generation = 0

    async def viewer(self, token: str | None) -> Viewer:
        """``accounts.authenticate``, answered from memory when asked within the last second."""
        if token is None:
            return ANONYMOUS
        now = self._clock()
        known = self._known.get(token)
        if known is not None and known[0] > now:
            return known[1]
        generation = self._generation
        viewer = await authenticate(self._database, self._secret_key, token)
        if generation != self._generation:
            return viewer  # the credential changed while it was read: answer, don't remember
        until = now + self.ttl_s
        expires_at = self.expires_at(token)
        if expires_at is not None:  # an access token: never remembered past its expiry
            until = min(until, now + (expires_at - datetime.now(UTC)).total_seconds())
        self._known[token] = (until, viewer)
        self._known.move_to_end(token)
        if len(self._known) > MAX_REMEMBERED:
            self._known.popitem(last=False)
        return viewer

    def expires_at(self, token: str) -> datetime | None:
        """When an access token expires (None for agent tokens, which do not)."""
        if is_agent_secret(token):
            return None
        return decode_access_token(self._secret_key, token).expires_at

    def forget(self) -> None:
        """Drop everything remembered: a credential changed (the event hub hears it from the
        database), or an operator must cut access at once."""
        self._known.clear()
        self._generation += 1
