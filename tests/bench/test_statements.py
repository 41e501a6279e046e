"""Statements per request as the bench counts them: PostgreSQL's own count (pg_stat_statements
in the bench's embedded server), undisturbed by statements other connections run meanwhile."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path

import asyncpg
import pytest

from bench.database import start_database, stop_database
from bench.statements import count_statements

pytestmark = pytest.mark.slow  # starts (and restarts) an embedded PostgreSQL of its own


async def test_each_request_is_counted_apart_from_background_statements() -> None:
    # Not pytest's tmp_path: another pytest run on the machine resets /tmp/pytest-of-<user> to
    # 0700, and the embedded server's own user must still reach its directory to restart.
    workdir = Path(tempfile.mkdtemp(prefix="agentgraph-bench-test-"))
    database = await start_database(workdir)
    try:
        request = await asyncpg.connect(database.dsn)
        background = await asyncpg.connect(database.dsn)

        async def send() -> None:  # three statements, two of them transaction control
            async with request.transaction():
                await request.fetchval("SELECT count(*) FROM pg_class")

        async def busy() -> None:  # another client's statements, now and then
            while True:
                await background.fetchval("SELECT 1")
                await asyncio.sleep(0.12)

        noise = asyncio.create_task(busy())
        try:
            counted = await count_statements(database.dsn, send, requests=9)
        finally:
            noise.cancel()
            await request.close()
            await background.close()
    finally:
        stop_database(database)
        shutil.rmtree(workdir, ignore_errors=True)

    assert (counted.per_request, counted.queries_per_request) == (3, 1)
    assert max(counted.seen) > 3, "the background statements landed in no window"
    assert {b["statement"] for b in counted.breakdown} >= {
        "BEGIN",
        "COMMIT",
        "SELECT count(*) FROM pg_class",
    }
