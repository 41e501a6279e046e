"""Checks run before a command touches the database, so failures read as one clear line."""

from __future__ import annotations

import asyncio

import asyncpg
from sqlalchemy.engine import make_url

from agentgraph.console import CommandError


async def check_database(url: str, timeout_s: float = 5.0) -> None:
    """Raise CommandError naming the server when ``url`` cannot be reached or refuses us."""
    parsed = make_url(url)
    where = parsed.render_as_string(hide_password=True)
    dsn = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        conn = await asyncio.wait_for(asyncpg.connect(dsn), timeout=timeout_s)
    except (TimeoutError, OSError) as error:
        raise CommandError(
            f"cannot reach the database at {where}: {error or 'timed out'}"
        ) from error
    except asyncpg.PostgresError as error:
        raise CommandError(f"the database at {where} refused the connection: {error}") from error
    except ValueError as error:
        raise CommandError(f"invalid DATABASE_URL {where}: {error}") from error
    await conn.close()
