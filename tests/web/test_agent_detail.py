"""The agent page: configs (sensitive ones hidden), capabilities with every version, status
history, a chart of a chosen metric, and executions with steps and checkpoints, kept live."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.async_api import expect

from tests.support.api import GraphQLClient
from tests.web import fleet_api
from tests.web.conftest import Demo, Pages
from tests.web.dashboard import open_agent

EXECUTIONS = """
query($id: ID!) { agent(id: $id) { executions(first: 1) { edges { node { id } } } } }
"""


async def test_configs_capabilities_and_history(
    pages: Pages, demo: Demo, api: GraphQLClient
) -> None:
    await fleet_api.set_config(
        api, demo, "Cost Optimizer", key="billing.api_key", value="sk-live-0042", isSensitive=True
    )
    await fleet_api.register_capability(
        api, demo, "Cost Optimizer", name="gpu_cost_analysis", version="2.0.0"
    )
    page = await pages.new()
    await open_agent(page, demo, "Cost Optimizer")

    configs = page.locator("table.configs tbody tr")
    await expect(configs).to_have_count(4)
    await expect(
        page.locator('table.configs tr[data-key="cost_threshold_usd"] td.value')
    ).to_have_text("1000")
    secret = page.locator('table.configs tr[data-key="billing.api_key"]')
    await expect(secret.locator(".badge.sensitive")).to_have_text("Sensitive")
    await expect(secret.locator("td.value code")).to_have_text("••••••••")
    assert "sk-live-0042" not in await page.content()
    await secret.get_by_role("button", name="Reveal billing.api_key").click()
    await expect(secret.locator("td.value code")).to_have_text("sk-live-0042")
    await secret.get_by_role("button", name="Hide billing.api_key").click()
    await expect(secret.locator("td.value code")).to_have_text("••••••••")

    capabilities = page.locator("table.capabilities tbody tr")
    await expect(capabilities.locator("th")).to_have_text(
        [
            "gpu_cost_analysis",
            "gpu_cost_analysis",
            "spot_instance_recommendation",
            "storage_optimization",
        ]
    )
    await expect(capabilities.locator("td.version")).to_have_text(
        ["2.0.0", "1.2.0", "0.9.0", "1.0.0"]
    )
    await expect(page.locator('tr[data-name="spot_instance_recommendation"]')).to_contain_text(
        "Disabled"
    )

    history = await fleet_api.status_cursors(api, demo, "Cost Optimizer")
    items = page.locator("ol.history li")
    await expect(items).to_have_count(len(history))
    assert await items.evaluate_all("items => items.map(i => i.dataset.cursor)") == [
        t["cursor"] for t in history
    ]
    await expect(items.first).to_contain_text("Planning → Executing")
    await expect(items.last).to_contain_text("Spawned → Idle")


async def test_a_chosen_metric_is_charted_from_its_series(
    pages: Pages, demo: Demo, api: GraphQLClient
) -> None:
    values = [3.0, 7.0, 4.0, 9.0, 6.0, 12.0]
    await fleet_api.record_series(
        api, demo, "Cost Optimizer", "queue_depth", values, every=timedelta(minutes=5)
    )
    page = await pages.new()
    await open_agent(page, demo, "Cost Optimizer")
    await page.get_by_label("Metric", exact=True).select_option("queue_depth")
    await page.get_by_label("Range").select_option(label="Last hour")

    chart = page.locator("svg.chart")
    await expect(chart.locator("circle.point")).to_have_count(len(values))
    await expect(chart).to_have_attribute(
        "aria-label", "queue_depth (jobs): 6 buckets, from 3 to 12"
    )
    await expect(page.locator("figcaption")).to_contain_text(
        "6 points · min 3 · max 12 · latest 12 jobs"
    )
    # The highest point is drawn highest (SVG y grows downwards).
    heights = await chart.locator("circle.point").evaluate_all(
        "points => points.map(p => Number(p.getAttribute('cy')))"
    )
    assert heights.index(min(heights)) == values.index(max(values))
    assert heights.index(max(heights)) == values.index(min(values))

    # A seeded metric: one point, recorded when the demo fleet was loaded.
    await page.get_by_label("Metric", exact=True).select_option("average_savings_percent")
    await expect(page.locator("figcaption")).to_contain_text("1 point · min 42.5 · max 42.5")
    await expect(chart.locator("circle.point")).to_have_count(1)


async def test_executions_show_steps_and_checkpoints_and_follow_the_runtime(
    pages: Pages, demo: Demo, api: GraphQLClient
) -> None:
    data = await api.ok(EXECUTIONS, {"id": demo.agents["Cost Optimizer"]}, token=demo.token)
    execution_id = data["agent"]["executions"]["edges"][0]["node"]["id"]
    page = await pages.new()
    await open_agent(page, demo, "Cost Optimizer")
    execution = page.locator(f'details.execution[data-execution-id="{execution_id}"]')
    await expect(execution).to_have_attribute("open", "")
    await expect(execution.locator("summary")).to_contain_text(
        "cost_analysis for customer 550e8400-e29b-41d4-a716-446655440000"
    )
    await expect(execution.locator("summary .badge")).to_have_text("Running")
    step = execution.locator('tr[data-index="0"]')
    await expect(step).to_contain_text("cost_analysis")
    await expect(step.locator(".badge.risk")).to_have_text("Safe risk")
    await expect(step.locator(".step-status")).to_have_text("Running")
    await expect(execution.locator("ol.checkpoints li")).to_have_text(
        [re.compile(r"^plan_created · ")]
    )

    # The runtime reports the step: the page reads the execution again on its event.
    await fleet_api.report_step(api, demo, execution_id, 0)
    await expect(step.locator(".step-status")).to_have_text("Succeeded")
    await expect(step.locator("td.num").last).to_have_text("1")
    await expect(execution.locator("ol.checkpoints li")).to_have_text(
        [re.compile(r"^plan_created · "), re.compile(r"^step_0_completed · ")]
    )
