"""Live sessions: the WebSockets open in this process, each standing on the credential it
presented at connection_init.

A session is checked again with the one authentication rule (``Authenticator.viewer``, that is
``accounts.authenticate``) before every operation started on it; whenever the database announces
that a credential it stands on may have ended (the event hub hears the credentials channel); and
every ``recheck_interval_s`` in any case, a safety net for announcements lost while the LISTEN
connection was down. An access token's session also ends at the token's expiry.

Refused, a session is ended (its socket closed). Answered with another viewer — the user's
superuser flag changed — it is ended too, rather than patched: what a socket may see is settled
into its subscriptions (their scopes, their cohorts, what they replayed), and a client that
reconnects has it all recomputed by the one path that computes it. (The dashboard reconnects on
its own and resumes every subscription from its cursor, losing nothing.)

Caps count per caller (a user, or one agent token) in this process: sockets, and subscriptions
over all of that caller's sockets. A socket costs the process that holds it, so that is where
it is counted; a count shared between processes would outlive a process that died.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from domain.access import Viewer
from domain.errors import DomainError, RateLimited
from domain.sessions import CredentialChange
from usecases.authentication import Authenticator

logger = logging.getLogger("agentgraph.sessions")

RECHECK_TASK = "agentgraph-session-recheck"
# Sessions checked at once when many are in doubt (a resync): the pool serves requests too.
CONCURRENT_CHECKS = 4
# WebSocket close reasons are limited to 123 bytes.
MAX_REASON_BYTES = 123

EndSocket = Callable[[str], Awaitable[None]]
GoingAway = Callable[[], Awaitable[None]]


class TooManySockets(RateLimited):
    def __init__(self, limit: int) -> None:
        super().__init__(
            f"Too many WebSocket connections: at most {limit} per user or agent token.",
            limit="socketsPerCaller",
        )


class TooManySubscriptions(RateLimited):
    def __init__(self, limit: int) -> None:
        super().__init__(
            f"Too many subscriptions: at most {limit} running per user or agent token; "
            "complete one first.",
            limit="subscriptionsPerCaller",
        )


@dataclass(eq=False)
class LiveSession:
    """One socket's credential: the token, who it stood for, and how to end the socket."""

    token: str
    viewer: Viewer
    end_socket: EndSocket
    # How the transport says goodbye when the server shuts down (WebSocket close 1001, an
    # event stream ended without `complete`): the client resumes elsewhere by cursor.
    going_away: GoingAway | None = None
    subscriptions: int = 0
    ended: bool = False
    expiry: asyncio.TimerHandle | None = field(default=None, repr=False)

    @property
    def caller(self) -> str:
        return self.viewer.caller_key or "anonymous"


def _reason(text: str) -> str:
    return text.encode()[:MAX_REASON_BYTES].decode(errors="ignore")


class LiveSessions:
    def __init__(
        self,
        authenticator: Authenticator,
        *,
        max_sockets: int,
        max_subscriptions: int,
        recheck_interval_s: float,
    ) -> None:
        self.authenticator = authenticator
        self.max_sockets = max_sockets
        self.max_subscriptions = max_subscriptions
        self.recheck_interval_s = recheck_interval_s
        self.sessions: set[LiveSession] = set()
        self._sockets: Counter[str] = Counter()
        self._subscriptions: Counter[str] = Counter()
        self._due: set[LiveSession] = set()
        self._checking: asyncio.Task[None] | None = None
        self._endings: set[asyncio.Task[None]] = set()

    @property
    def subscriptions(self) -> int:
        """Subscriptions running on every session of this process (a gauge)."""
        return sum(self._subscriptions.values())

    def open(
        self,
        token: str,
        viewer: Viewer,
        end_socket: EndSocket,
        *,
        going_away: GoingAway | None = None,
    ) -> LiveSession:
        """Register a socket authenticated as ``viewer``; ``TooManySockets`` past the cap."""
        session = LiveSession(token, viewer, end_socket, going_away)
        if self._sockets[session.caller] >= self.max_sockets:
            raise TooManySockets(self.max_sockets)
        self._sockets[session.caller] += 1
        self.sessions.add(session)
        expires_at = self.authenticator.expires_at(token)
        if expires_at is not None:
            delay = (expires_at - datetime.now(UTC)).total_seconds()
            session.expiry = asyncio.get_running_loop().call_later(
                max(0.0, delay), self._end_soon, session, "Access token expired."
            )
        return session

    def close(self, session: LiveSession) -> None:
        """The socket is gone: forget the session (idempotent)."""
        if session not in self.sessions:
            return
        self.sessions.discard(session)
        self._due.discard(session)
        if session.expiry is not None:
            session.expiry.cancel()
        _decrement(self._sockets, session.caller, 1)
        _decrement(self._subscriptions, session.caller, session.subscriptions)
        session.subscriptions = 0

    def start_subscription(self, session: LiveSession) -> None:
        """Count one more running subscription; ``TooManySubscriptions`` past the cap."""
        if self._subscriptions[session.caller] >= self.max_subscriptions:
            raise TooManySubscriptions(self.max_subscriptions)
        self._subscriptions[session.caller] += 1
        session.subscriptions += 1

    def stop_subscription(self, session: LiveSession) -> None:
        if session.subscriptions > 0:
            session.subscriptions -= 1
            _decrement(self._subscriptions, session.caller, 1)

    async def check(self, session: LiveSession) -> bool:
        """Whether the session may go on, by the authentication rule asked now; if not, it is
        ended (its socket closed) before this returns."""
        if session.ended:
            return False
        try:
            viewer = await self.authenticator.viewer(session.token)
        except DomainError as refused:
            await self.end(session, refused.message)
            return False
        except Exception:
            # The database is unreachable: nothing says the credential ended. Checked again
            # on the next operation, announcement or interval.
            logger.warning("could not check a session's credential; keeping it for now")
            return not session.ended
        if viewer != session.viewer:
            await self.end(session, "Access changed; reconnect to see what you may see now.")
            return False
        return not session.ended

    async def end(self, session: LiveSession, reason: str) -> None:
        """End a session: forget it and close its socket (4403) with ``reason``."""
        if session.ended:
            return
        session.ended = True
        self.close(session)
        try:
            await session.end_socket(_reason(reason))
        except Exception:
            logger.exception("could not close an ended session's socket")

    def credentials_changed(self, change: CredentialChange) -> None:
        """The database announced a change (or, ANY_CREDENTIAL, that some may have been
        missed): forget remembered viewers at once, so HTTP requests ask again, and check the
        sessions the change concerns."""
        self.authenticator.forget()
        self._due |= {s for s in self.sessions if change.concerns(s.viewer)}
        if self._due and (self._checking is None or self._checking.done()):
            self._checking = asyncio.create_task(self._check_due(), name=RECHECK_TASK)

    async def run_rechecks(self) -> None:
        """Every ``recheck_interval_s``: check every session (the safety net)."""
        while True:
            await asyncio.sleep(self.recheck_interval_s)
            self._due |= self.sessions
            if self._checking is None or self._checking.done():
                await self._check_due()

    async def say_goodbye(self) -> None:
        """The server is shutting down: every socket and stream says goodbye its transport's
        way (WebSocket close 1001, an event stream ended), so clients resume by cursor."""
        goodbyes = [s.going_away() for s in list(self.sessions) if s.going_away is not None]
        results = await asyncio.gather(*goodbyes, return_exceptions=True)
        for result in results:
            if isinstance(result, Exception):
                logger.warning("could not say goodbye to a socket: %s", result)

    async def stop(self) -> None:
        for task in [self._checking, *self._endings]:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    async def _check_due(self) -> None:
        while self._due:
            batch = list(self._due)[:CONCURRENT_CHECKS]
            self._due.difference_update(batch)
            await asyncio.gather(*(self.check(s) for s in batch if s in self.sessions))

    def _end_soon(self, session: LiveSession, reason: str) -> None:
        task = asyncio.create_task(self.end(session, reason))
        self._endings.add(task)
        task.add_done_callback(self._endings.discard)


def _decrement(counter: Counter[str], key: str, by: int) -> None:
    counter[key] -= by
    if counter[key] <= 0:
        del counter[key]
