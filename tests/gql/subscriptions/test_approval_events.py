"""approvalEvents: requests and decisions arrive live with the approval and execution nested,
and replay from a cursor; agentEvents filters by kind."""

from __future__ import annotations

import pytest

from tests.gql.execution_helpers import Runtime, step, waiting_execution
from tests.gql.subscriptions.conftest import World
from tests.support.api import GraphQLClient
from tests.support.ws import PROTOCOLS, WSClient

APPROVALS = """
subscription($project: ID, $after: String) {
  approvalEvents(projectId: $project, after: $after) {
    cursor kind agent { name status }
    approval { status reason step { index tool status } }
    execution { status }
  }
}
"""


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_requests_and_decisions_arrive_and_replay(
    api: GraphQLClient, world: World, live_url: str, protocol: str
) -> None:
    token = world.owner["token"]
    agent = await world.spawn(api, "Careful")
    runtime = Runtime(api, token)
    client = await WSClient.open(live_url, protocol, token=token)
    try:
        await client.subscribe(APPROVALS, {"project": world.project_id})
        await client.expect_silence(0.2)
        _, approval_id = await waiting_execution(runtime, agent["id"], [step("deploy", "HIGH")])
        requested = await client.next_event("approvalEvents")
        assert requested["kind"] == "APPROVAL_REQUESTED"
        assert requested["approval"]["status"] == "PENDING"
        assert requested["approval"]["step"] == {
            "index": 0,
            "tool": "deploy",
            "status": "AWAITING_APPROVAL",
        }
        assert requested["agent"] == {"name": "Careful", "status": "WAITING_APPROVAL"}

        await runtime.approve(approval_id, "looks fine")
        decided = await client.next_event("approvalEvents")
        assert decided["kind"] == "APPROVAL_DECIDED"
        assert (
            decided["approval"]["status"] == "APPROVED"
            and decided["approval"]["reason"] == "looks fine"
        )
        assert decided["execution"]["status"] == "RUNNING"
        await client.expect_silence(0.3)  # status and execution events are not approval events
    finally:
        await client.close()

    replay = await WSClient.open(live_url, protocol, token=token)
    try:
        await replay.subscribe(
            APPROVALS, {"project": world.project_id, "after": str(int(requested["cursor"]) - 1)}
        )
        again = await replay.events("approvalEvents", 2)
        assert [e["cursor"] for e in again] == [requested["cursor"], decided["cursor"]]
    finally:
        await replay.close()


async def test_agent_events_filters_by_kind(
    api: GraphQLClient, world: World, live_url: str
) -> None:
    token = world.owner["token"]
    agent = await world.spawn(api)
    runtime = Runtime(api, token)
    client = await WSClient.open(live_url, PROTOCOLS[0], token=token)
    try:
        await client.subscribe(
            "subscription($a: ID!) { agentEvents(agentId: $a, kinds: [EXECUTION_UPDATED, STATUS_CHANGED]) { kind toStatus execution { status } } }",
            {"a": agent["id"]},
        )
        await client.expect_silence(0.2)
        started = await runtime.start(agent["id"])
        await runtime.submit(started["id"], [step("scan")])
        kinds = [(await client.next_event("agentEvents"))["kind"] for _ in range(2)]
        assert set(kinds) <= {"EXECUTION_UPDATED", "STATUS_CHANGED"}
        assert "STATUS_CHANGED" in kinds
    finally:
        await client.close()
