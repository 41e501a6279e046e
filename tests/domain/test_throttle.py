"""Login throttling (pure): failures per email and per address in a sliding window."""

from __future__ import annotations

import pytest

from domain.errors import RateLimited
from domain.throttle import LoginThrottle


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _throttle(clock: _Clock, **kwargs: object) -> LoginThrottle:
    return LoginThrottle(3, 60.0, clock=clock, **kwargs)  # type: ignore[arg-type]


def test_failures_per_email_are_limited_within_the_window() -> None:
    clock = _Clock()
    throttle = _throttle(clock)
    delays = [throttle.begin("A@example.com", "1.1.1.1").delay_s for _ in range(3)]
    assert delays == pytest.approx([0.0, 0.1, 0.2])  # slower with every failure
    clock.now += 10
    with pytest.raises(RateLimited) as caught:
        throttle.begin("a@EXAMPLE.com", "2.2.2.2")  # same email, any case, any address
    assert caught.value.retry_after_s == pytest.approx(50.0)
    assert caught.value.extensions() == {"retryAfterSeconds": 50.0}
    throttle.begin("b@example.com", "1.1.1.1")  # other emails are not affected
    clock.now += 51  # the oldest failures leave the window
    throttle.begin("a@example.com", "3.3.3.3")


def test_refusals_do_not_extend_the_lockout() -> None:
    clock = _Clock()
    throttle = _throttle(clock)
    for _ in range(3):
        throttle.begin("a@example.com", "1.1.1.1")
    for _ in range(10):
        with pytest.raises(RateLimited):
            throttle.begin("a@example.com", "1.1.1.1")
    clock.now += 60
    throttle.begin("a@example.com", "1.1.1.1")


def test_success_forgets_the_emails_failures() -> None:
    throttle = _throttle(_Clock())
    throttle.begin("a@example.com", "1.1.1.1")
    throttle.begin("a@example.com", "1.1.1.1")
    throttle.succeeded(throttle.begin("a@example.com", "1.1.1.1"))
    for _ in range(3):
        throttle.begin("a@example.com", "1.1.1.1")
    with pytest.raises(RateLimited):
        throttle.begin("a@example.com", "1.1.1.1")


def test_attempts_are_counted_before_their_outcome_is_known() -> None:
    # Concurrent attempts (or aliases in one document) each count, even before any finishes.
    throttle = _throttle(_Clock())
    pending = [throttle.begin("a@example.com", "1.1.1.1") for _ in range(3)]
    with pytest.raises(RateLimited):
        throttle.begin("a@example.com", "1.1.1.1")
    assert len(pending) == 3


def test_an_address_spraying_many_emails_is_limited() -> None:
    throttle = _throttle(_Clock(), address_max_failures=5)
    for i in range(5):
        attempt = throttle.begin(f"user{i}@example.com", "6.6.6.6")
        assert attempt.delay_s == 0.0
    with pytest.raises(RateLimited):
        throttle.begin("fresh@example.com", "6.6.6.6")
    throttle.begin("fresh@example.com", "7.7.7.7")


def test_default_address_limit_is_a_multiple_of_the_email_limit() -> None:
    assert LoginThrottle(5, 300).address_max_failures == 20
