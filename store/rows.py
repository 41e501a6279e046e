"""Between rows and records: the one place that reads a row's columns as the fields of a
``domain/records`` record (by name; enum fields get their enum), and that turns the values a use
case writes into SQL values (``domain.clock.NOW`` is the database's ``now()``).

A query whose columns are named otherwise labels them; a column rename changes ``store/`` alone.
"""

from __future__ import annotations

import dataclasses
import functools
import typing
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from enum import Enum
from typing import Any, TypeVar

from sqlalchemy import Executable, Row, func
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.clock import NOW

R = TypeVar("R")
T = TypeVar("T")
K = TypeVar("K", bound=Hashable)

_Convert = Callable[[Any], Any] | None


@functools.cache
def _fields(record_type: type) -> tuple[tuple[str, _Convert], ...]:
    """Each field's name and, for an enum field (optional or not), its enum."""
    hints = typing.get_type_hints(record_type)
    return tuple(
        (field.name, _enum_in(hints[field.name])) for field in dataclasses.fields(record_type)
    )


def _enum_in(hint: Any) -> _Convert:
    for candidate in (hint, *typing.get_args(hint)):
        if isinstance(candidate, type) and issubclass(candidate, Enum):
            return candidate
    return None


def to_record(record_type: type[R], row: Row[Any]) -> R:
    """The record of ``record_type`` with the row's columns of the same names (others ignored)."""
    values = row._mapping
    return record_type(
        *[
            values[name] if enum is None or values[name] is None else enum(values[name])
            for name, enum in _fields(record_type)
        ]
    )


async def fetch_all(
    conn: AsyncConnection,
    record_type: type[R],
    statement: Executable,
    parameters: Sequence[Mapping[str, Any]] | Mapping[str, Any] | None = None,
) -> list[R]:
    """Every row of ``statement`` as a record, in order."""
    result = await conn.execute(statement, parameters)
    return [to_record(record_type, row) for row in result]


async def fetch_first(
    conn: AsyncConnection, record_type: type[R], statement: Executable
) -> R | None:
    """The first row of ``statement`` as a record; None when there is none."""
    row = (await conn.execute(statement)).first()
    return None if row is None else to_record(record_type, row)


async def fetch_one(conn: AsyncConnection, record_type: type[R], statement: Executable) -> R:
    """The one row ``statement`` returns (an INSERT or UPDATE … RETURNING of a known row)."""
    return to_record(record_type, (await conn.execute(statement)).one())


def per_parent(items: Iterable[T], parent_ids: Sequence[K], parent: str) -> dict[K, list[T]]:
    """``items`` grouped by their ``parent`` attribute, in their order, with an empty list for
    every parent id that has none (a batched read answers for every id it was asked)."""
    grouped: dict[K, list[T]] = {parent_id: [] for parent_id in parent_ids}
    for item in items:
        key: Any = getattr(item, parent)
        grouped[key].append(item)
    return grouped


async def fetch_per_parent(
    conn: AsyncConnection,
    record_type: type[R],
    statement: Executable,
    parent_ids: Sequence[K],
    parent: str,
) -> dict[K, list[R]]:
    """The rows of ``statement`` as records, grouped by their ``parent`` column (``per_parent``)."""
    grouped = per_parent(await conn.execute(statement), parent_ids, parent)
    return {key: [to_record(record_type, row) for row in rows] for key, rows in grouped.items()}


def written(values: Mapping[str, Any]) -> dict[str, Any]:
    """Column values for an INSERT or UPDATE, with ``NOW`` as the database's ``now()``."""
    return {column: func.now() if value is NOW else value for column, value in values.items()}
