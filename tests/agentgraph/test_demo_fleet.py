"""The demo fleet of SPEC §9: exact seed counts, statuses reached through recorded chains,
idempotent, and readable in one GraphQL request."""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy import text
from starlette.applications import Starlette

from agentgraph.demo import DEMO_ADMIN_EMAIL, load_demo_fleet
from agentgraph.settings import Settings
from tests.support import factories
from tests.support.api import GraphQLClient

DEMO = """
query { projectBySlug(slug: "demo") {
  agentStats { totalInstances activeInstances idleInstances errorInstances }
  agents(first: 10) { totalCount edges { node {
    name status agentType { slug }
    state { currentWorkflow errorCount lastError resourceLocks }
    configs { key value valueType typedValue masked }
    capabilities { name version enabled parameters }
    metrics(first: 10) { totalCount edges { node { name value unit tags } } }
    statusHistory(first: 20) { edges { node { fromStatus toStatus } } }
  } } }
} }
"""


async def _counts(app: Starlette) -> dict[str, int]:
    tables = [
        "agent_configs",
        "agent_states",
        "agent_capabilities",
        "agent_metrics",
        "agents",
        "agent_types",
    ]
    async with app.state.services.database.read() as conn:
        return {
            t: (await conn.execute(text(f"SELECT count(*) FROM {t}"))).scalar_one() for t in tables
        }


async def test_the_demo_fleet_has_the_seeds_values(
    app: Starlette, api: GraphQLClient, database_url: str, settings: Settings
) -> None:
    lines: list[str] = []
    assert await load_demo_fleet(database_url, settings, report=lines.append)
    assert any("password" in line for line in lines)
    assert await _counts(app) == {
        "agent_configs": 12, "agent_states": 4, "agent_capabilities": 11, "agent_metrics": 12,
        "agents": 4, "agent_types": 4,
    }  # fmt: skip

    # A second run changes nothing and says so.
    again: list[str] = []
    assert not await load_demo_fleet(database_url, settings, report=again.append)
    assert "nothing changed" in again[0]
    assert (await _counts(app))["agent_configs"] == 12

    password = next(line.rsplit(" ", 1)[1] for line in lines if "password" in line)
    admin = await factories.login(api, DEMO_ADMIN_EMAIL, password)
    data = await api.ok(DEMO, token=admin["token"])
    project = data["projectBySlug"]
    agents = {e["node"]["name"]: e["node"] for e in project["agents"]["edges"]}
    assert set(agents) == {
        "Cost Optimizer",
        "Performance Tuner",
        "Resource Allocator",
        "Application Monitor",
    }
    assert {n: a["status"] for n, a in agents.items()} == {
        "Cost Optimizer": "EXECUTING", "Performance Tuner": "IDLE",
        "Resource Allocator": "EXECUTING", "Application Monitor": "ERROR",
    }  # fmt: skip
    assert sum(len(a["configs"]) for a in agents.values()) == 12
    assert sum(len(a["capabilities"]) for a in agents.values()) == 11
    assert sum(a["metrics"]["totalCount"] for a in agents.values()) == 12
    assert project["agentStats"] == {
        "totalInstances": 4,
        "activeInstances": 3,
        "idleInstances": 1,
        "errorInstances": 1,
    }

    cost = agents["Cost Optimizer"]
    assert (len(cost["configs"]), len(cost["capabilities"]), cost["metrics"]["totalCount"]) == (
        3,
        3,
        3,
    )
    assert {c["key"]: (c["valueType"], c["typedValue"]) for c in cost["configs"]} == {
        "check_interval_minutes": ("FLOAT", 60.0),
        "cost_threshold_usd": ("FLOAT", 1000.0),
        "savings_threshold_percent": ("FLOAT", 15.0),
    }
    spot = next(c for c in cost["capabilities"] if c["name"] == "spot_instance_recommendation")
    assert spot == {"name": "spot_instance_recommendation", "version": "0.9.0", "enabled": False,
                    "parameters": {"max_spot_percentage": 70, "fallback_strategy": "on_demand"}}  # fmt: skip
    savings = next(
        m["node"]
        for m in cost["metrics"]["edges"]
        if m["node"]["name"] == "total_savings_identified_usd"
    )
    assert savings["value"] == 125000.0 and savings["unit"] == "usd"
    assert savings["tags"] == {
        "period": "last_30_days",
        "customers_analyzed": 5,
        "recommendations_generated": 12,
    }
    assert cost["state"]["resourceLocks"] == ["gpu_cluster_1", "billing_data"]
    assert agents["Application Monitor"]["state"]["errorCount"] == 3
    assert agents["Resource Allocator"]["state"]["errorCount"] == 1

    for agent in agents.values():
        chain = [e["node"] for e in reversed(agent["statusHistory"]["edges"])]
        assert chain[0] == {"fromStatus": None, "toStatus": "IDLE"}
        for before, after in itertools.pairwise(chain):
            assert after["fromStatus"] == before["toStatus"]
        assert chain[-1]["toStatus"] == agent["status"]


async def test_serve_demo_leaves_a_database_with_other_projects_alone(
    api: GraphQLClient, database_url: str, settings: Settings, app: Starlette
) -> None:
    owner = await factories.register(api)
    await factories.create_project(api, owner["token"])
    lines: list[Any] = []
    assert not await load_demo_fleet(
        database_url, settings, report=lines.append, only_if_empty=True
    )
    assert "not loaded" in lines[0]
    assert (await _counts(app))["agents"] == 0
