"""Approvals nobody decides in time expire: the sweeper records it as a rejection by the clock."""

from __future__ import annotations

import asyncio

from sqlalchemy import text
from starlette.applications import Starlette

from gql.ids import from_global_id
from tests.gql.conftest import World
from tests.gql.execution_helpers import Runtime, step, waiting_execution
from tests.support.api import GraphQLClient


async def test_the_sweeper_expires_overdue_approvals(
    api: GraphQLClient, world: World, app: Starlette
) -> None:
    runtime = Runtime(api, world.owner["token"])
    agent = await world.spawn(api, "Forgotten")
    planned, approval_id = await waiting_execution(
        runtime, agent["id"], [step("deploy", "HIGH"), step("notify")]
    )
    # Time passes (the request was made 25 hours ago, by the database's clock).
    async with app.state.services.database.transaction() as conn:
        await conn.execute(
            text(
                "UPDATE approvals SET requested_at = now() - interval '25 hours', expires_at = now() - interval '1 hour' WHERE id = :id"
            ),
            {"id": from_global_id(approval_id, "Approval")},
        )
    # The server's own sweeper (every few seconds) notices.
    execution = planned
    for _ in range(100):
        execution = await runtime.execution(planned["id"])
        if execution["status"] == "FAILED":
            break
        await asyncio.sleep(0.1)
    assert execution["status"] == "FAILED" and execution["error"] == "approval expired"
    assert [s["status"] for s in execution["steps"]] == ["REJECTED", "SKIPPED"]
    assert execution["steps"][0]["approval"]["status"] == "EXPIRED"
    assert (await runtime.agent(agent["id"]))["status"] == "IDLE"
    late = await api.execute(
        "mutation($id: ID!) { approve(id: $id) { id } }",
        {"id": approval_id},
        token=world.owner["token"],
    )
    assert late.code == "CONFLICT"
