"""The store's units of work report a database that went away as Unavailable (a domain error the
surface maps once), and let every other error of a query through as it is."""

from __future__ import annotations

import socket

import pytest
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError

from domain.errors import Unavailable
from store.database import Database


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # nobody listens once the probe is closed


@pytest.fixture
async def unreachable() -> Database:
    return Database(f"postgresql+asyncpg://nobody@127.0.0.1:{_closed_port()}/none", pool_size=1)


async def test_a_read_of_an_unreachable_database_is_unavailable(unreachable: Database) -> None:
    with pytest.raises(Unavailable) as raised:
        async with unreachable.read() as conn:
            await conn.execute(text("SELECT 1"))
    assert isinstance(raised.value.__cause__, OSError)
    await unreachable.dispose()


async def test_a_transaction_on_an_unreachable_database_is_unavailable(
    unreachable: Database,
) -> None:
    with pytest.raises(Unavailable):
        async with unreachable.transaction() as conn:
            await conn.execute(text("SELECT 1"))
    await unreachable.dispose()


async def test_a_retried_read_gives_up_as_unavailable(unreachable: Database) -> None:
    async def select_one(conn: object) -> None:
        raise AssertionError("never connected, never run")

    with pytest.raises(Unavailable):
        await unreachable.read_retrying(select_one, patience_s=0.2)
    await unreachable.dispose()


async def test_an_error_of_the_query_itself_passes_through(database_url: str) -> None:
    database = Database(database_url, pool_size=1)
    try:
        with pytest.raises(ProgrammingError):
            async with database.read() as conn:
                await conn.execute(text("SELECT * FROM no_such_table"))
        with pytest.raises(ProgrammingError):
            await database.read_retrying(lambda conn: conn.execute(text("SELEC 1")))
    finally:
        await database.dispose()
