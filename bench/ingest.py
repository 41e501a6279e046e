"""What agent runtimes send, under load: single heartbeats from agent tokens (each runtime beats
for its own agent), heartbeat batches of 100 from the owner, and metric ingest in batches of
1,000 points from 4 writers (each an agent token, writing its own agent's points).

The rows go into the same table as the reads; `units/s` says beats or points a second.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg

from bench.fleet_data import load_fleet
from bench.load import LoadResult
from bench.measure import Bench, Side, figures, in_turns, log
from bench.servers import post
from bench.statements import count_statements
from gql.ids import to_global_id

INGEST_SLUG = "bench-ingest"
INGEST_AGENTS = 800  # 8 batches of 100 different agents: batches rarely wait on each other
HEARTBEAT_CLIENTS = 8
METRIC_WRITERS = 4
BATCH_BEATS = 100
BATCH_POINTS = 1000

HEARTBEAT = """
mutation Beat($input: HeartbeatInput!) { heartbeat(input: $input) { id lastHeartbeatAt } }
"""
HEARTBEATS = (
    "mutation Beats($inputs: [HeartbeatInput!]!) { heartbeats(inputs: $inputs) { accepted } }"
)
RECORD_METRICS = """
mutation Record($agent: ID!, $metrics: [MetricInput!]!) {
  recordMetrics(agentId: $agent, metrics: $metrics) { accepted }
}
"""
CREATE_AGENT_TOKEN = """
mutation Token($agent: ID!) { createAgentToken(agentId: $agent, name: "bench") { token } }
"""

Variant = tuple[dict[str, Any], dict[str, str]]


@dataclass(frozen=True)
class IngestFleet:
    """The ingest project's agents (global ids) and one agent token for each of the first few."""

    agent_ids: list[str]
    agent_tokens: list[str]  # agent_tokens[i] acts as agent_ids[i]


@dataclass(frozen=True)
class IngestScenario:
    name: str
    label: str
    clients: int
    units: int  # beats or points per request
    variants: list[Variant]  # taken in turn by the requests


async def load_ingest_fleet(bench: Bench) -> IngestFleet:
    """A project of 100 agents of its own (so beats never touch the fleets the reads measure),
    with agent tokens made through the API, as an operator makes them."""
    conn = await asyncpg.connect(bench.database.dsn)
    try:
        owner = await conn.fetchval("SELECT id FROM users WHERE email = $1", bench.credentials[0])
        project = await load_fleet(conn, owner, INGEST_AGENTS, slug=INGEST_SLUG)
        rows = await conn.fetch(
            "SELECT id FROM agents WHERE project_id = $1 ORDER BY name", project
        )
    finally:
        await conn.close()
    agent_ids = [to_global_id("Agent", row["id"]) for row in rows]
    token = await bench.token()
    tokens = []
    for agent in agent_ids[: max(HEARTBEAT_CLIENTS, METRIC_WRITERS)]:
        made = await post(
            bench.ours.url, {"query": CREATE_AGENT_TOKEN, "variables": {"agent": agent}}, token
        )
        if made.get("errors"):
            raise RuntimeError(f"createAgentToken failed: {made['errors']}")
        tokens.append(made["data"]["createAgentToken"]["token"])
    return IngestFleet(agent_ids, tokens)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def metric_points(count: int) -> list[dict[str, Any]]:
    """``count`` points of 4 named metrics, with units and tags, as a runtime reports them."""
    return [
        {"name": f"latency_{i % 4}", "value": float(i), "unit": "ms", "tags": {"region": "eu"}}
        for i in range(count)
    ]


def ingest_scenarios(fleet: IngestFleet, owner_token: str) -> list[IngestScenario]:
    """The three ingest scenarios, their request bodies built once."""
    single = [
        (
            {
                "query": HEARTBEAT,
                "variables": {"input": {"agentId": agent, "resourceUsage": {"cpu": 0.5}}},
            },
            _bearer(token),
        )
        for agent, token in zip(
            fleet.agent_ids, fleet.agent_tokens[:HEARTBEAT_CLIENTS], strict=False
        )
    ]
    beats = [{"agentId": agent, "resourceUsage": {"cpu": 0.5}} for agent in fleet.agent_ids]
    batches = [
        (
            {"query": HEARTBEATS, "variables": {"inputs": beats[at : at + BATCH_BEATS]}},
            _bearer(owner_token),
        )
        for at in range(0, len(beats), BATCH_BEATS)
    ]
    points = metric_points(BATCH_POINTS)
    writers = [
        (
            {"query": RECORD_METRICS, "variables": {"agent": agent, "metrics": points}},
            _bearer(token),
        )
        for agent, token in zip(fleet.agent_ids, fleet.agent_tokens[:METRIC_WRITERS], strict=False)
    ]
    return [
        IngestScenario("heartbeat", "heartbeat, agent tokens", HEARTBEAT_CLIENTS, 1, single),
        IngestScenario(
            "heartbeats_100", f"heartbeats x{BATCH_BEATS}", HEARTBEAT_CLIENTS, BATCH_BEATS, batches
        ),
        IngestScenario(
            "record_metrics_1000",
            f"recordMetrics x{BATCH_POINTS}",
            METRIC_WRITERS,
            BATCH_POINTS,
            writers,
        ),
    ]


def _side(bench: Bench, scenario: IngestScenario) -> Side:
    async def load(clients: int, seconds: float, until: int, at_least: float) -> LoadResult:
        return await bench.load_generator.drive(
            bench.ours.url, {}, {}, clients, seconds, until, at_least, variants=scenario.variants
        )

    async def send_one() -> None:
        body, headers = scenario.variants[0]
        token = headers["Authorization"].removeprefix("Bearer ")
        answer = await post(bench.ours.url, body, token)
        if answer.get("errors") or "data" not in answer:
            raise RuntimeError(f"agentgraph answered with errors: {answer.get('errors')}")

    return Side("agentgraph", load, send_one, bench.ours.pid, "autocannon over HTTP")


async def check_ingest(bench: Bench, scenarios: list[IngestScenario]) -> None:
    """Before measuring: every variant is accepted in full (no errors, every unit written)."""
    for scenario in scenarios:
        for body, headers in scenario.variants:
            token = headers["Authorization"].removeprefix("Bearer ")
            answer = await post(bench.ours.url, body, token)
            data = answer.get("data") or {}
            if answer.get("errors") or not data:
                raise RuntimeError(f"{scenario.label}: {answer.get('errors')}")
            written = next(iter(data.values()))
            accepted = written.get("accepted", 1) if isinstance(written, dict) else 0
            if accepted != scenario.units:
                raise RuntimeError(f"{scenario.label}: accepted {accepted} of {scenario.units}")


async def measure_ingest(bench: Bench, scenario: IngestScenario) -> dict[str, Any]:
    """One row (the scenario's own client count), with units a second beside req/s."""
    bench.steps_done += 1
    log(
        f"[{bench.steps_done}/{bench.steps_total}] {scenario.label}, {scenario.clients} clients: "
        f"agentgraph; warm-up, then {bench.plan.duration.rounds} round(s)"
    )
    side = _side(bench, scenario)
    results = await in_turns([side], scenario.clients, bench.plan.duration)
    sql = await count_statements(bench.database.dsn, side.send_one, bench.plan.count_requests)
    ours = figures(results[side.key], sql, side.via)
    ours["units_per_request"] = scenario.units
    ours["units_per_s"] = round(ours["req_per_s"] * scenario.units, 1)
    return {
        "scenario": scenario.name,
        "label": scenario.label,
        "clients": scenario.clients,
        "agentgraph": ours,
        "postgraphile": None,
        "floor": None,
        "ratio_vs_peer": None,
        "ratio_vs_floor": None,
    }
