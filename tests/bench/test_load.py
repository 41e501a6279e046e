"""How long the bench measures and what it makes of the latencies (pure)."""

from __future__ import annotations

import pytest

from bench.load import Duration, LoadResult, Measurement

FULL = Duration(3, 10, 3, min_requests=50, max_seconds=30, latency_multiple=8, warmup_responses=2)


def test_a_fast_scenario_runs_the_planned_seconds_in_rounds() -> None:
    warmup = LoadResult([2.0] * 3000, 3.0)  # 1,000 req/s, 2 ms each
    assert FULL.round_s(warmup) == pytest.approx(10 / 3)


def test_a_slow_scenario_runs_longer_to_complete_enough_requests() -> None:
    warmup = LoadResult([200.0] * 15, 3.0)  # 5 req/s: 50 requests take 10 s
    assert FULL.round_s(warmup) == pytest.approx(10 / 3)
    warmup = LoadResult([400.0] * 6, 3.0)  # 2 req/s: 25 s for 50
    assert FULL.round_s(warmup) == pytest.approx(25 / 3)
    warmup = LoadResult([900.0] * 3, 3.0)  # 1 req/s: capped at 30 s
    assert FULL.round_s(warmup) == pytest.approx(30 / 3)


def test_each_round_lasts_many_response_times() -> None:
    # 8 clients, 2 s each: 4 req/s would allow 10 s, but a round must hold 8 response times.
    warmup = LoadResult([2000.0] * 16, 4.0)
    assert FULL.round_s(warmup) == pytest.approx(16.0)
    nothing_back = LoadResult([], 15.0, errors=8)
    assert FULL.round_s(nothing_back) == pytest.approx(10.0)


def test_req_per_s_is_the_median_round_and_percentiles_pool_every_latency() -> None:
    rounds = [
        LoadResult([1.0] * 10, 1.0),  # 10 req/s
        LoadResult([3.0] * 30, 1.0),  # 30 req/s
        LoadResult([2.0] * 20, 2.0),  # 10 req/s
    ]
    measurement = Measurement(rounds)
    assert measurement.requests_per_s == 10.0
    assert measurement.requests == 60
    assert measurement.percentile(0.5) == 2.0  # 10 x 1 ms, 20 x 2 ms, 30 x 3 ms: 30th is 2 ms
    assert measurement.percentile(0.99) == 3.0
    assert Measurement([LoadResult([], 1.0)]).percentile(0.5) == 0.0
