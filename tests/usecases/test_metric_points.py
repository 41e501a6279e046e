"""The checks record_metrics makes before any SQL: each refusal names its point and field with
the same words as before the points went to the store as they are, and what is stored is the
point normalized (name stripped, value a float, recorded_at in UTC)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from domain.access import Viewer
from domain.errors import ValidationFailed
from domain.metrics import MetricType
from usecases import telemetry
from usecases.telemetry import MetricPoint

OK = MetricPoint("ok", 1.0)


@pytest.mark.parametrize(
    ("points", "refusal"),
    [
        ([OK, MetricPoint("  ", 1.0)], "metrics[1].name: must not be empty"),
        ([MetricPoint("n" * 201, 1.0)], "metrics[0].name: must be at most 200 characters"),
        ([OK, OK, MetricPoint("a\x01", 1.0)], "metrics[2].name: must not contain control characters"),
        ([OK, MetricPoint("x", float("nan"))], "metrics[1].value: must be a finite number (not NaN or Infinity)"),
        ([MetricPoint("x", 1.0, tags=[1])], "metrics[0].tags: must be a JSON object"),
        ([MetricPoint("x", 1.0, tags={"k": "\x00"})], "metrics[0].tags: must not contain NUL characters"),
        ([OK] * 1001, "metrics: at most 1000 points per call (got 1001)"),
    ],
)  # fmt: skip
async def test_a_refused_point_is_named_with_its_field(
    points: list[MetricPoint], refusal: str
) -> None:
    database: Any = None  # refused before any SQL
    viewer = Viewer(user_id=uuid.uuid4())
    with pytest.raises(ValidationFailed) as refused:
        await telemetry.record_metrics(database, viewer, uuid.uuid4(), points)
    assert str(refused.value) == refusal


def test_points_are_stored_normalized_and_plain_ones_as_they_are() -> None:
    at = datetime(2026, 3, 1, 10, 0, tzinfo=timezone(timedelta(hours=5, minutes=30, seconds=15)))
    plain = MetricPoint(
        "x", 1.5, MetricType.COUNTER, "ms", {"k": 1}, datetime(2026, 1, 1, tzinfo=UTC)
    )
    given = [
        plain,
        MetricPoint(" y ", 2, recorded_at=at),
        MetricPoint("z", 3.0, recorded_at=datetime(2026, 1, 1)),
    ]
    checked = telemetry._checked_points(given)
    assert checked[0] is plain
    assert checked[1] == MetricPoint(
        "y", 2.0, recorded_at=datetime(2026, 3, 1, 4, 29, 45, tzinfo=UTC)
    )
    assert type(checked[1].value) is float and checked[1].recorded_at.tzinfo is UTC  # type: ignore[union-attr]
    assert checked[2].recorded_at == datetime(2026, 1, 1, tzinfo=UTC)
    assert checked[2].recorded_at.tzinfo is UTC  # type: ignore[union-attr]
