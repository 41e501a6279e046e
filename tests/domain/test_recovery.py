"""Recovery strategy classification of SPEC §4 (seeds/004)."""

from __future__ import annotations

import pytest

from domain.recovery import RecoveryStrategy, classify_error

RETRY_LONGER = RecoveryStrategy.RETRY_WITH_INCREASED_TIMEOUT
WAIT = RecoveryStrategy.WAIT_AND_RETRY
BACKOFF = RecoveryStrategy.RETRY_WITH_BACKOFF
MANUAL = RecoveryStrategy.MANUAL_INTERVENTION


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("Request timeout after 30s", RETRY_LONGER),
        ("TIMEOUT", RETRY_LONGER),
        ("asyncio.TimeoutError", RETRY_LONGER),
        ("read timed out", RETRY_LONGER),
        ("Resource exhausted: too many open files", WAIT),
        ("Out of memory", WAIT),
        ("MemoryError", WAIT),
        ("Network is unreachable", BACKOFF),
        ("Connection refused", BACKOFF),
        ("ConnectionResetError: peer closed", BACKOFF),
        ("KeyError: 'rows'", MANUAL),
        ("permission denied for table users", MANUAL),
        ("", MANUAL),
    ],
)
def test_classify_error(message: str, expected: RecoveryStrategy) -> None:
    assert classify_error(message) is expected


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("connection timeout", RETRY_LONGER),  # timeout is checked first
        ("network timeout while allocating memory", RETRY_LONGER),
        ("memory pressure dropped the connection", WAIT),  # resource/memory before network
        ("resource busy, network degraded", WAIT),
    ],
)
def test_first_matching_rule_wins(message: str, expected: RecoveryStrategy) -> None:
    assert classify_error(message) is expected


def test_strategy_values_are_the_lowercase_names() -> None:
    assert all(strategy.value == strategy.name.lower() for strategy in RecoveryStrategy)
