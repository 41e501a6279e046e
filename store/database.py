"""The one way code reaches PostgreSQL: an engine plus read and write units of work.

Layers above the store hold a ``DatabaseConnection`` only to hand it back to store functions
(they annotate with this module's alias and never import SQLAlchemy). A database that went away (a
restart, a failover, a refused connection) leaves the units of work as
``domain.errors.Unavailable``, a statement cancelled at ``statement_timeout`` as
``domain.errors.Timeout``; any other error of a query passes through unchanged.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from decimal import Decimal
from typing import Any, TypeAlias, TypeVar

import asyncpg
from opentelemetry import trace
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.util import greenlet_spawn

from domain.errors import LockWaitTimedOut, Timeout, Unavailable
from store.instruments import EVENTS_APPENDED, EVENTS_PUBLISHED

T = TypeVar("T")

_tracer = trace.get_tracer("agentgraph.store")

DatabaseConnection: TypeAlias = AsyncConnection
"""The connection a unit of work holds; pass it to store functions, nothing else."""


def _json_default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _tracing() -> bool:
    """Whether an SDK tracer provider is installed: without one a span is work for nothing."""
    return not isinstance(
        trace.get_tracer_provider(), trace.ProxyTracerProvider | trace.NoOpTracerProvider
    )


def dumps(value: Any) -> str:
    """JSON text for JSONB columns and NOTIFY payloads (compact; datetimes ISO 8601, UUIDs text)."""
    return json.dumps(value, separators=(",", ":"), default=_json_default)


# The driver's ways of saying a connection is gone, or was left unusable by one that went away
# mid-statement (during a restart asyncpg reports "cannot switch to state …").
_LOST = (
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
)

# Connection-level failures (a restart, a failover), as opposed to errors of the query itself.
_TRANSIENT_SQLSTATES = {"57P01", "57P02", "57P03"}
# lock_not_available: a statement waited past lock_timeout.
_LOCK_TIMEOUT_SQLSTATE = "55P03"


class ConnectionLost(Exception):
    """A pooled connection died under a statement sent to the driver directly."""


class StatementFailed(Exception):
    """PostgreSQL (or the driver, on a value it cannot send) refused a statement of our own
    (``fetch_row``): the statement or a value bound to it is wrong, the database is fine."""


def is_transient(error: BaseException) -> bool:
    """True when ``error`` means "the database went away", so a read may simply be retried."""
    if isinstance(error, OSError | InterfaceError | ConnectionLost):
        return True
    if isinstance(error, DBAPIError):
        if error.connection_invalidated:
            return True
        # asyncpg's own errors, as SQLAlchemy wraps them (the driver's exception is the cause).
        if isinstance(error.orig, Exception) and isinstance(error.orig.__cause__, _LOST):
            return True
        state = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
        return _transient_state(state)
    if isinstance(error, asyncpg.PostgresError):  # sent to the driver directly
        return isinstance(error, _LOST) or _transient_state(error.sqlstate)
    if isinstance(error, _LOST):
        return True
    # A connection the pool could not open (``engine.raw_connection()``): SQLAlchemy's adapted
    # DBAPI error, unwrapped, with the driver's error as its cause ("the database system is
    # starting up", a refused connection).
    cause = error.__cause__
    return cause is not None and cause is not error and is_transient(cause)


def _transient_state(state: object) -> bool:
    return state in _TRANSIENT_SQLSTATES or (isinstance(state, str) and state.startswith("08"))


# query_canceled: the statement ran past statement_timeout (we never cancel one ourselves).
_TIMED_OUT_SQLSTATE = "57014"


def is_timeout(error: BaseException) -> bool:
    """True when ``error`` is a statement PostgreSQL cancelled at ``statement_timeout``."""
    if isinstance(error, asyncpg.QueryCanceledError):
        return True
    if isinstance(error, DBAPIError):
        state = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
        if state == _TIMED_OUT_SQLSTATE:
            return True
        return isinstance(error.orig, Exception) and isinstance(
            error.orig.__cause__, asyncpg.QueryCanceledError
        )
    return False


# A connection back from the pool after this long is pinged before it is handed out.
IDLE_PING_S = 1.0


def _note_checkin(dbapi_connection: Any, record: Any) -> None:
    record.info["checked_in_at"] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: Any, proxy: Any) -> None:
    checked_in_at = record.info.get("checked_in_at")
    if checked_in_at is None or time.monotonic() - checked_in_at < IDLE_PING_S:
        return  # new, or in use a moment ago
    try:
        dbapi_connection.ping()
    except Exception as error:
        # The pool discards this one and hands out (or opens) another.
        raise DisconnectionError() from error


def _sqlstate(error: BaseException) -> str | None:
    if isinstance(error, asyncpg.PostgresError):  # sent to the driver directly
        return error.sqlstate
    orig = getattr(error, "orig", None)
    return getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)


@contextmanager
def _unavailable_when_gone() -> Iterator[None]:
    try:
        yield
    except Exception as error:
        if is_transient(error):
            raise Unavailable() from error
        if (
            isinstance(error, DBAPIError | asyncpg.PostgresError)
            and _sqlstate(error) == _LOCK_TIMEOUT_SQLSTATE
        ):
            raise LockWaitTimedOut() from error
        if is_timeout(error):
            raise Timeout() from error
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
        lock_timeout_ms: int = 3_000,
        idle_in_transaction_timeout_ms: int = 60_000,
        pool_size: int = 10,
        max_overflow: int = 20,
        read_patience_s: float = 15.0,
        application_name: str = "agentgraph",
    ) -> None:
        self.url = url
        self.read_patience_s = read_patience_s
        self.engine: AsyncEngine = create_async_engine(
            url,
            pool_size=pool_size,
            max_overflow=max_overflow,
            # A ping on every checkout would be a round trip per request: connections idle for
            # a while are pinged instead (_ping_if_idle), which is what a restart leaves behind.
            pool_pre_ping=False,
            # Error messages must not carry bound values (sensitive config values, tokens' hashes).
            hide_parameters=True,
            json_serializer=dumps,
            connect_args={
                "server_settings": {
                    "statement_timeout": str(statement_timeout_ms),
                    # A hot row makes its writers wait this long at most (LockWaitTimedOut),
                    # and a transaction left open holds its locks and connection no longer.
                    "lock_timeout": str(lock_timeout_ms),
                    "idle_in_transaction_session_timeout": str(idle_in_transaction_timeout_ms),
                    "application_name": application_name,
                    "timezone": "UTC",
                    # The compiled read path spells timestamps from their ISO text.
                    "datestyle": "ISO, MDY",
                }
            },
        )
        # Reads run without BEGIN/ROLLBACK round trips; they share the pool with writes.
        self._autocommit = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        # Reads that failed because the database was away, and were tried again (/metrics).
        self.retried_reads = 0
        # Told the text of every statement fetch_row sends past SQLAlchemy (counters, tracing).
        self.statement_listeners: list[Callable[[str], None]] = []
        event.listen(self.engine.sync_engine, "checkin", _note_checkin)
        event.listen(self.engine.sync_engine, "checkout", _ping_if_idle)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[DatabaseConnection]:
        """One write transaction: committed when the block ends, rolled back on any error."""
        with _unavailable_when_gone():
            async with self.engine.begin() as conn:
                conn.info.pop(EVENTS_APPENDED, None)  # the connection's info outlives a checkout
                yield conn
                appended = conn.info.pop(EVENTS_APPENDED, 0)
            EVENTS_PUBLISHED.inc(appended)  # committed

    @asynccontextmanager
    async def read(self) -> AsyncIterator[DatabaseConnection]:
        """An autocommitting connection for queries."""
        with _unavailable_when_gone():
            async with self._autocommit.connect() as conn:
                yield conn

    async def read_retrying(
        self,
        query: Callable[[DatabaseConnection], Awaitable[T]],
        *,
        patience_s: float | None = None,
    ) -> T:
        """Run a read, retrying it while the database is restarting (reads are safe to repeat).

        Gives up after ``patience_s`` seconds (default: the database's ``read_patience_s``):
        ``Unavailable``, caused by the last error.
        """
        patience_s = self.read_patience_s if patience_s is None else patience_s
        delay, waited = 0.05, 0.0
        while True:
            try:
                async with self._autocommit.connect() as conn:
                    return await query(conn)
            except Exception as error:
                if is_timeout(error):
                    raise Timeout() from error
                if not is_transient(error):
                    raise
                if waited >= patience_s:
                    raise Unavailable() from error
                self.retried_reads += 1
            await asyncio.sleep(delay)
            waited += delay
            delay = min(delay * 2, 1.0)

    async def fetch_row(self, sql: str, params: Sequence[Any]) -> Sequence[Any] | None:
        """One row of a statement of our own (``store/reads``), with $n placeholders, run on a
        pooled connection's asyncpg driver (as ``write_statement``): prepared once per
        connection, no ORM on the way. Retried while the database is restarting, as ``read_retrying`` does."""
        delay, waited = 0.05, 0.0
        while True:
            try:
                rows = await self._raw(sql, params)
                return rows[0] if rows else None
            except Exception as error:
                if is_timeout(error):
                    raise Timeout() from error
                if not is_transient(error):
                    if isinstance(error, asyncpg.PostgresError):
                        raise StatementFailed(type(error).__name__) from error
                    raise
                if waited >= self.read_patience_s:
                    raise Unavailable() from error
                self.retried_reads += 1
            await asyncio.sleep(delay)
            waited += delay
            delay = min(delay * 2, 1.0)

    async def write_statement(self, sql: str, params: Sequence[Any]) -> list[Sequence[Any]]:
        """Every row of a write that is one statement of our own, with $n placeholders: its own
        transaction (no BEGIN or COMMIT round trips), as in ``statement()``, but sent to the
        asyncpg driver of a connection of the engine's own pool, past SQLAlchemy's work per
        statement (a ``Connection``, its isolation level set and reset). The session settings
        are the pool's (timeouts); a database that went away is ``Unavailable``, a statement
        past its timeout ``Timeout``, a lock waited for too long ``LockWaitTimedOut``; any other
        error of the statement passes through as asyncpg raised it."""
        with _unavailable_when_gone():
            return await self._raw(sql, params)

    async def _raw(self, sql: str, params: Sequence[Any]) -> list[Sequence[Any]]:
        # The engine's pool, not one of our own: a process holds no more connections than that.
        fairy = await self.engine.raw_connection()
        try:
            return await self._driver_fetch(fairy, sql, params)
        except ConnectionLost as lost:
            # The pool discards it on check-in, as SQLAlchemy does for its own statements.
            await greenlet_spawn(fairy.invalidate, lost.__cause__)
            raise
        except asyncio.CancelledError:
            # Cancelled mid-statement (a client gone, a deadline): the driver may still be
            # waiting for the server's answer, so the next user must not get this connection.
            await greenlet_spawn(fairy.invalidate)
            raise
        finally:
            # Checked in the way SQLAlchemy does it (a connection over the pool's size is
            # closed then, which awaits the driver).
            await greenlet_spawn(fairy.close)

    @asynccontextmanager
    async def statement(self) -> AsyncIterator[DatabaseConnection]:
        """An autocommitting connection for a write that is one statement (its own transaction:
        no BEGIN and COMMIT round trips)."""
        with _unavailable_when_gone():
            async with self._autocommit.connect() as conn:
                yield conn

    async def fetch_raw(
        self, conn: AsyncConnection, sql: str, params: Sequence[Any]
    ) -> list[Sequence[Any]]:
        """Every row of a statement of our own, with $n placeholders, on ``conn``'s asyncpg
        driver (in whatever transaction ``conn`` is in): prepared once per connection."""
        try:
            return await self._driver_fetch(await conn.get_raw_connection(), sql, params)
        except ConnectionLost as lost:
            # What SQLAlchemy does for its own statements: this connection is done for.
            await conn.invalidate(lost.__cause__)  # type: ignore[arg-type]
            raise

    async def _driver_fetch(
        self, raw: PoolProxiedConnection, sql: str, params: Sequence[Any]
    ) -> list[Sequence[Any]]:
        for listener in self.statement_listeners:
            listener(sql)
        driver: asyncpg.Connection = raw.driver_connection  # type: ignore[assignment]
        try:
            if not _tracing():
                rows: list[Sequence[Any]] = await driver.fetch(sql, *params)
                return rows
            # Past SQLAlchemy, so past its instrumentation: the statement's span is ours.
            with _tracer.start_as_current_span(
                sql.split(None, 1)[0].upper() if sql.strip() else "SQL",
                kind=trace.SpanKind.CLIENT,
                attributes={"db.system": "postgresql", "db.statement": sql},
            ):
                rows = await driver.fetch(sql, *params)
                return rows
        except (OSError, *_LOST) as error:
            raise ConnectionLost(str(error)) from error  # the caller invalidates the connection

    def asyncpg_dsn(self) -> str:
        """The URL in the form asyncpg's own ``connect()`` understands (for the LISTEN connection)."""
        return self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)

    async def dispose(self) -> None:
        await self.engine.dispose()
