"""Sign-in throttling, the rule (pure): progressive delays per key, counted before the work.

A key is what attempts are counted against: one email from one address (so an attacker
elsewhere cannot lock its owner out), one address across every email (spraying), one address
registering accounts. Each key allows ``free`` attempts; from then on every attempt makes the
next one wait, twice as long each time (``base_delay_s``, then twice, four times … up to ``max_delay_s``). An
attempt that comes while its key waits is refused, ``RateLimited`` with when to retry, and is not
counted. A key is forgotten ``forget_after_s`` after its last attempt and its wait have passed.

Attempts are counted *before* the password is checked (and un-counted when it was right), so
attempts that race each other are all counted. Where the counts live (PostgreSQL, shared by
every server process) is ``usecases/throttle.py``'s business; here is only the arithmetic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.errors import RateLimited


@dataclass(frozen=True, slots=True)
class ThrottleRule:
    """How many attempts a key allows before they slow down, and how."""

    free: int
    base_delay_s: float
    max_delay_s: float
    forget_after_s: float

    def delay_after(self, attempts: int) -> float:
        """The wait after ``attempts`` counted attempts: none within ``free``, then doubling."""
        if attempts < self.free:
            return 0.0
        doublings = min(attempts - self.free, 40)  # 2**40 base delays: long past any cap
        return float(min(self.base_delay_s * 2.0**doublings, self.max_delay_s))


@dataclass(frozen=True, slots=True)
class KeyCount:
    """A key's counted attempts, when the last one came, and until when it must wait."""

    attempts: int = 0
    last_attempt_at: datetime | None = None
    blocked_until: datetime | None = None

    def current(self, rule: ThrottleRule, now: datetime) -> KeyCount:
        """This count as of ``now``: empty once forgotten."""
        last = max(
            (t for t in (self.last_attempt_at, self.blocked_until) if t is not None), default=None
        )
        if last is None or now - last >= timedelta(seconds=rule.forget_after_s):
            return KeyCount()
        return self

    def wait_s(self, now: datetime) -> float:
        """Seconds until an attempt may come (0: now)."""
        if self.blocked_until is None:
            return 0.0
        return max((self.blocked_until - now).total_seconds(), 0.0)

    def counted(self, rule: ThrottleRule, now: datetime) -> KeyCount:
        """The count after one more attempt at ``now``."""
        attempts = self.current(rule, now).attempts + 1
        delay = rule.delay_after(attempts)
        blocked = now + timedelta(seconds=delay) if delay else None
        return KeyCount(attempts, now, blocked)

    def uncounted(self) -> KeyCount:
        """The count without one of its attempts (one that turned out right); its wait stays."""
        return KeyCount(max(self.attempts - 1, 0), self.last_attempt_at, self.blocked_until)


class TooManyAttempts(RateLimited):
    def __init__(self, what: str, retry_after_s: float) -> None:
        super().__init__(
            f"Too many {what}; try again in {math.ceil(retry_after_s)} seconds.",
            retry_after_s,
        )


def refusal(
    counts: dict[str, KeyCount], rules: dict[str, ThrottleRule], now: datetime, what: str
) -> TooManyAttempts | None:
    """The refusal of an attempt now when any of its keys must still wait, else None."""
    waits = [counts[key].current(rules[key], now).wait_s(now) for key in counts]
    longest = max(waits, default=0.0)
    return TooManyAttempts(what, longest) if longest > 0 else None
