"""Fan-out and cold start: live delivery to many subscribers of one project, and how long
`agentgraph serve` takes from its start to its first answer.

Fan-out: the subscribers (bench/subscribers.py) run in processes of their own, each holding at
most ``PER_PROCESS`` sockets (answers merged across them); the bench moves
one agent of the project (pause, resume …) through the API, and each client measures commit →
receipt from the event's commit time. Memory per idle subscription is the server's resident
memory with every socket open and idle, less what it held before, over their number.
"""

from __future__ import annotations

import asyncio
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench.fleet_data import load_fleet
from bench.measure import Bench, log
from bench.resources import rss_mb
from bench.servers import free_port, post, spawn
from gql.ids import to_global_id

FANOUT_SLUG = "bench-fanout"
MOVES = 10
MOVE = "mutation($id: ID!) {{ {verb}(input: {{id: $id}}) {{ agent {{ status }} }} }}"
VERBS = ("pauseAgent", "resumeAgent")
PROBES = 40  # moves made at most until every subscriber has heard one
PER_PROCESS = 2_500  # sockets a subscriber process holds at most


async def load_fanout_project(bench: Bench) -> tuple[str, str]:
    """A project of one agent (global ids: project, agent), for the subscribers to watch."""
    conn = await asyncpg.connect(bench.database.dsn)
    try:
        owner = await conn.fetchval("SELECT id FROM users WHERE email = $1", bench.credentials[0])
        project = await load_fleet(conn, owner, 1, slug=FANOUT_SLUG)
        agent = await conn.fetchval("SELECT id FROM agents WHERE project_id = $1", project)
    finally:
        await conn.close()
    return to_global_id("Project", project), to_global_id("Agent", agent)


class Subscribers:
    """The subscriber processes (bench/subscribers.py), one command and one merged answer at a
    time: ``open`` spreads its sockets over as many processes as it takes to hold at most
    ``PER_PROCESS`` each; ``wait`` asks every process and merges what they heard."""

    def __init__(self) -> None:
        self.processes: list[asyncio.subprocess.Process] = []
        self.held: list[int] = []

    @classmethod
    async def start(cls) -> Subscribers:
        return cls()

    async def _spawn(self) -> None:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.subscribers",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            cwd=Path(__file__).resolve().parents[1], limit=64 * 1024 * 1024,
        )  # fmt: skip
        self.processes.append(process)
        self.held.append(0)

    async def _ask_one(self, at: int, command: dict[str, Any]) -> dict[str, Any]:
        process = self.processes[at]
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(json.dumps(command).encode() + b"\n")
        await process.stdin.drain()
        line = await process.stdout.readline()
        if not line:
            raise RuntimeError("a subscriber process (bench/subscribers.py) died; see above")
        answer: dict[str, Any] = json.loads(line)
        return answer

    async def ask(self, command: dict[str, Any]) -> dict[str, Any]:
        if "open" in command:
            return await self._open(command["open"])
        answers = await asyncio.gather(
            *(self._ask_one(at, command) for at in range(len(self.processes)))
        )
        return merge_rounds(answers)

    async def _open(self, spec: dict[str, Any]) -> dict[str, Any]:
        left = spec["count"]
        shares: list[tuple[int, int]] = []
        for at in range(len(self.processes)):
            share = min(left, PER_PROCESS - self.held[at])
            if share > 0:
                shares.append((at, share))
                left -= share
        while left > 0:
            await self._spawn()
            share = min(left, PER_PROCESS)
            shares.append((len(self.processes) - 1, share))
            left -= share
        answers = await asyncio.gather(
            *(self._ask_one(at, {"open": {**spec, "count": share}}) for at, share in shares)
        )
        for (at, _), answer in zip(shares, answers, strict=True):
            self.held[at] = answer["opened"]
        return {"opened": sum(self.held)}

    async def stop(self) -> None:
        for process in self.processes:
            if process.stdin is not None:
                process.stdin.close()
        for process in self.processes:
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                process.kill()
                await process.wait()


def merge_rounds(answers: list[dict[str, Any]]) -> dict[str, Any]:
    """One round's answers of several subscriber processes as one: counts summed, latencies
    pooled, and losses counted against the cursors any client of any process heard."""
    heard = set().union(*(set(a["cursors"]) for a in answers)) if answers else set()
    distinct = [count for a in answers for count in a["distinct"]]
    return {
        "complete": sum(a["complete"] for a in answers),
        "latencies_ms": [ms for a in answers for ms in a["latencies_ms"]],
        "lost": sum(len(heard) - count for count in distinct),
        "duplicated": sum(a["duplicated"] for a in answers),
        "received": sum(a["received"] for a in answers),
        "cursors": sorted(heard),
        "distinct": distinct,
    }


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[max(1, math.ceil(len(ordered) * fraction)) - 1]


class AgentMover:
    """Pauses and resumes the fan-out agent, in turn (it starts IDLE)."""

    def __init__(self, url: str, agent: str) -> None:
        self.url = url
        self.agent = agent
        self.moved = 0

    async def move(self, token: str) -> None:
        verb = VERBS[self.moved % 2]
        body = {"query": MOVE.format(verb=verb), "variables": {"id": self.agent}}
        answer = await post(self.url, body, token)
        if answer.get("errors"):
            raise RuntimeError(f"moving the fan-out agent failed: {answer['errors']}")
        self.moved += 1


async def open_live(
    bench: Bench, subscribers: Subscribers, count: int, project: str, mover: AgentMover
) -> tuple[float, int]:
    """Open ``count`` subscriptions and move the agent until each has heard a move (every
    subscription is then live): seconds it took to open them, and how many are live."""
    token = await bench.token()
    ws_url = bench.ours.url.replace("http://", "ws://", 1)
    started = time.monotonic()
    await subscribers.ask(
        {"open": {"url": ws_url, "token": token, "project": project, "count": count}}
    )
    opened_s = time.monotonic() - started
    complete = 0
    for _ in range(PROBES):
        await mover.move(token)
        probe = await subscribers.ask({"wait": {"events": 1, "timeout_s": 2 + count / 2000}})
        complete = probe["complete"]
        if complete == count:
            break
    return opened_s, complete


async def measure_fanout(
    bench: Bench, count: int, project: str, mover: AgentMover, held_before: int = 0
) -> dict[str, Any]:
    """``count`` subscribers, ``MOVES`` lifecycle moves: latencies, losses, memory (None when
    the server held as many sockets before, ``held_before``: they would reuse that memory)."""
    token = await bench.token()

    async def move() -> None:
        await mover.move(token)

    before_mb = rss_mb(bench.ours.pid)
    subscribers = await Subscribers.start()
    try:
        opened_s, live = await open_live(bench, subscribers, count, project, mover)
        if live != count:
            raise RuntimeError(f"only {live} of {count} subscribers heard a move")
        await asyncio.sleep(1)
        idle_mb = rss_mb(bench.ours.pid)
        for _ in range(MOVES):
            await move()
            await asyncio.sleep(0.1)
        report = await subscribers.ask({"wait": {"events": MOVES, "timeout_s": 30}})
    finally:
        await subscribers.stop()
    latencies = report["latencies_ms"]
    expected = count * MOVES
    return {
        "subscribers": count,
        "moves": MOVES,
        "delivered": report["received"] - report["duplicated"],
        "expected": expected,
        "lost": expected - (report["received"] - report["duplicated"]),
        "duplicated": report["duplicated"],
        "p50_ms": round(percentile(latencies, 0.50), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1),
        "open_s": round(opened_s, 2),
        "kb_per_idle_subscription": (
            round((idle_mb - before_mb) * 1024 / count, 1) if count > held_before else None
        ),
        "via": f"graphql-transport-ws clients in {len(subscribers.processes)} processes of their own",
    }


async def measure_idle(bench: Bench, count: int, project: str, mover: AgentMover) -> dict[str, Any]:
    """``count`` idle subscriptions on one server process: how many it holds (each heard a
    move), and its resident memory before and after, per subscription."""
    before_mb = rss_mb(bench.ours.pid)
    subscribers = await Subscribers.start()
    try:
        opened_s, held = await open_live(bench, subscribers, count, project, mover)
        await asyncio.sleep(1)
        idle_mb = rss_mb(bench.ours.pid)
    finally:
        await subscribers.stop()
    log(f"idle: {held:,} of {count:,} held, {(idle_mb - before_mb) * 1024 / count:.1f} KB each")
    return {
        "subscriptions": count,
        "held": held,
        "rss_before_mb": round(before_mb, 1),
        "rss_after_mb": round(idle_mb, 1),
        "kb_per_subscription": round((idle_mb - before_mb) * 1024 / count, 1),
        "open_s": round(opened_s, 2),
        "via": f"graphql-transport-ws clients in {len(subscribers.processes)} processes of their own",
    }


async def measure_cold_start(bench: Bench, workdir: Path) -> dict[str, Any]:
    """`agentgraph serve` on the (migrated) bench database: seconds from spawn to the first
    answered `{ __typename }`."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/graphql"
    started = time.monotonic()
    server = spawn(
        "agentgraph-cold",
        [str(Path(sys.executable).parent / "agentgraph"), "serve", "--port", str(port)],
        bench.ours.env,
        workdir / "agentgraph-cold.log",
        url,
    )
    try:
        async with httpx.AsyncClient(timeout=5) as http:
            while time.monotonic() - started < 60:
                if server.process.poll() is not None:
                    raise RuntimeError(f"agentgraph exited:\n{server.last_log_lines()}")
                try:
                    answer = await http.post(url, json={"query": "{ __typename }"})
                    if answer.status_code == 200 and answer.json().get("data"):
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.02)
        seconds = time.monotonic() - started
    finally:
        server.stop()
    log(f"cold start: {seconds:.2f} s to the first answer")
    return {"seconds": round(seconds, 2), "via": "agentgraph serve, migrated database"}
