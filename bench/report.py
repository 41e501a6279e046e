"""The bench's outputs: a table on stdout and bench/results/latest.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results" / "latest.json"

_SIDES = (
    ("agentgraph", "agentgraph"),
    ("postgraphile", "postgraphile"),
    ("floor", "floor (SQL)"),
)
_HEADER = (
    f"{'scenario':<24} {'cl':>2}  {'server':<12} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
    f"{'SQL/req':>9} {'RSS MB idle>peak':>17} {'err':>4} {'vs peer':>8} {'vs floor':>8} "
    f"{'CPU ms/req':>10} {'units/s':>9}"
)


def _rss(figures: dict[str, Any]) -> str:
    if figures["idle_rss_mb"] is None:
        return "-"
    return f"{figures['idle_rss_mb']:.0f} > {figures['peak_rss_mb']:.0f}"


def _sql(figures: dict[str, Any]) -> str:
    return f"{figures['sql_per_request']} ({figures['sql_queries_per_request']})"


def _times(ratio: float | None) -> str:
    return f"{ratio:.2g}x" if ratio is not None else ""


def _cpu(figures: dict[str, Any]) -> str:
    cpu = figures.get("cpu_ms_per_request")
    return f"{cpu:.2f}" if cpu is not None else ""


def _units(figures: dict[str, Any]) -> str:
    units = figures.get("units_per_s")
    return f"{units:,.0f}" if units is not None else ""


def _kb(figure: float | None) -> str:
    return "-" if figure is None else f"{figure:.1f}"


def _live(live: dict[str, Any]) -> list[str]:
    lines = []
    if live.get("fanout"):
        lines += [
            "",
            f"{'fan-out':<24} {'subs':>5} {'delivered':>11} {'lost':>5} {'dup':>4} "
            f"{'p50 ms':>8} {'p99 ms':>8} {'KB/idle sub':>12} {'open s':>7}",
        ]
        for f in live["fanout"]:
            moves = f"{f['moves']} lifecycle moves"
            lines.append(
                f"{moves:<24} {f['subscribers']:>5} "
                f"{f['delivered']:>5}/{f['expected']:<5} {f['lost']:>5} {f['duplicated']:>4} "
                f"{f['p50_ms']:>8.1f} {f['p99_ms']:>8.1f} {_kb(f['kb_per_idle_subscription']):>12} "
                f"{f['open_s']:>7.1f}"
            )
    if live.get("idle"):
        i = live["idle"]
        lines += [
            "",
            f"idle subscriptions held by one process: {i['held']:,} of {i['subscriptions']:,}; "
            f"RSS {i['rss_before_mb']:.0f} -> {i['rss_after_mb']:.0f} MB, "
            f"{i['kb_per_subscription']:.1f} KB each (opened in {i['open_s']:.1f} s)",
        ]
    if live.get("sustained"):
        u = live["sustained"]
        lines += [
            "",
            f"sustained durable load: {u['moves_per_s']:,.0f} moves/s (asked {u['rate']:,}) for "
            f"{u['seconds']} s ({u['moves']:,} of {u.get('asked', u['moves']):,} moves made by "
            f"then), {u['subscribers']:,} subscribers: {u['delivered']:,}/"
            f"{u['expected']:,} delivered, {u['lost']} lost, {u['duplicated']} duplicated, "
            f"p50 {u['p50_ms']:.1f} ms, p99 {u['p99_ms']:.1f} ms; each move answered in "
            f"p50 {u['move_p50_ms']:.1f} ms, p99 {u['move_p99_ms']:.1f} ms; server CPU "
            f"{u['server_cpu_ms_per_move']:.1f} ms a move, {100 * u['server_cpu_share']:.0f}% "
            f"of a core while moving",
        ]
    if live.get("cold_start"):
        lines += ["", f"cold start (serve to the first answer): {live['cold_start']['seconds']} s"]
    return lines


def format_table(results: dict[str, Any]) -> str:
    """The rows of ``results`` as a fixed-width table (one line per server and client count)."""
    lines = [_HEADER, "-" * len(_HEADER)]
    for row in results["rows"]:
        first = True
        for key, name in _SIDES:
            figures = row.get(key)
            if not figures:
                continue
            ours = key == "agentgraph"
            lines.append(
                f"{row['label'] if first else '':<24} {row['clients'] if first else '':>2}  "
                f"{name:<12} {figures['req_per_s']:>8.1f} {figures['p50_ms']:>8.1f} "
                f"{figures['p99_ms']:>8.1f} {_sql(figures):>9} {_rss(figures):>17} "
                f"{figures['errors']:>4} {_times(row['ratio_vs_peer'] if ours else None):>8} "
                f"{_times(row['ratio_vs_floor'] if ours else None):>8} "
                f"{_cpu(figures):>10} {_units(figures):>9}"
            )
            first = False
    notes = [
        *_live(results.get("live", {})),
        "",
        f"{results['note']}",
        "vs peer, vs floor: our req/s / theirs. SQL/req: statements PostgreSQL ran for a single "
        "request (pg_stat_statements; the fewest over several requests, as the servers' background "
        "work adds to some); in brackets without BEGIN/COMMIT/ROLLBACK.",
        "The floor is one hand-written statement run through asyncpg from the bench process "
        "(no HTTP, no GraphQL); its RSS is PostgreSQL's, not measured.",
        "CPU ms/req: the server's CPU time over the rounds per response (steadier than req/s on "
        "a shared machine). units/s: heartbeats or metric points a second (req/s times the batch). Fan-out: commit "
        "(the event's time) to receipt, measured by the clients. Idle subscriptions are "
        "measured first, on a server that held no socket before; a fan-out row's KB/idle sub "
        "is '-' when the server held as many sockets before (their freed memory is reused).",
    ]
    if not results["peer"]["measured"]:
        notes.append(f"PostGraphile not measured: {results['peer']['reason']}")
    return "\n".join(line.rstrip() for line in lines + notes)


def write_results(results: dict[str, Any], path: Path = RESULTS) -> Path:
    """Write ``results`` as JSON (the directory is git-ignored)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n")
    return path
