"""The one way code reaches PostgreSQL: an engine plus read and write units of work.

Layers above the store hold a ``DatabaseConnection`` only to hand it back to store functions
(they annotate with this module's alias and never import SQLAlchemy). A database that went away (a
restart, a failover, a refused connection) leaves the units of work as
``domain.errors.Unavailable``; any other error of a query passes through unchanged.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from decimal import Decimal
from typing import Any, TypeAlias, TypeVar

from sqlalchemy.exc import DBAPIError, InterfaceError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from domain.errors import Unavailable

T = TypeVar("T")

DatabaseConnection: TypeAlias = AsyncConnection
"""The connection a unit of work holds; pass it to store functions, nothing else."""


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


@contextmanager
def _unavailable_when_gone() -> Iterator[None]:
    try:
        yield
    except Exception as error:
        if is_transient(error):
            raise Unavailable() from error
        raise


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
            # A database restart leaves pooled connections dead; checking each one out with a
            # ping replaces them transparently instead of failing one request per connection.
            pool_pre_ping=True,
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

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[DatabaseConnection]:
        """One write transaction: committed when the block ends, rolled back on any error."""
        with _unavailable_when_gone():
            async with self.engine.begin() as conn:
                yield conn

    @asynccontextmanager
    async def read(self) -> AsyncIterator[DatabaseConnection]:
        """An autocommitting connection for queries."""
        with _unavailable_when_gone():
            async with self._autocommit.connect() as conn:
                yield conn

    async def read_retrying(
        self, query: Callable[[DatabaseConnection], Awaitable[T]], *, patience_s: float = 15.0
    ) -> T:
        """Run a read, retrying it while the database is restarting (reads are safe to repeat).

        Gives up after ``patience_s`` seconds: ``Unavailable``, caused by the last error.
        """
        delay, waited = 0.05, 0.0
        while True:
            try:
                async with self._autocommit.connect() as conn:
                    return await query(conn)
            except Exception as error:
                if not is_transient(error):
                    raise
                if waited >= patience_s:
                    raise Unavailable() from error
            await asyncio.sleep(delay)
            waited += delay
            delay = min(delay * 2, 1.0)

    def asyncpg_dsn(self) -> str:
        """The URL in the form asyncpg's own ``connect()`` understands (for the LISTEN connection)."""
        return self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)

    async def dispose(self) -> None:
        await self.engine.dispose()
