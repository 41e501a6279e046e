"""Sustained durable load: ``rate`` lifecycle moves a second for ``seconds`` seconds, spread over
the agents of one project, while ``subscribers`` clients (bench/subscribers.py, a process of
their own) are subscribed to it. Each move is one durable event; every client should receive
every one exactly once: lost and duplicated are counted, with commit → client p50/p99.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import asyncpg
import httpx

from bench.fanout import MOVE, VERBS, AgentMover, Subscribers, open_live, percentile
from bench.fleet_data import load_fleet
from bench.measure import Bench, Load, log
from gql.ids import to_global_id

SUSTAINED_SLUG = "bench-sustained"
AGENTS = 32  # moves in flight at once: one per agent, each agent's in order


async def _load_project(bench: Bench) -> tuple[str, list[str]]:
    conn = await asyncpg.connect(bench.database.dsn)
    try:
        owner = await conn.fetchval("SELECT id FROM users WHERE email = $1", bench.credentials[0])
        project = await load_fleet(conn, owner, AGENTS, slug=SUSTAINED_SLUG)
        agents = await conn.fetch("SELECT id FROM agents WHERE project_id = $1", project)
    finally:
        await conn.close()
    return to_global_id("Project", project), [to_global_id("Agent", a["id"]) for a in agents]


async def _drive(
    url: str, token: str, agents: list[str], load: Load, moved: dict[str, int]
) -> tuple[int, float]:
    """Move the agents at ``load.rate`` (agent ``j`` makes moves j, j + len(agents) …, each at
    its slot or as soon as its previous move is answered); moves made, and seconds taken."""
    total = load.rate * load.seconds
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=len(agents))
    started = time.monotonic()

    async def agent_moves(http: httpx.AsyncClient, index: int, agent: str) -> int:
        made = moved.get(agent, 0)  # moves it made before: its next verb follows on
        for slot in range(index, total, len(agents)):
            delay = started + slot / load.rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            verb = VERBS[made % 2]
            body = {"query": MOVE.format(verb=verb), "variables": {"id": agent}}
            answer = (await http.post(url, json=body, headers=headers)).json()
            if answer.get("errors"):
                raise RuntimeError(f"moving an agent failed: {answer['errors']}")
            made += 1
        return made - moved.get(agent, 0)

    async with httpx.AsyncClient(timeout=30, limits=limits) as http:
        made = await asyncio.gather(*(agent_moves(http, i, a) for i, a in enumerate(agents)))
    return sum(made), time.monotonic() - started


async def measure_sustained(bench: Bench, load: Load) -> dict[str, Any]:
    """The load, with its subscribers: moves a second achieved, lost, duplicated, latency."""
    project, agents = await _load_project(bench)
    token = await bench.token()
    probe = AgentMover(bench.ours.url, agents[0])
    subscribers = await Subscribers.start()
    try:
        _, live = await open_live(bench, subscribers, load.subscribers, project, probe)
        if live != load.subscribers:
            raise RuntimeError(f"only {live} of {load.subscribers} subscribers heard a move")
        moved = {agents[0]: probe.moved}
        made, took_s = await _drive(bench.ours.url, token, agents, load, moved)
        report = await subscribers.ask({"wait": {"events": made, "timeout_s": 60}})
    finally:
        await subscribers.stop()
    expected = made * load.subscribers
    delivered = report["received"] - report["duplicated"]
    latencies = report["latencies_ms"]
    log(f"sustained: {made / took_s:,.0f} moves/s, {expected - delivered} lost")
    return {
        "rate": load.rate,
        "seconds": load.seconds,
        "subscribers": load.subscribers,
        "moves": made,
        "moves_per_s": round(made / took_s, 1),
        "expected": expected,
        "delivered": delivered,
        "lost": expected - delivered,
        "duplicated": report["duplicated"],
        "p50_ms": round(percentile(latencies, 0.50), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1),
        "via": f"graphql-transport-ws clients in {len(subscribers.processes)} processes of their own; "
        "moves over HTTP",
    }
