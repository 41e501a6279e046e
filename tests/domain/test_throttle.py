"""Sign-in throttling, the rule (pure): free attempts, then doubling waits; forgotten later."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import RateLimited
from domain.throttle import KeyCount, ThrottleRule, refusal

RULE = ThrottleRule(free=3, base_delay_s=5.0, max_delay_s=60.0, forget_after_s=600.0)
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _after(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_delays_start_after_the_free_attempts_and_double_up_to_the_cap() -> None:
    assert [RULE.delay_after(n) for n in range(1, 9)] == [0, 0, 5, 10, 20, 40, 60, 60]
    assert RULE.delay_after(10**9) == 60  # no overflow


def test_an_attempt_while_its_key_waits_is_refused_with_when_to_retry() -> None:
    count = KeyCount()
    for _ in range(3):
        assert refusal({"k": count}, {"k": RULE}, T0, "attempts") is None
        count = count.counted(RULE, T0)
    refused = refusal({"k": count}, {"k": RULE}, _after(1), "attempts")
    assert isinstance(refused, RateLimited)
    assert refused.retry_after_s == pytest.approx(4.0)
    assert refusal({"k": count}, {"k": RULE}, _after(5), "attempts") is None
    count = count.counted(RULE, _after(5))  # the fourth: the next waits twice as long
    assert count.wait_s(_after(5)) == pytest.approx(10.0)


def test_the_longest_wait_of_an_attempts_keys_decides() -> None:
    free = KeyCount()
    waiting = KeyCount(3, T0, _after(30))
    refused = refusal({"a": free, "b": waiting}, {"a": RULE, "b": RULE}, T0, "attempts")
    assert refused is not None and refused.retry_after_s == pytest.approx(30.0)


def test_a_count_is_forgotten_after_its_last_attempt_and_wait() -> None:
    count = KeyCount(7, T0, _after(60))
    assert count.current(RULE, _after(600)).attempts == 7  # the wait ended 540 s ago
    assert count.current(RULE, _after(660)) == KeyCount()
    assert count.counted(RULE, _after(660)).attempts == 1


def test_uncounting_keeps_the_wait() -> None:
    count = KeyCount(4, T0, _after(10))
    assert count.uncounted() == KeyCount(3, T0, _after(10))
    assert KeyCount().uncounted().attempts == 0
