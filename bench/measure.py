"""Measuring one scenario on every side that runs it — Agentgraph and PostGraphile through
autocannon, the floor through asyncpg — at each client count: each side warms up, then the
sides take turns for a few rounds. With the SQL statements per request (counted by PostgreSQL)
and each server's resident memory, idle and at its peak."""

from __future__ import annotations

import asyncio
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg

from bench.database import BenchDatabase
from bench.floor import FLOOR, run_floor
from bench.load import Duration, LoadGenerator, LoadResult, Measurement
from bench.resources import PeakRss, cpu_seconds, rss_mb, wait_until_idle
from bench.scenarios import Scenario
from bench.servers import ServerProcess, post, sign_in
from bench.statements import StatementCount, count_statements

_STARTED = time.monotonic()


def log(message: str) -> None:
    """Progress, on stderr, with the time since the bench started."""
    elapsed = int(time.monotonic() - _STARTED)
    print(f"bench [{elapsed // 60}:{elapsed % 60:02d}]: {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Load:
    """The sustained durable load: moves a second, for how long, with how many subscribers."""

    rate: int
    seconds: int
    subscribers: int


@dataclass(frozen=True)
class Plan:
    """How much to measure."""

    sizes: list[int]
    clients: list[int]
    duration: Duration
    count_requests: int  # single requests per side whose statements are counted
    quick: bool
    fanout: list[int]  # subscriber counts of the fan-out scenario
    idle: int  # idle subscriptions one server process holds at once
    sustained: Load  # the sustained durable load (bench/sustained.py)


@dataclass
class Bench:
    """Everything running for the bench, and how far it has come."""

    plan: Plan
    database: BenchDatabase
    load_generator: LoadGenerator
    ours: ServerProcess
    peer: ServerProcess | None
    credentials: tuple[str, str]  # the bench user, who owns every fleet
    projects: dict[int, uuid.UUID]  # fleet size -> project id
    steps_total: int = 0
    steps_done: int = 0

    async def token(self) -> str:
        """A fresh access token (each scenario signs in again: tokens live 15 minutes)."""
        return await sign_in(self.ours.url, *self.credentials)


@dataclass(frozen=True)
class Side:
    """One server (or the floor) running one scenario: how to load it, how to count its SQL."""

    key: str  # "agentgraph", "postgraphile" or "floor"
    load: Callable[[int, float, int, float], Awaitable[LoadResult]]  # as LoadGenerator.drive
    send_one: Callable[[], Awaitable[None]]  # one request, for counting statements
    pid: int | None  # the process whose memory is sampled
    via: str


async def _sides(bench: Bench, scenario: Scenario) -> list[Side]:
    token = await bench.token() if scenario.signed_in else None
    sides = [server_side(bench, bench.ours, scenario.ours, token)]
    if bench.peer is not None and scenario.peer is not None:
        sides.append(server_side(bench, bench.peer, scenario.peer, None))
    if scenario.fleet_size is not None:
        sides.append(await _floor_side(bench.database.dsn, bench.projects[scenario.fleet_size]))
    return sides


def server_side(
    bench: Bench, server: ServerProcess, body: dict[str, Any], token: str | None
) -> Side:
    headers = {"Authorization": f"Bearer {token}"} if token else {}

    async def load(clients: int, seconds: float, until: int, at_least: float) -> LoadResult:
        return await bench.load_generator.drive(
            server.url, body, headers, clients, seconds, until, at_least
        )

    async def send_one() -> None:
        answer = await post(server.url, body, token)
        if answer.get("errors") or "data" not in answer:
            raise RuntimeError(f"{server.name} answered with errors: {answer.get('errors')}")

    return Side(server.name, load, send_one, server.pid, "autocannon over HTTP")


async def _floor_side(dsn: str, project: uuid.UUID) -> Side:
    async def load(clients: int, seconds: float, until: int, at_least: float) -> LoadResult:
        return await run_floor(dsn, project, clients, seconds, until, at_least)

    async def send_one() -> None:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.fetchval(FLOOR, project)
        finally:
            await conn.close()

    return Side("floor", load, send_one, None, "asyncpg from the bench process, no HTTP")


def count_steps(plan: Plan, scenarios: list[Scenario]) -> int:
    """Measuring steps in the plan: one per scenario and client count."""
    return len(scenarios) * len(plan.clients)


async def measure_scenario(bench: Bench, scenario: Scenario) -> list[dict[str, Any]]:
    """One row per client count, with each side's figures and the ratios. Statements are
    counted last, when every pooled connection of the servers has served the scenario. Each
    step signs in again: a slow step can outlast an access token."""
    measured = []
    for clients in bench.plan.clients:
        sides = await _sides(bench, scenario)
        bench.steps_done += 1
        duration = bench.plan.duration
        rounds = f"{duration.rounds} round{'s' if duration.rounds > 1 else ''}"
        log(
            f"[{bench.steps_done}/{bench.steps_total}] {scenario.label}, {clients} client"
            f"{'s' if clients > 1 else ''}: {', '.join(s.key for s in sides)}; "
            f"warm-up, then {rounds} in turn, {duration.seconds:g} s or more per side"
        )
        measured.append((clients, await in_turns(sides, clients, duration)))
    sides = await _sides(bench, scenario)
    sql = {
        side.key: await count_statements(
            bench.database.dsn, side.send_one, bench.plan.count_requests
        )
        for side in sides
    }
    rows = []
    for clients, results in measured:
        row: dict[str, Any] = {"scenario": scenario.name, "label": scenario.label}
        row["clients"] = clients
        for side in sides:
            row[side.key] = figures(results[side.key], sql[side.key], side.via)
        for key in ("postgraphile", "floor"):
            row.setdefault(key, None)
        row["ratio_vs_peer"] = _ratio(row["agentgraph"], row["postgraphile"])
        row["ratio_vs_floor"] = _ratio(row["agentgraph"], row["floor"])
        rows.append(row)
    return rows


@dataclass(frozen=True)
class SideResult:
    measurement: Measurement
    idle_rss_mb: float | None
    peak_rss_mb: float | None
    cpu_s: float | None = None  # the server's CPU time over the measured rounds

    @property
    def cpu_ms_per_request(self) -> float | None:
        if self.cpu_s is None or not self.measurement.requests:
            return None
        return 1000 * self.cpu_s / self.measurement.requests


async def in_turns(sides: list[Side], clients: int, duration: Duration) -> dict[str, SideResult]:
    idle = {s.key: rss_mb(s.pid) if s.pid else None for s in sides}
    peak = dict(idle)

    async def run(side: Side, seconds: float, until: int = 0, at_least: float = 0) -> LoadResult:
        with PeakRss(side.pid, peak[side.key]) as memory:
            result = await side.load(clients, seconds, until, at_least)
            if side.pid:  # requests cut off at the end are still being worked on
                await asyncio.to_thread(wait_until_idle, side.pid)
        peak[side.key] = memory.peak_mb
        return result

    round_s = {}
    for side in sides:
        until = duration.warmup_responses * clients
        warmup = await run(side, duration.MAX_WARMUP_S, until, duration.warmup_s)
        round_s[side.key] = duration.round_s(warmup)
    rounds: dict[str, list[LoadResult]] = {s.key: [] for s in sides}
    cpu = {s.key: 0.0 for s in sides}
    for _ in range(duration.rounds):
        for side in sides:
            before = cpu_seconds(side.pid) if side.pid else 0.0
            rounds[side.key].append(await run(side, round_s[side.key]))
            cpu[side.key] += (cpu_seconds(side.pid) - before) if side.pid else 0.0
    results = {}
    for side in sides:
        measurement = Measurement(rounds[side.key])
        if measurement.errors:
            log(f"WARNING: {side.key} answered {measurement.errors} requests with errors")
        results[side.key] = SideResult(
            measurement, idle[side.key], peak[side.key], cpu[side.key] if side.pid else None
        )
    return results


def figures(result: SideResult, sql: StatementCount, via: str) -> dict[str, Any]:
    measurement = result.measurement
    return {
        "req_per_s": round(measurement.requests_per_s, 1),
        "p50_ms": round(measurement.percentile(0.50), 2),
        "p99_ms": round(measurement.percentile(0.99), 2),
        "requests": measurement.requests,
        "seconds": round(measurement.seconds, 2),
        "rounds_req_per_s": [round(r.requests_per_s, 1) for r in measurement.rounds],
        "errors": measurement.errors,
        "sql_per_request": sql.per_request,
        "sql_queries_per_request": sql.queries_per_request,
        "sql_per_request_seen": sql.seen,
        "sql_breakdown": sql.breakdown,
        "idle_rss_mb": round(result.idle_rss_mb, 1) if result.idle_rss_mb is not None else None,
        "peak_rss_mb": round(result.peak_rss_mb, 1) if result.peak_rss_mb is not None else None,
        # Server CPU per response over the rounds: on a shared machine, steadier than req/s.
        "cpu_ms_per_request": (
            round(result.cpu_ms_per_request, 3) if result.cpu_ms_per_request is not None else None
        ),
        "via": via,
    }


def _ratio(ours: dict[str, Any], other: dict[str, Any] | None) -> float | None:
    if not other or not other["req_per_s"]:
        return None
    return round(float(ours["req_per_s"]) / float(other["req_per_s"]), 3)
