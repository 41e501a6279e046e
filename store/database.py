"""The one way code reaches PostgreSQL: an engine plus read and write units of work."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy.exc import DBAPIError, InterfaceError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

T = TypeVar("T")


def _json_default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps(value: Any) -> str:
    """JSON text for JSONB columns and NOTIFY payloads (compact; datetimes ISO 8601, UUIDs text)."""
    return json.dumps(value, separators=(",", ":"), default=_json_default)


# Connection-level failures (a restart, a failover), as opposed to errors of the query itself.
_TRANSIENT_SQLSTATES = {"57P01", "57P02", "57P03"}


def is_transient(error: BaseException) -> bool:
    """True when ``error`` means "the database went away", so a read may simply be retried."""
    if isinstance(error, OSError | InterfaceError):
        return True
    if isinstance(error, DBAPIError):
        if error.connection_invalidated:
            return True
        state = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
        return state in _TRANSIENT_SQLSTATES or (isinstance(state, str) and state.startswith("08"))
    return False


class Database:
    """An async engine with the two units of work the application uses.

    ``transaction()`` is one write transaction (commit on success, rollback on any error);
    ``read()`` is an autocommitting connection for queries.
    """

    def __init__(
        self,
        url: str,
        *,
        statement_timeout_ms: int = 10_000,
        pool_size: int = 10,
        max_overflow: int = 20,
        application_name: str = "agentgraph",
    ) -> None:
        self.url = url
        self.engine: AsyncEngine = create_async_engine(
            url,
            pool_size=pool_size,
            max_overflow=max_overflow,
            # No ping per checkout: it is a round trip on every request. A database restart
            # leaves pooled connections dead; the first one to fail makes SQLAlchemy invalidate
            # the whole pool (a disconnect error), and reads are retried (read_retrying).
            pool_pre_ping=False,
            # Error messages must not carry bound values (sensitive config values, tokens' hashes).
            hide_parameters=True,
            json_serializer=dumps,
            connect_args={
                "server_settings": {
                    "statement_timeout": str(statement_timeout_ms),
                    "application_name": application_name,
                    "timezone": "UTC",
                }
            },
        )
        # Reads run without BEGIN/ROLLBACK round trips; they share the pool with writes.
        self._autocommit = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        # Told the text of every statement fetch_row sends past SQLAlchemy (counters, tracing).
        self.statement_listeners: list[Callable[[str], None]] = []

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.begin() as conn:
            yield conn

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with self._autocommit.connect() as conn:
            yield conn

    async def read_retrying(
        self, query: Callable[[AsyncConnection], Awaitable[T]], *, patience_s: float = 15.0
    ) -> T:
        """Run a read, retrying it while the database is restarting (reads are safe to repeat).

        Gives up after ``patience_s`` seconds and raises the last error.
        """
        delay, waited = 0.05, 0.0
        while True:
            try:
                async with self.read() as conn:
                    return await query(conn)
            except Exception as error:
                if not is_transient(error) or waited >= patience_s:
                    raise
            await asyncio.sleep(delay)
            waited += delay
            delay = min(delay * 2, 1.0)

    async def fetch_row(self, sql: str, params: Sequence[Any]) -> Sequence[Any] | None:
        """One row of a statement of our own (``store/reads``), with $n placeholders, run on the
        pooled connection's asyncpg driver: prepared once per connection, no ORM on the way."""

        async def fetch(conn: AsyncConnection) -> Sequence[Any] | None:
            for listener in self.statement_listeners:
                listener(sql)
            raw = await conn.get_raw_connection()
            row: Sequence[Any] | None = await raw.driver_connection.fetchrow(sql, *params)  # type: ignore[union-attr]
            return row

        return await self.read_retrying(fetch)

    def asyncpg_dsn(self) -> str:
        """The URL in the form asyncpg's own ``connect()`` understands (for the LISTEN connection)."""
        return self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)

    async def dispose(self) -> None:
        await self.engine.dispose()
