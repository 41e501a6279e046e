"""The load generator: autocannon, the same for both servers, driven through bench/drive.cjs.

autocannon comes from the peers' cache (`../shared/peers/postgraphile` installs it there beside
PostGraphile); without it, it is installed there the same way, with npm.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import shutil
import statistics
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

DRIVER = Path(__file__).with_name("drive.cjs")


class LoadGeneratorMissing(Exception):
    """Node, npm or autocannon is not there and cannot be installed."""


@dataclass(frozen=True)
class Duration:
    """How long each side is measured: a warm-up, then ``seconds`` in ``rounds`` that alternate
    with the other sides' (so a burst of noise on the shared machine hits every side alike).

    Slow scenarios get longer: up to ``max_seconds`` to complete ``min_requests``, and each round
    at least ``latency_multiple`` response times — a run counts the responses that complete in
    it, so one only a few response times long undercounts (the clients' first responses come
    a response time after the start, the last ones are cut off by the end). A warm-up lasts
    ``warmup_s`` and until each client has had ``warmup_responses`` responses, ``MAX_WARMUP_S``
    at most."""

    warmup_s: float
    seconds: float
    rounds: int
    min_requests: int
    max_seconds: float
    latency_multiple: float
    warmup_responses: int

    MAX_WARMUP_S: ClassVar[float] = 15.0

    def round_s(self, warmup: LoadResult) -> float:
        """The length of each measured round, given what the warm-up completed."""
        rate = warmup.requests_per_s
        total = self.max_seconds if not rate else max(self.seconds, self.min_requests / rate)
        by_count = min(self.max_seconds, total) / self.rounds
        if not warmup.latencies_ms:  # nothing came back: its errors will say why
            return by_count
        typical_s = statistics.median(warmup.latencies_ms) / 1000
        return max(by_count, self.latency_multiple * typical_s)


@dataclass(frozen=True)
class LoadResult:
    """One run: every successful latency and what failed."""

    latencies_ms: list[float]
    seconds: float
    errors: int = 0  # non-2xx, socket errors, timeouts, bodies holding "errors"

    @property
    def requests_per_s(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class Measurement:
    """A side's measured rounds: req/s is their median, latencies are pooled."""

    rounds: list[LoadResult]

    @property
    def requests_per_s(self) -> float:
        return statistics.median(r.requests_per_s for r in self.rounds)

    @property
    def requests(self) -> int:
        return sum(len(r.latencies_ms) for r in self.rounds)

    @property
    def seconds(self) -> float:
        return sum(r.seconds for r in self.rounds)

    @property
    def errors(self) -> int:
        return sum(r.errors for r in self.rounds)

    def percentile(self, fraction: float) -> float:
        """Nearest-rank percentile of every latency, in ms (0 without samples)."""
        ordered = sorted(ms for r in self.rounds for ms in r.latencies_ms)
        if not ordered:
            return 0.0
        return ordered[max(1, math.ceil(len(ordered) * fraction)) - 1]


def peers_home() -> Path:
    """Where the peer script keeps Node 22, PostGraphile and autocannon."""
    default = Path.home() / ".cache" / "agentgraph-peers"
    return Path(os.environ.get("AGENTGRAPH_PEERS_HOME", default))


def node_binary() -> str | None:
    """The peers' Node 22 when installed, else the machine's node; None without either."""
    cached = peers_home() / "node" / "bin" / "node"
    return str(cached) if cached.exists() else shutil.which("node")


def ensure_autocannon(report: Callable[[str], None]) -> Path:
    """autocannon's module directory, installed into the peers' cache when missing."""
    modules = peers_home() / "pgl" / "node_modules"
    if (modules / "autocannon" / "package.json").exists():
        return modules / "autocannon"
    npm = shutil.which("npm")
    if npm is None or node_binary() is None:
        raise LoadGeneratorMissing("make bench needs Node and npm (autocannon drives the load)")
    report(f"installing autocannon@8 into {modules.parent} (first run only)")
    modules.parent.mkdir(parents=True, exist_ok=True)
    if not (modules.parent / "package.json").exists():
        subprocess.run([npm, "init", "-y"], cwd=modules.parent, check=True, capture_output=True)
    subprocess.run(
        [npm, "install", "--silent", "--no-audit", "--no-fund", "autocannon@8"],
        cwd=modules.parent,
        check=True,
        capture_output=True,
    )
    return modules / "autocannon"


class LoadGenerator:
    """autocannon in one long-lived Node process (bench/drive.cjs): starting Node for each run
    would cost more than a short run, on a machine where the servers need the CPU."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self._process = process

    @classmethod
    async def start(cls, autocannon: Path) -> LoadGenerator:
        node = node_binary()
        if node is None:
            raise LoadGeneratorMissing("make bench needs Node (autocannon drives the load)")
        process = await asyncio.create_subprocess_exec(
            node,
            str(DRIVER),
            str(autocannon),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=64 * 1024 * 1024,  # a line holds every latency of a run
        )
        return cls(process)

    async def drive(
        self,
        url: str,
        body: dict[str, object],
        headers: dict[str, str],
        clients: int,
        seconds: float,
        until_responses: int = 0,
        min_seconds: float = 0.0,
        variants: list[tuple[dict[str, object], dict[str, str]]] | None = None,
    ) -> LoadResult:
        """POST ``body`` to ``url`` from ``clients`` keep-alive connections for ``seconds``, or
        only until ``until_responses`` are back (once ``min_seconds`` have passed). With
        ``variants`` (body, headers), the requests take those in turn instead."""
        assert self._process.stdin is not None and self._process.stdout is not None
        config = {
            "url": url,
            "body": json.dumps(body),
            "headers": headers,
            "clients": clients,
            "seconds": seconds,
            "minResponses": until_responses,
            "minSeconds": min_seconds,
        }
        if variants:
            config["variants"] = [
                {"body": json.dumps(b), "headers": {**headers, **h}} for b, h in variants
            ]
        self._process.stdin.write(json.dumps(config).encode() + b"\n")
        await self._process.stdin.drain()
        line = await self._process.stdout.readline()
        if not line:
            raise RuntimeError("autocannon's driver (bench/drive.cjs) died; its error is above")
        result = json.loads(line)
        errors = sum(int(result[k]) for k in ("non2xx", "errors", "timeouts", "mismatches"))
        return LoadResult(result["latencies"], float(result["seconds"]), errors)

    async def stop(self) -> None:
        """Close its input; it exits when the last run is done."""
        if self._process.stdin is not None:
            self._process.stdin.close()
        try:
            await asyncio.wait_for(self._process.wait(), 10)
        except TimeoutError:
            self._process.kill()
            await self._process.wait()
