"""The servers under load, each a process of its own (so that the load generator never shares
an event loop with them): `agentgraph serve` as production runs it, one uvicorn worker; and the
process handling both it and the peer (bench/peer.py) share."""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.scenarios import LOGIN, REGISTER

REPO = Path(__file__).resolve().parents[1]


@dataclass
class ServerProcess:
    """A server the bench started: its name, GraphQL URL, process and log file."""

    name: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path
    env: dict[str, str] = field(default_factory=dict)  # what it was started with, beside ours

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 10 s."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def last_log_lines(self, count: int = 20) -> str:
        lines = self.log.read_text(errors="replace").splitlines() if self.log.exists() else []
        return "\n".join(lines[-count:])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def spawn(name: str, command: list[str], env: dict[str, str], log: Path, url: str) -> ServerProcess:
    """Start ``command`` with its output in ``log``."""
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, env={**os.environ, **env}, cwd=REPO, stdout=output, stderr=subprocess.STDOUT
        )
    return ServerProcess(name, url, process, log, env)


async def wait_ready(
    server: ServerProcess, ready: Callable[[httpx.AsyncClient], Awaitable[bool]], timeout_s: float
) -> None:
    """Poll ``ready`` until it says yes; raise with the server's log if it dies or never does."""
    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient(timeout=5) as http:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise RuntimeError(f"{server.name} exited:\n{server.last_log_lines()}")
            try:
                if await ready(http):
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(
        f"{server.name} was not ready after {timeout_s:.0f}s:\n{server.last_log_lines()}"
    )


async def start_agentgraph(
    database_url: str, workdir: Path, workers: int = 1, secret_key: str | None = None
) -> ServerProcess:
    """`agentgraph serve` on the bench database, in production mode; it migrates on start.
    With ``workers`` > 1, `--workers N` (its supervisor's pid is the server's); ``secret_key``:
    another server's, so that its tokens work here too."""
    port = free_port()
    name = "agentgraph" if workers == 1 else f"agentgraph-{workers}-workers"
    data_dir = workdir / name
    data_dir.mkdir(exist_ok=True)
    server = spawn(
        name,
        [
            str(Path(sys.executable).parent / "agentgraph"),
            "serve",
            "--port",
            str(port),
            *(["--workers", str(workers)] if workers > 1 else []),
        ],
        {
            "DATABASE_URL": database_url,
            "AGENTGRAPH_SECRET_KEY": secret_key or secrets.token_urlsafe(48),
            "AGENTGRAPH_DATA_DIR": str(data_dir),
            "AGENTGRAPH_ENV": "production",
            # The bench measures serving: one bench user's budget (360,000 points a minute,
            # 30 fleet queries of 1,000 agents) would measure the rate limit instead.
            "AGENTGRAPH_RATE_LIMIT_POINTS": "0",
            # The fan-out scenario holds 1,000 subscriptions of one bench user.
            "AGENTGRAPH_WS_MAX_SOCKETS_PER_CALLER": "20000",
            "AGENTGRAPH_WS_MAX_SUBSCRIPTIONS_PER_CALLER": "20000",
        },
        workdir / f"{name}.log",
        f"http://127.0.0.1:{port}/graphql",
    )

    async def ready(http: httpx.AsyncClient) -> bool:
        return (await http.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200

    await wait_ready(server, ready, timeout_s=120)
    return server


async def post(
    url: str, body: dict[str, Any], token: str | None = None, timeout: float = 30
) -> dict[str, Any]:
    """One GraphQL request; the decoded JSON answer."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(timeout=timeout) as http:
        response = await http.post(url, json=body, headers=headers)
        answer: dict[str, Any] = response.json()
        return answer


async def register_bench_user(url: str) -> tuple[str, str]:
    """Register a fresh user through the API; returns (email, password)."""
    email = f"bench-{secrets.token_hex(4)}@bench.example"
    password = secrets.token_urlsafe(18)
    answer = await post(
        url, {"query": REGISTER, "variables": {"email": email, "password": password}}
    )
    if answer.get("errors"):
        raise RuntimeError(f"register failed: {answer['errors']}")
    return email, password


async def sign_in(url: str, email: str, password: str) -> str:
    """A fresh access token from the `login` mutation."""
    answer = await post(url, {"query": LOGIN, "variables": {"email": email, "password": password}})
    if answer.get("errors"):
        raise RuntimeError(f"login failed: {answer['errors']}")
    token: str = answer["data"]["login"]["accessToken"]
    return token
