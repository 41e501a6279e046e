"""Login throttling: failed sign-ins per email and per client address, in a sliding window.

Each attempt is counted *before* its password is checked (and un-counted if it succeeds), so
attempts that race each other — concurrent requests, or ``login`` aliased many times in one
document — are all counted. Past failures slow the next attempt down a little; at the limit,
attempts are refused with ``RateLimited`` until the oldest failure leaves the window.

State is in memory, per server process: a restart forgets it, and several processes each
allow the limit. That is the usual trade for a check on every login without a shared store.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from domain.errors import RateLimited

# One address may serve many people (an office behind NAT), so it gets more room than an email.
ADDRESS_FACTOR = 4
DELAY_STEP_S = 0.1
MAX_DELAY_S = 1.0
# Bounds memory when someone sprays attempts across endless emails.
MAX_TRACKED_KEYS = 100_000


@dataclass(frozen=True, slots=True)
class LoginAttempt:
    """One counted attempt: pass it to ``succeeded`` when the password was right."""

    email_key: str
    address: str
    at: float
    delay_s: float


class LoginThrottle:
    """Counts failed sign-ins per email and per address within ``window_s`` seconds."""

    def __init__(
        self,
        max_failures: int,
        window_s: float,
        *,
        address_max_failures: int | None = None,
        delay_step_s: float = DELAY_STEP_S,
        max_delay_s: float = MAX_DELAY_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_failures = max_failures
        self.address_max_failures = address_max_failures or max_failures * ADDRESS_FACTOR
        self.window_s = window_s
        self.delay_step_s = delay_step_s
        self.max_delay_s = max_delay_s
        self._clock = clock
        self._by_email: dict[str, deque[float]] = {}
        self._by_address: dict[str, deque[float]] = {}

    def begin(self, email: str, address: str) -> LoginAttempt:
        """Count an attempt as failed until told otherwise; ``RateLimited`` when over the limit.

        The returned ``delay_s`` is how long the caller should wait before checking the
        password: it grows with the recent failures.
        """
        now = self._clock()
        email_key = email.strip().lower()
        emails = self._recent(self._by_email, email_key, now)
        addresses = self._recent(self._by_address, address, now)
        if len(emails) >= self.max_failures:
            raise self._refusal(emails, now)
        if len(addresses) >= self.address_max_failures:
            raise self._refusal(addresses, now)
        # Slowing down is for guessing one account's password; spraying many accounts from one
        # address meets the address's hard limit instead.
        delay = min(self.delay_step_s * len(emails), self.max_delay_s)
        emails.append(now)
        addresses.append(now)
        self._bound(self._by_email, now)
        self._bound(self._by_address, now)
        return LoginAttempt(email_key, address, now, delay)

    def succeeded(self, attempt: LoginAttempt) -> None:
        """The password was right: forget the email's failures and un-count this attempt."""
        self._by_email.pop(attempt.email_key, None)
        addresses = self._by_address.get(attempt.address)
        if addresses is not None and attempt.at in addresses:
            addresses.remove(attempt.at)

    def reset(self) -> None:
        """Forget everything (tests, or an operator clearing a lockout)."""
        self._by_email.clear()
        self._by_address.clear()

    def _recent(self, table: dict[str, deque[float]], key: str, now: float) -> deque[float]:
        times = table.setdefault(key, deque())
        while times and times[0] <= now - self.window_s:
            times.popleft()
        return times

    def _refusal(self, times: deque[float], now: float) -> RateLimited:
        retry_after = max(times[0] + self.window_s - now, 0.0)
        return RateLimited(
            f"Too many failed sign-in attempts; try again in {math.ceil(retry_after)} seconds.",
            retry_after,
        )

    def _bound(self, table: dict[str, deque[float]], now: float) -> None:
        if len(table) <= MAX_TRACKED_KEYS:
            return
        for key in [
            k for k, times in table.items() if not times or times[-1] <= now - self.window_s
        ]:
            del table[key]
        # Still too many live keys: drop the oldest-tracked ones (dicts keep insertion order).
        excess = len(table) - MAX_TRACKED_KEYS * 9 // 10
        for key in list(table)[: max(excess, 0)]:
            del table[key]
