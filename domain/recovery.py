"""How a failed execution should be recovered, judged from its error message (SPEC §4)."""

from __future__ import annotations

from enum import StrEnum


class RecoveryStrategy(StrEnum):
    """What to do about a failed execution. Values are what the database stores."""

    RETRY_WITH_INCREASED_TIMEOUT = "retry_with_increased_timeout"
    WAIT_AND_RETRY = "wait_and_retry"
    RETRY_WITH_BACKOFF = "retry_with_backoff"
    MANUAL_INTERVENTION = "manual_intervention"


# Checked top to bottom and the first match wins, so "connection timeout" is a timeout
# (seeds/004 tests them in this order). "timed out" is how many libraries word a timeout.
_RULES: tuple[tuple[tuple[str, ...], RecoveryStrategy], ...] = (
    (("timeout", "timed out"), RecoveryStrategy.RETRY_WITH_INCREASED_TIMEOUT),
    (("resource", "memory"), RecoveryStrategy.WAIT_AND_RETRY),
    (("network", "connection"), RecoveryStrategy.RETRY_WITH_BACKOFF),
)


def classify_error(message: str) -> RecoveryStrategy:
    """The recovery strategy for an error message (case-insensitive keyword match)."""
    lowered = message.lower()
    for keywords, strategy in _RULES:
        if any(keyword in lowered for keyword in keywords):
            return strategy
    return RecoveryStrategy.MANUAL_INTERVENTION
