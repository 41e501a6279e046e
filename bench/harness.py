"""`make bench`: Agentgraph and PostGraphile v5 side by side, in one run, on a database of the
bench's own — the fleet query at N = 10, 100 and 1,000 agents, `{ __typename }`, a signed-in
one-row read, and the hand-written SQL floor, each at 1 and 8 clients after a warm-up; then
what runtimes send (heartbeats, batches, metric ingest: bench/ingest.py), live fan-out to 100
and 1,000 subscribers (and 10,000 in the full bench; at most 2,500 sockets per subscriber
process), idle subscriptions held by one process (2,000 quick, 10,000 full) and
the cold start (bench/fanout.py). `--only` picks groups.

Prints a table (stdout; progress on stderr) and writes bench/results/latest.json. Without Node
and npm nothing can drive the load; without ../shared/peers/postgraphile it measures ours only.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.answers import (
    AnswersDiffer,
    check_fleet_shape,
    check_same_rows,
    check_same_user,
    check_signed_in,
    floor_fleet,
    ours_fleet,
    peer_fleet,
)
from bench.database import start_database, stop_database
from bench.fanout import (
    MOVES,
    AgentMover,
    load_fanout_project,
    measure_cold_start,
    measure_fanout,
    measure_idle,
)
from bench.fleet_data import load_fleets, project_slug
from bench.floor import floor_answer
from bench.ingest import check_ingest, ingest_scenarios, load_ingest_fleet, measure_ingest
from bench.load import (
    Duration,
    LoadGenerator,
    LoadGeneratorMissing,
    ensure_autocannon,
    node_binary,
)
from bench.measure import Bench, Load, Plan, figures, in_turns, log, measure_scenario, server_side
from bench.peer import (
    describe_trigger_relations,
    peer_script,
    peer_unavailable,
    postgraphile_ready,
    postgraphile_version,
    spawn_postgraphile,
)
from bench.report import format_table, write_results
from bench.resources import rss_mb
from bench.scenarios import PROJECT_BY_SLUG, Scenario, fleet_scenario, small_scenarios
from bench.servers import ServerProcess, post, register_bench_user, start_agentgraph
from bench.statements import count_statements
from bench.sustained import measure_sustained

GROUPS = ("reads", "workers", "ingest", "fanout", "coldstart")
WORKERS = 2
QUICK = Plan(
    sizes=[1000],
    clients=[1, 8],
    duration=Duration(
        1, 2, 1, min_requests=10, max_seconds=4, latency_multiple=4, warmup_responses=1
    ),
    count_requests=5,
    quick=True,
    fanout=[100, 1000],
    idle=2000,
    sustained=Load(rate=100, seconds=5, subscribers=200),
)
FULL = Plan(
    sizes=[10, 100, 1000],
    clients=[1, 8],
    duration=Duration(
        3, 10, 3, min_requests=50, max_seconds=30, latency_multiple=8, warmup_responses=2
    ),
    count_requests=9,
    quick=False,
    fanout=[100, 1000, 10_000],
    idle=10_000,
    sustained=Load(rate=1000, seconds=60, subscribers=1000),
)


async def _scenarios(bench: Bench) -> list[Scenario]:
    token = await bench.token()
    scenarios = []
    for size in bench.plan.sizes:
        answer = await post(
            bench.ours.url,
            {"query": PROJECT_BY_SLUG, "variables": {"slug": project_slug(size)}},
            token,
        )
        our_id = answer["data"]["projectBySlug"]["id"]
        scenarios.append(fleet_scenario(size, our_id, str(bench.projects[size])))
    return scenarios + small_scenarios()


async def _check_answers(bench: Bench, scenarios: list[Scenario]) -> None:
    """Before measuring: every side answers with the same rows, or nothing is measured."""
    token = await bench.token()
    for scenario in scenarios:
        ours = await post(bench.ours.url, scenario.ours, token if scenario.signed_in else None)
        peer = await post(bench.peer.url, scenario.peer) if bench.peer and scenario.peer else None
        if scenario.fleet_size is not None:
            size = scenario.fleet_size
            floor = floor_fleet(await floor_answer(bench.database.dsn, bench.projects[size]))
            check_fleet_shape(floor, size)
            mine = ours_fleet(ours)
            check_same_rows(floor, mine, f"Agentgraph vs floor, N={size}")
            if peer is not None:
                check_same_rows(mine, peer_fleet(peer), f"PostGraphile vs Agentgraph, N={size}")
        elif scenario.name == "one_row":
            check_signed_in(ours, bench.credentials[0])
            if peer is not None:
                check_same_user(ours, peer)
        elif scenario.name == "typename":
            for name, answer in (("Agentgraph", ours), ("PostGraphile", peer)):
                if answer is not None and answer.get("data") != {"__typename": "Query"}:
                    raise AnswersDiffer(f"{name} answered {{ __typename }} with {answer}")
    log("row check passed: every side answers with the same rows")


def _context(plan: Plan, peer: dict[str, Any]) -> dict[str, Any]:
    node = node_binary()
    node_version = (
        subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip()
        if node
        else None
    )
    d = plan.duration
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    return {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": plan.quick,
        "plan": {
            "fleet_sizes": plan.sizes,
            "clients": plan.clients,
            **asdict(plan.duration),
            "statement_count_requests": plan.count_requests,
        },
        "machine": {
            "cpus": os.cpu_count(),
            "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
            "python": platform.python_version(),
            "node": node_version,
            "note": "shared machine: other work runs beside the bench; compare within one run",
        },
        "peer": peer,
        "note": (
            f"One run. Per side and client count: {d.warmup_s:g} s warm-up, then {d.seconds:g} s "
            f"(up to {d.max_seconds:g} s to reach {d.min_requests} responses, and at least "
            f"{d.latency_multiple:g} response times a round) in {d.rounds} round(s) taken in turn "
            f"with the other sides; req/s is the median round. Servers and load "
            f"generator share {os.cpu_count()} CPUs; load average at the end {load}."
        ),
    }


async def _measure_reads(bench: Bench) -> list[dict[str, Any]]:
    if bench.peer is not None:
        await postgraphile_ready(bench.peer)
    scenarios = await _scenarios(bench)
    await _check_answers(bench, scenarios)
    rows = []
    for scenario in scenarios:
        rows += await measure_scenario(bench, scenario)
    return rows


async def _measure_workers(bench: Bench, workdir: Path) -> list[dict[str, Any]]:
    """The fleet query of the largest fleet at 8 clients, served by `serve --workers 2`."""
    size = max(bench.plan.sizes)
    log(f"starting agentgraph serve --workers {WORKERS} on the same database")
    server = await start_agentgraph(
        bench.database.url, workdir, WORKERS, bench.ours.env["AGENTGRAPH_SECRET_KEY"]
    )
    try:
        (scenario,) = [s for s in await _scenarios(bench) if s.fleet_size == size]
        token = await bench.token()
        side = server_side(bench, server, scenario.ours, token)
        bench.steps_done += 1
        log(
            f"[{bench.steps_done}/{bench.steps_total}] {scenario.label}, 8 clients, {WORKERS} workers"
        )
        results = await in_turns([side], 8, bench.plan.duration)
        sql = await count_statements(bench.database.dsn, side.send_one, bench.plan.count_requests)
    finally:
        server.stop()
    return [{
        "scenario": f"{scenario.name}_workers_{WORKERS}",
        "label": f"fleet N={size:,}, {WORKERS} workers",
        "clients": 8,
        "agentgraph": figures(results[side.key], sql, f"autocannon over HTTP, serve --workers {WORKERS}"),
        "postgraphile": None, "floor": None, "ratio_vs_peer": None, "ratio_vs_floor": None,
    }]  # fmt: skip


async def _measure_ingest(bench: Bench) -> list[dict[str, Any]]:
    log("making the ingest project (800 agents) and 8 agent tokens")
    fleet = await load_ingest_fleet(bench)
    scenarios = ingest_scenarios(fleet, await bench.token())
    await check_ingest(bench, scenarios)
    return [await measure_ingest(bench, scenario) for scenario in scenarios]


async def _measure_live(bench: Bench, groups: set[str], workdir: Path) -> dict[str, Any]:
    live: dict[str, Any] = {}
    if "fanout" in groups:
        project, agent = await load_fanout_project(bench)
        mover = AgentMover(bench.ours.url, agent)
        # Idle first, on a server that has held no socket yet: memory freed by sockets that
        # closed is reused by the next ones, so a figure taken after a bigger scenario is low.
        log(f"idle: {bench.plan.idle:,} subscriptions held by one process")
        live["idle"] = await measure_idle(bench, bench.plan.idle, project, mover)
        live["fanout"] = []
        held = bench.plan.idle
        for count in bench.plan.fanout:
            log(f"fan-out: {count:,} subscribers (processes of their own), {MOVES} moves")
            live["fanout"].append(await measure_fanout(bench, count, project, mover, held))
            held = max(held, count)
        load = bench.plan.sustained
        log(
            f"sustained: {load.rate:,} moves/s for {load.seconds} s, {load.subscribers:,} subscribers"
        )
        live["sustained"] = await measure_sustained(bench, load)
    if "coldstart" in groups:
        live["cold_start"] = await measure_cold_start(bench, workdir)
    return live


async def run(plan: Plan, with_peer: bool, groups: set[str] | None = None) -> dict[str, Any]:
    """Start everything, check the answers, measure, stop everything; the results."""
    groups = set(GROUPS) if groups is None else groups
    with_peer = with_peer and "reads" in groups
    autocannon = ensure_autocannon(log)
    reason = peer_unavailable() if with_peer else "turned off (--no-peer)"
    if reason:
        log(f"PostGraphile will not be measured: {reason}")
    workdir = Path(tempfile.mkdtemp(prefix="agentgraph-bench-"))
    log(f"starting a PostgreSQL of its own in {workdir} (pg_stat_statements preloaded)")
    database = await start_database(workdir)
    ours: ServerProcess | None = None
    peer: ServerProcess | None = None
    load_generator = await LoadGenerator.start(autocannon)
    try:
        log("starting agentgraph serve (one uvicorn worker, AGENTGRAPH_ENV=production)")
        ours = await start_agentgraph(database.url, workdir)
        started_rss = {"agentgraph": round(rss_mb(ours.pid), 1)}
        credentials = await register_bench_user(ours.url)
        if reason is None:
            log(f"starting PostGraphile v5 ({peer_script()}; its first run installs it)")
            await describe_trigger_relations(database.dsn)
            peer = spawn_postgraphile(database.dsn, workdir)
        sizes = plan.sizes if groups & {"reads", "workers"} else []
        log(f"loading fleets of {', '.join(map(str, sizes))} agents "
            "(12 configs, 3 capability versions, 200 metric points each)")  # fmt: skip
        projects = await load_fleets(database.dsn, credentials[0], sizes)
        if peer is not None:
            await postgraphile_ready(peer)
            started_rss["postgraphile"] = round(rss_mb(peer.pid), 1)
        bench = Bench(plan, database, load_generator, ours, peer, credentials, projects)
        reads = len(sizes) + len(small_scenarios()) if "reads" in groups else 0
        bench.steps_total = (
            reads * len(plan.clients) + ("workers" in groups) + 3 * ("ingest" in groups)
        )
        rows = await _measure_reads(bench) if "reads" in groups else []
        if "workers" in groups:
            rows += await _measure_workers(bench, workdir)
        if "ingest" in groups:
            rows += await _measure_ingest(bench)
        live = await _measure_live(bench, groups, workdir)
        results = _context(plan, {
            "measured": peer is not None,
            "reason": reason,
            "postgraphile": postgraphile_version() if peer else None,
        })  # fmt: skip
        results["rss_after_start_mb"] = started_rss
        results["groups"] = sorted(groups)
        results["rows"] = rows
        results["live"] = live
        return results
    finally:
        log("stopping the servers and the database")
        await load_generator.stop()
        for server in (peer, ours):
            if server is not None:
                server.stop()
        stop_database(database)
        shutil.rmtree(workdir, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="N = 1,000 only, short runs, one round (< 2 min)"
    )
    parser.add_argument("--seconds", type=float, help="measured seconds per side and client count")
    parser.add_argument("--warmup", type=float, help="warm-up seconds per side and client count")
    parser.add_argument("--sizes", help="fleet sizes, e.g. 10,100,1000")
    parser.add_argument("--no-peer", action="store_true", help="measure Agentgraph only")
    parser.add_argument(
        "--sustained-rate", type=int, help="moves a second the sustained load asks for"
    )
    parser.add_argument(
        "--only", help=f"comma-separated groups to measure, of {','.join(GROUPS)} (default: all)"
    )
    args = parser.parse_args(argv)
    groups = set(args.only.split(",")) if args.only else set(GROUPS)
    if groups - set(GROUPS):
        parser.error(f"--only: unknown group(s) {','.join(sorted(groups - set(GROUPS)))}")
    base = QUICK if args.quick else FULL
    duration = replace(
        base.duration,
        warmup_s=base.duration.warmup_s if args.warmup is None else args.warmup,
        seconds=base.duration.seconds if args.seconds is None else args.seconds,
        max_seconds=max(base.duration.max_seconds, args.seconds or 0),
    )
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else base.sizes
    sustained = replace(base.sustained, rate=args.sustained_rate or base.sustained.rate)
    plan = replace(base, sizes=sizes, duration=duration, sustained=sustained)
    try:
        results = asyncio.run(run(plan, with_peer=not args.no_peer, groups=groups))
    except (LoadGeneratorMissing, AnswersDiffer) as error:
        print(f"bench: {error}", file=sys.stderr)
        sys.exit(1)
    print(format_table(results))
    log(f"wrote {write_results(results)}")


if __name__ == "__main__":
    main()
