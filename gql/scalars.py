"""Custom scalars: DateTime (ISO 8601, always with an offset) and JSON (any JSON value)."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any, NewType

import strawberry

from domain.errors import ValidationFailed


def serialize_datetime(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.isoformat()


def parse_datetime(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValidationFailed("DateTime", "expected an ISO 8601 string")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise ValidationFailed("DateTime", f"'{value}' is not an ISO 8601 date-time") from error
    # A date-time without an offset is taken as UTC rather than the server's local time.
    parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00:00+14:00 is before year 1 in UTC
        raise ValidationFailed("DateTime", f"'{value}' is out of range") from None


def _parse_json(value: Any) -> Any:
    """Any JSON value; a number written past a double's range (1e400, a literal in the
    document: variables cannot hold one) has no JSON spelling, so it is refused."""
    pending = [value]
    while pending:
        node = pending.pop()
        if isinstance(node, float) and not math.isfinite(node):
            raise ValidationFailed("JSON", "numbers must be finite")
        if isinstance(node, dict):
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return value


# Annotations use these names; the schema maps them to scalars through SCALARS (scalar_map).
DateTime = datetime
JSON = NewType("JSON", object)

SCALARS: dict[object, Any] = {
    datetime: strawberry.scalar(
        name="DateTime",
        description="An ISO 8601 date-time with offset, e.g. 2026-11-22T10:15:00+00:00.",
        serialize=serialize_datetime,
        parse_value=parse_datetime,
    ),
    JSON: strawberry.scalar(
        name="JSON",
        description="Any JSON value (object, array, string, number, boolean or null).",
        serialize=lambda value: value,
        parse_value=_parse_json,
    ),
}
