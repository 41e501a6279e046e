"""The SDK's pure pieces: errors mapped from extensions.code, backoff, endpoints, plan steps,
and the example's plans per maintenance type (seeds/003)."""

from __future__ import annotations

import random

import pytest

from agentgraph.runtime import (
    Conflict,
    InvalidTransition,
    PlanStep,
    RateLimited,
    ServerError,
    Unauthenticated,
    ValidationError,
)
from agentgraph.runtime.backoff import Backoff
from agentgraph.runtime.client import endpoints
from agentgraph.runtime.errors import (
    ProtocolError,
    error_from_close,
    error_from_graphql,
    first_error,
)
from examples.maintenance_plan import plan, resolve
from examples.maintenance_tools import row_counts


def test_errors_are_typed_by_their_code_with_their_details() -> None:
    invalid = error_from_graphql(
        {
            "message": "Cannot start execution an agent that is PAUSED.",
            "extensions": {
                "code": "INVALID_TRANSITION",
                "currentStatus": "PAUSED",
                "allowedMoves": ["resume", "terminate"],
            },
        }
    )
    assert isinstance(invalid, InvalidTransition)
    assert (invalid.current_status, invalid.allowed_moves) == ("PAUSED", ["resume", "terminate"])
    bad = error_from_graphql(
        {"message": "x", "extensions": {"code": "VALIDATION_ERROR", "field": "input.index"}}
    )
    assert isinstance(bad, ValidationError) and bad.field == "input.index"
    slow = error_from_graphql(
        {
            "message": "x",
            "extensions": {"code": "RATE_LIMITED", "retryAfterSeconds": 2.5, "cursor": "41"},
        }
    )
    assert isinstance(slow, RateLimited) and (slow.retry_after, slow.cursor) == (2.5, "41")
    assert slow.transient
    assert isinstance(
        error_from_graphql({"message": "x", "extensions": {"code": "CONFLICT"}}), Conflict
    )
    # No code, or one this SDK does not know: the server failed.
    assert isinstance(error_from_graphql({"message": "boom"}), ServerError)
    refused = first_error(
        [
            {"message": "a", "extensions": {"code": "NOT_FOUND"}},
            {"message": "b", "extensions": {"code": "UNAUTHENTICATED"}},
        ]
    )
    assert isinstance(refused, Unauthenticated) and not refused.transient


def test_close_codes() -> None:
    assert isinstance(error_from_close(4403, "Forbidden"), Unauthenticated)
    assert isinstance(error_from_close(4400, "bad"), ProtocolError)
    for code in (None, 1000, 1001, 1006, 1011, 1012):
        assert error_from_close(code, "") is None  # reconnecting may help


def test_backoff_grows_to_its_cap_with_bounded_jitter() -> None:
    backoff = Backoff(initial=0.5, maximum=8, jitter=0.2, rng=random.Random(7))
    delays = [backoff.delay(attempt) for attempt in range(8)]
    for attempt, delay in enumerate(delays):
        base = min(8, 0.5 * 2**attempt)
        assert base * 0.8 <= delay <= base * 1.2
    assert Backoff(jitter=0).delay(100) == 30.0
    with pytest.raises(ValueError):
        Backoff(initial=0)


def test_endpoints() -> None:
    assert endpoints("http://127.0.0.1:8000") == (
        "http://127.0.0.1:8000/graphql",
        "ws://127.0.0.1:8000/graphql",
    )
    assert endpoints("https://ag.example.com/graphql") == (
        "https://ag.example.com/graphql",
        "wss://ag.example.com/graphql",
    )
    assert endpoints("ws://h:1/graphql")[0] == "http://h:1/graphql"
    with pytest.raises(ValueError):
        endpoints("ftp://h")


def test_plan_steps_check_their_risk() -> None:
    step = PlanStep("optimize_table", {"table": "orders"}, "why", risk="medium")
    assert step.as_input() == {
        "tool": "optimize_table",
        "params": {"table": "orders"},
        "riskLevel": "MEDIUM",
        "rationale": "why",
    }
    with pytest.raises(ValueError):
        PlanStep("x", risk="spicy").as_input()


def _tools(steps: list[PlanStep]) -> list[tuple[str, str]]:
    return [(step.tool, step.risk) for step in steps]


def test_the_maintenance_plans_of_the_seed() -> None:
    sizes = row_counts()
    assert _tools(plan("quick", "db", ["users"], row_counts=sizes)) == [
        ("analyze_database_health", "safe"),
        ("update_table_statistics", "low"),
        ("generate_maintenance_report", "safe"),
    ]
    assert _tools(plan("standard", "db", ["users"], row_counts=sizes)) == [
        ("analyze_database_health", "safe"),
        ("analyze_table_fragmentation", "safe"),
        ("update_table_statistics", "low"),
        ("generate_maintenance_report", "safe"),
    ]
    # Full: index rebuilds and optimization are medium, high on a large table (>1M rows).
    full = plan("full", "db", ["users", "orders"], row_counts=sizes)
    assert _tools(full)[1:5] == [
        ("analyze_table_fragmentation", "safe"),
        ("rebuild_fragmented_indexes", "medium"),
        ("optimize_table", "medium"),
        ("update_table_statistics", "low"),
    ]
    assert [r for _, r in _tools(full)[5:9]] == ["safe", "high", "high", "low"]
    assert full[0].params["check_corruption"] is True
    without = plan("full", "db", ["users"], row_counts=sizes, rebuild_indexes=False)
    assert "rebuild_fragmented_indexes" not in [s.tool for s in without]
    emergency = plan("emergency", "db", ["audit_log"], row_counts=sizes)
    assert _tools(emergency) == [
        ("analyze_database_health", "safe"),
        ("check_table_corruption", "safe"),
        ("repair_corrupted_tables", "high"),
        ("generate_maintenance_report", "safe"),
    ]
    assert resolve(emergency[2].params, {1: {"corrupted_tables": ["audit_log"]}})["tables"] == [
        "audit_log"
    ]
    with pytest.raises(ValueError):
        plan("weekly", "db", [], row_counts=sizes)
