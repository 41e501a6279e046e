"""What the per-caller rate-limit budget costs a request (usecases/budgets.py).

A signed-in one-row read (``{ me { id } }``, answered by the compiled read path) measured with
the budget off and on, in alternating rounds so that a shared machine's noise falls on both
alike; plus ``Budgets.spend`` alone, and the SQL statements a request sends either way. Runs on
a PostgreSQL of its own (embedded, in a temporary directory) unless ``--database-url`` names one
(an empty database it may migrate). Prints a table; the machine is shared: read medians.

    .venv/bin/python -m bench.budget [--rounds 10] [--requests 500]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from agentgraph.bootstrap import create_app, tune_garbage_collection
from agentgraph.embedded_db import embedded_server, start_embedded_postgres
from agentgraph.migrate import upgrade_async
from agentgraph.settings import Settings
from domain.access import Viewer
from tests.support.sql_counter import StatementCounter
from usecases.budgets import BUDGET_TASK
from usecases.credentials.tokens import issue_access_token

ME = "{ me { id } }"
ON = 10**12  # points per window: on, never reached


def log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


async def _round(call: Any, requests: int) -> float:
    """Median µs per request over ``requests`` sequential requests."""
    samples = []
    for _ in range(requests):
        started = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - started) * 1e6)
    return statistics.median(samples)


async def run(database_url: str | None, rounds: int, requests: int) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="agentgraph-bench-budget-"))
    url = database_url or start_embedded_postgres(workdir / "pg", "bench")
    await upgrade_async(url)
    settings = Settings(
        database_url=url, data_dir=workdir, secret_key="bench-secret-" + "x" * 40,
        rate_limit_points=ON,
    )  # fmt: skip
    app = create_app(settings, database_url=url)
    tune_garbage_collection()
    budgets = app.state.services.budgets
    try:
        async with app.router.lifespan_context(app):
            conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
            owner = uuid.uuid4()
            await conn.execute(
                "INSERT INTO users (id, email, password_hash) VALUES ($1, $2, 'x')",
                owner, f"{owner}@bench.test",
            )  # fmt: skip
            await conn.close()
            token = issue_access_token(settings.secret_key or "", owner, ttl_s=3600)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
                headers = {"Authorization": f"Bearer {token}"}

                async def read() -> None:
                    response = await http.post("/graphql", json={"query": ME}, headers=headers)
                    assert response.status_code == 200 and "errors" not in response.json()

                for _ in range(200):
                    await read()  # warm: documents, statements, the caller's window
                counts = {}
                for label, points in (("off", 0), ("on", ON)):
                    budgets.points = points
                    with StatementCounter(app.state.services.database, frozenset()) as c:
                        for _ in range(2000):
                            await read()
                    counts[label] = c.count / 2000
                medians: dict[str, list[float]] = {"off": [], "on": []}
                for n in range(rounds):
                    for label, points in (("off", 0), ("on", ON))[:: 1 if n % 2 else -1]:
                        budgets.points = points
                        medians[label].append(await _round(read, requests))
                    log(f"round {n + 1}/{rounds}")
                viewer = Viewer(user_id=owner)
                started = time.perf_counter()
                for _ in range(100_000):
                    await budgets.spend(viewer, 1)
                spend_us = (time.perf_counter() - started) * 10
    finally:
        await app.state.services.database.dispose()
        if database_url is None:
            embedded_server(workdir / "pg").cleanup()
    off, on = statistics.median(medians["off"]), statistics.median(medians["on"])
    paired = [b - a for a, b in zip(medians["off"], medians["on"], strict=True)]
    return {
        "paired_difference_us": round(statistics.median(paired), 1),
        "rounds_off_us": [round(m) for m in medians["off"]],
        "rounds_on_us": [round(m) for m in medians["on"]],
        "off_us": round(off, 1),
        "on_us": round(on, 1),
        "difference_us": round(on - off, 1),
        "spend_us": round(spend_us, 2),
        "statements_off": counts["off"],
        "statements_on": counts["on"],
        "flush_task": BUDGET_TASK,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--requests", type=int, default=500, help="per round and setting")
    args = parser.parse_args()
    r = asyncio.run(run(args.database_url, args.rounds, args.requests))
    print("signed-in one-row read ({ me { id } }, compiled path), sequential, in-process")
    print(f"{'budget':>8} {'median µs/request':>18} {'SQL/request':>12}")
    print(f"{'off':>8} {r['off_us']:>18} {r['statements_off']:>12}")
    print(f"{'on':>8} {r['on_us']:>18} {r['statements_on']:>12}")
    print(f"rounds off: {r['rounds_off_us']}")
    print(f"rounds on:  {r['rounds_on_us']}")
    print(
        f"difference of medians: {r['difference_us']} µs; median of paired round differences: "
        f"{r['paired_difference_us']} µs; Budgets.spend alone: {r['spend_us']} µs"
    )
    print(f"(the flush, in task {r['flush_task']}: one statement per second per process at most, ")
    print(" plus one the first time a caller is seen in a window)")


if __name__ == "__main__":
    main()
