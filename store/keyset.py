"""Keyset (cursor) pagination over any ordering that ends in a unique tie-breaker.

A page is "the ``limit`` rows after/before a key" in the ordering's direction, fetched as
``limit + 1`` rows so the caller learns whether more exist without counting.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, cast, func, select, true, tuple_
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from store.rows import per_parent, to_record

R = TypeVar("R")


def cursor_instant(value: Any) -> datetime:
    """A timestamp a cursor carries: ISO 8601 with an offset, in UTC within years 1 to 9999
    (what our cursors hold). Anything else is ValueError: a cursor that is not ours, never a
    timestamp the driver cannot send."""
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("a timestamp without an offset")
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        raise ValueError("a timestamp out of range") from None


@dataclass(frozen=True)
class Keyset:
    """Which slice of an ordering to fetch.

    ``after``/``before`` are key tuples (the ordering's values, tie-breaker last). ``backward``
    means "the last ``limit`` rows before ``before``" (Relay's ``last``/``before``).
    """

    limit: int
    after: tuple[Any, ...] | None = None
    before: tuple[Any, ...] | None = None
    backward: bool = False


@dataclass(frozen=True, slots=True)
class Page(Generic[R]):
    """One page of records, in the client's order, and whether more follow in the scan."""

    items: list[R]
    has_more: bool


def apply_keyset(
    query: Select[Any], keys: Sequence[ColumnElement[Any]], keyset: Keyset, *, descending: bool
) -> Select[Any]:
    """Add the keyset's bounds, order and limit to ``query``.

    ``keys`` are the ordering's expressions, unique tie-breaker last; ``descending`` is the
    ordering the client asked for (the scan runs the other way for a backward page).
    """
    key = tuple_(*keys)
    if keyset.after is not None:
        query = query.where(
            key < tuple_(*keyset.after) if descending else key > tuple_(*keyset.after)
        )
    if keyset.before is not None:
        query = query.where(
            key > tuple_(*keyset.before) if descending else key < tuple_(*keyset.before)
        )
    scan_descending = descending != keyset.backward
    order = [k.desc() if scan_descending else k.asc() for k in keys]
    return query.order_by(*order).limit(keyset.limit + 1)


def finish_page(items: Sequence[R], keyset: Keyset) -> Page[R]:
    """Trim the probe row and restore the client's order for backward pages."""
    has_more = len(items) > keyset.limit
    page = list(items[: keyset.limit])
    if keyset.backward:
        page.reverse()
    return Page(items=page, has_more=has_more)


async def pages_per_parent(
    conn: AsyncConnection,
    record_type: type[R],
    query: Select[Any],
    parent_column: ColumnElement[Any],
    parent_ids: Sequence[Any],
    keys: Sequence[ColumnElement[Any]],
    keyset: Keyset,
    *,
    descending: bool,
) -> dict[Any, Page[R]]:
    """One page of ``record_type`` per parent id in ONE statement: ``query`` run LATERAL for
    each parent.

    ``query`` selects the child rows (it must include ``parent_column``); this adds
    ``parent_column = <each parent id>``, the keyset bounds, order and limit.
    """
    parents = (
        func.unnest(cast(list(parent_ids), ARRAY(parent_column.type)))
        .table_valued("parent_id")
        .render_derived(name="parents")
    )
    inner = query.where(parent_column == parents.c.parent_id)
    page = apply_keyset(inner, keys, keyset, descending=descending).lateral("page")
    statement = select(page).select_from(parents.join(page, true()))
    grouped = per_parent(await conn.execute(statement), parent_ids, str(parent_column.key))
    return {
        pid: finish_page([to_record(record_type, row) for row in rows], keyset)
        for pid, rows in grouped.items()
    }


async def counts_per_parent(
    conn: AsyncConnection,
    query: Select[Any],
    parent_column: ColumnElement[Any],
    parent_ids: Sequence[Any],
) -> dict[Any, int]:
    """COUNT(*) of ``query``'s rows per parent id, in one statement."""
    statement = (
        query.with_only_columns(parent_column, func.count())
        .where(parent_column.in_(parent_ids))
        .group_by(parent_column)
        .order_by(None)
    )
    counts = {row[0]: int(row[1]) for row in await conn.execute(statement)}
    return {pid: counts.get(pid, 0) for pid in parent_ids}
