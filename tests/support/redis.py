"""The Redis that fan-out tests use, at 127.0.0.1:6379.

On a developer's machine without one those tests skip, saying so; under CI=true (.ci/run starts
redis-server) a missing Redis fails them instead, so CI cannot pass without having run them.
"""

from __future__ import annotations

import socket

from tests.support.requirements import require

REDIS_HOST = "127.0.0.1"
REDIS_PORT = 6379


def redis_answers() -> bool:
    """Whether a Redis answers PING at REDIS_HOST:REDIS_PORT."""
    try:
        with socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def require_redis() -> None:
    """Skip the calling test without Redis (fail it under CI=true)."""
    where = f"{REDIS_HOST}:{REDIS_PORT}"
    require(redis_answers(), f"no Redis answers at {where} (redis-server --port {REDIS_PORT})")


def redis_url(db: int) -> str:
    return f"redis://{REDIS_HOST}:{REDIS_PORT}/{db}"


async def flush(db: int) -> None:
    """Empty Redis database ``db`` (the tests' own)."""
    from redis import asyncio as aioredis

    client = aioredis.Redis.from_url(redis_url(db))
    try:
        await client.flushdb()
    finally:
        await client.aclose()
