"""The store's units of work report a database that went away as Unavailable (a domain error the
surface maps once), and let every other error of a query through as it is."""

from __future__ import annotations

import socket

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError

from domain.errors import LockWaitTimedOut, Timeout, Unavailable
from store.database import Database, StatementFailed, is_transient
from tests.conftest import _asyncpg_dsn


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


# write_statement: one statement on the driver of a connection of the engine's own pool.


async def test_a_write_statement_uses_the_engines_own_pool(database_url: str) -> None:
    database = Database(database_url, pool_size=1, max_overflow=0)
    told: list[str] = []
    database.statement_listeners.append(told.append)
    try:
        [[first]] = await database.write_statement("SELECT pg_backend_pid()", [])
        async with database.read() as conn:
            through_sqlalchemy = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar()
        [[again]] = await database.write_statement("SELECT pg_backend_pid()", [])
        row = await database.fetch_row("SELECT pg_backend_pid()", [])
        # A pool of one: every way in shares its only connection, none opens another.
        assert first == through_sqlalchemy == again == (row and row[0])
        assert database.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
        assert told == ["SELECT pg_backend_pid()"] * 3
    finally:
        await database.dispose()


async def test_a_write_statement_keeps_the_sessions_settings(database_url: str) -> None:
    database = Database(database_url, pool_size=1, statement_timeout_ms=1234, lock_timeout_ms=567)
    try:
        [[statement_timeout, lock_timeout]] = await database.write_statement(
            "SELECT current_setting('statement_timeout'), current_setting('lock_timeout')", []
        )
        assert (statement_timeout, lock_timeout) == ("1234ms", "567ms")
        # A setting local to the statement's transaction (the heartbeat's synchronous_commit
        # off) ends with it: the next statement on the same connection commits synchronously.
        await database.write_statement("SELECT set_config('synchronous_commit', 'off', true)", [])
        [[after]] = await database.write_statement("SHOW synchronous_commit", [])
        assert after == "on"
    finally:
        await database.dispose()


async def test_a_write_statement_past_its_timeouts_is_timeout_or_lock_wait(
    database_url: str,
) -> None:
    database = Database(database_url, pool_size=1, statement_timeout_ms=200, lock_timeout_ms=100)
    holder = await asyncpg.connect(_asyncpg_dsn(database_url))
    try:
        with pytest.raises(Timeout):
            await database.write_statement("SELECT pg_sleep(5)", [])
        await holder.execute("CREATE TABLE IF NOT EXISTS test_write_locks (id int)")
        await holder.execute("BEGIN")
        await holder.execute("LOCK TABLE test_write_locks IN ACCESS EXCLUSIVE MODE")
        with pytest.raises(LockWaitTimedOut):
            await database.write_statement("INSERT INTO test_write_locks VALUES (1)", [])
        await holder.execute("ROLLBACK")
        # The connection that timed out is fine: the same pool's only one answers again.
        assert await database.write_statement("SELECT 1", []) == [(1,)]
    finally:
        await holder.execute("DROP TABLE IF EXISTS test_write_locks")
        await holder.close()
        await database.dispose()


async def test_a_write_statement_of_an_unreachable_database_is_unavailable(
    unreachable: Database,
) -> None:
    with pytest.raises(Unavailable) as raised:
        await unreachable.write_statement("SELECT 1", [])
    assert isinstance(raised.value.__cause__, OSError)
    await unreachable.dispose()


async def test_a_write_statement_on_a_connection_that_died_is_unavailable_then_works(
    database_url: str,
) -> None:
    database = Database(database_url, pool_size=1, max_overflow=0)
    admin = await asyncpg.connect(_asyncpg_dsn(database_url))
    try:
        [[pid]] = await database.write_statement("SELECT pg_backend_pid()", [])
        await admin.execute("SELECT pg_terminate_backend($1)", pid)
        with pytest.raises(Unavailable):
            await database.write_statement("SELECT pg_backend_pid()", [])
        # The dead one was discarded, not handed out again.
        [[other]] = await database.write_statement("SELECT pg_backend_pid()", [])
        assert other != pid
    finally:
        await admin.close()
        await database.dispose()


async def test_an_error_of_a_write_statement_itself_passes_through(database_url: str) -> None:
    database = Database(database_url, pool_size=1)
    try:
        with pytest.raises(asyncpg.UndefinedTableError):
            await database.write_statement("UPDATE no_such_table SET x = 1", [])
        with pytest.raises(StatementFailed):
            await database.fetch_row("SELEC 1", [])
        assert await database.write_statement("SELECT $1::int + 1", [41]) == [(42,)]
    finally:
        await database.dispose()


def _as_the_pool_raises_it(error: Exception) -> BaseException:
    """``error`` as ``engine.raw_connection()`` raises it when a connection cannot be opened:
    SQLAlchemy's adapted DBAPI error, not wrapped in a ``DBAPIError``, the driver's as cause."""
    from sqlalchemy.dialects.postgresql.asyncpg import (
        AsyncAdapt_asyncpg_connection,
        AsyncAdapt_asyncpg_dbapi,
    )

    try:
        AsyncAdapt_asyncpg_connection._handle_exception_no_connection(
            AsyncAdapt_asyncpg_dbapi(asyncpg), error
        )
    except Exception as translated:
        return translated
    raise AssertionError("SQLAlchemy raised nothing")


def test_a_connection_refused_while_the_database_starts_up_is_retried() -> None:
    # The full suite once met it: a read arriving while PostgreSQL was starting got a 500.
    starting = _as_the_pool_raises_it(
        asyncpg.CannotConnectNowError("the database system is starting up")
    )
    assert is_transient(starting)
    wrong_password = _as_the_pool_raises_it(asyncpg.InvalidPasswordError("bad password"))
    assert not is_transient(wrong_password)
