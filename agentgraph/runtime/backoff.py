"""How long to wait before trying again: exponential backoff with jitter, and beat intervals.

Jitter spreads a fleet of agents that lost the same server over time, so they do not all come
back in the same instant (and knock it over again).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Backoff:
    """Delays of ``initial * multiplier**attempt`` seconds, capped at ``maximum``, each moved by
    up to ``jitter`` (a fraction) either way."""

    initial: float = 0.5
    maximum: float = 30.0
    multiplier: float = 2.0
    jitter: float = 0.2
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.initial <= 0 or self.maximum < self.initial:
            raise ValueError("backoff needs 0 < initial <= maximum")
        if self.multiplier < 1 or not 0 <= self.jitter < 1:
            raise ValueError("backoff needs multiplier >= 1 and 0 <= jitter < 1")

    def delay(self, attempt: int) -> float:
        """The wait before retry number ``attempt`` (0 for the first retry)."""
        base = min(self.maximum, self.initial * self.multiplier ** min(attempt, 64))
        return jittered(base, self.jitter, self.rng)


def jittered(seconds: float, jitter: float, rng: random.Random) -> float:
    """``seconds`` moved by up to ``jitter`` (a fraction of it) either way."""
    if jitter <= 0:
        return seconds
    return seconds * (1 + rng.uniform(-jitter, jitter))
