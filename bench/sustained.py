"""Sustained durable load: ``rate`` lifecycle moves a second for ``seconds`` seconds, spread over
the agents of one project, while ``subscribers`` clients (bench/subscribers.py, a process of
their own) are subscribed to it. Each move is one durable event; every client should receive
every one exactly once: lost and duplicated are counted, with commit → client p50/p99.

The moves come from Node (bench/moves.cjs, one keep-alive connection per agent), so the load
generator is not what limits the rate; the row says where the time goes: the server's CPU per
move (its work for the move and for the move's fan-out) and the moves' own answer times.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import asyncpg

from bench.fanout import MOVE, VERBS, AgentMover, Subscribers, open_live, percentile
from bench.fleet_data import load_fleet
from bench.load import LoadGeneratorMissing, node_binary
from bench.measure import Bench, Load, log
from bench.resources import cpu_seconds
from gql.ids import to_global_id

SUSTAINED_SLUG = "bench-sustained"
AGENTS = 250  # moves in flight at once: one per agent, each agent's in order
MOVES_DRIVER = Path(__file__).with_name("moves.cjs")


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
) -> dict[str, Any]:
    """Move the agents at ``load.rate`` from bench/moves.cjs (one keep-alive connection per
    agent; agent ``j`` makes moves j, j + len(agents) …, each at its slot or as soon as its
    previous move is answered, none asked after ``load.seconds``): its answer, with ``moves``
    made of the ``asked`` and ``seconds`` taken."""
    node = node_binary()
    if node is None:
        raise LoadGeneratorMissing("the sustained load needs Node (bench/moves.cjs)")
    config = {
        "url": url,
        "token": token,
        "agents": [{"id": a, "moved": moved.get(a, 0)} for a in agents],
        "rate": load.rate,
        "seconds": load.seconds,
        "query": {"pause": MOVE.format(verb=VERBS[0]), "resume": MOVE.format(verb=VERBS[1])},
    }
    process = await asyncio.create_subprocess_exec(
        node, str(MOVES_DRIVER),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, limit=64 * 1024 * 1024,
    )  # fmt: skip
    out, _ = await process.communicate(json.dumps(config).encode())
    if process.returncode != 0 or not out:
        raise RuntimeError("the moves' driver (bench/moves.cjs) died; its error is above")
    answer: dict[str, Any] = json.loads(out)
    if answer["failed"]:
        raise RuntimeError(f"{answer['failed']} moves failed: {answer['errors']}")
    return answer


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
        cpu_before = cpu_seconds(bench.ours.pid)
        driven = await _drive(bench.ours.url, token, agents, load, moved)
        made, took_s = driven["moves"], driven["seconds"]
        cpu_driven = cpu_seconds(bench.ours.pid) - cpu_before
        # The moves stop at the deadline (bench/moves.cjs), however few the server answered;
        # what the subscribers have not had 30 s later is lost: the run ends in about
        # ``seconds`` + 30 s.
        report = await subscribers.ask({"wait": {"events": made, "timeout_s": 30}})
        cpu_total = cpu_seconds(bench.ours.pid) - cpu_before
    finally:
        await subscribers.stop()
    expected = made * load.subscribers
    delivered = report["received"] - report["duplicated"]
    latencies = report["latencies_ms"]
    cpu_ms = 1000 * cpu_total / made if made else 0.0
    log(
        f"sustained: {made / took_s:,.0f} moves/s, {expected - delivered} lost, "
        f"server CPU {cpu_ms:.1f} ms a move ({100 * cpu_driven / took_s:.0f}% of a core)"
    )
    return {
        "rate": load.rate,
        "seconds": load.seconds,
        "subscribers": load.subscribers,
        "asked": driven["asked"],
        "moves": made,
        "moves_per_s": round(made / took_s, 1),
        "expected": expected,
        "delivered": delivered,
        "lost": expected - delivered,
        "duplicated": report["duplicated"],
        "p50_ms": round(percentile(latencies, 0.50), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1),
        "move_p50_ms": round(percentile(driven["latencies"], 0.50), 1),
        "move_p99_ms": round(percentile(driven["latencies"], 0.99), 1),
        # Where the time goes: the server's CPU from the first move until every subscriber
        # had every event, per move (the moves and their fan-out), and its share of one core
        # while the moves were made.
        "server_cpu_ms_per_move": round(cpu_ms, 2),
        "server_cpu_share": round(cpu_driven / took_s, 2),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "via": (
            f"graphql-transport-ws clients in {len(subscribers.processes)} processes of their "
            f"own; moves over HTTP from bench/moves.cjs, {len(agents)} agents, one keep-alive "
            "connection each"
        ),
    }
