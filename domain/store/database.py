"""The one way code reaches PostgreSQL: an engine plus read and write units of work."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine


def _json_default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps(value: Any) -> str:
    """JSON text for JSONB columns and NOTIFY payloads (compact, datetimes as ISO 8601)."""
    return json.dumps(value, separators=(",", ":"), default=_json_default)


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
            pool_pre_ping=False,
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
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.begin() as conn:
            yield conn

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with self._autocommit.connect() as conn:
            yield conn

    def asyncpg_dsn(self) -> str:
        """The URL in the form asyncpg's own ``connect()`` understands (for the LISTEN connection)."""
        return self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)

    async def dispose(self) -> None:
        await self.engine.dispose()
