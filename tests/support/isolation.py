"""Empties every table between tests, so each database test starts from an empty schema."""

from __future__ import annotations

import asyncpg

from store.models import Base

_TABLES = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
# Sequences keep counting: the server's event hub remembers the last cursor it delivered, and a
# real database never hands out a cursor twice.
TRUNCATE_ALL = f"TRUNCATE {_TABLES} CASCADE"


async def empty_all_tables(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(TRUNCATE_ALL)
    finally:
        await conn.close()
