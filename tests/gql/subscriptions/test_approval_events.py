"""approvalEvents: requests and decisions arrive live with the approval and execution nested,
and replay from a cursor; agentEvents filters by kind."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette

from tests.gql.execution_helpers import Runtime, step, waiting_execution
from tests.gql.subscriptions.conftest import World
from tests.support.api import GraphQLClient
from tests.support.waiting import registered
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
    api: GraphQLClient, world: World, live_url: str, app: Starlette, protocol: str
) -> None:
    token = world.owner["token"]
    agent = await world.spawn(api, "Careful")
    runtime = Runtime(api, token)
    client = await WSClient.open(live_url, protocol, token=token)
    try:
        async with registered(app):
            await client.subscribe(APPROVALS, {"project": world.project_id})
        planned, approval_id = await waiting_execution(
            runtime, agent["id"], [step("deploy", "HIGH"), step("notify", "HIGH")]
        )
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
        # The step runs and the next one asks: status and execution events come in between, but
        # only approval events reach this subscription, so the next one is that request.
        await runtime.report(planned["id"], 0)
        second = await client.next_event("approvalEvents")
        assert second["kind"] == "APPROVAL_REQUESTED"
        assert second["approval"]["step"]["index"] == 1
    finally:
        await client.close()

    replay = await WSClient.open(live_url, protocol, token=token)
    try:
        await replay.subscribe(
            APPROVALS, {"project": world.project_id, "after": str(int(requested["cursor"]) - 1)}
        )
        again = await replay.events("approvalEvents", 3)
        assert [e["cursor"] for e in again] == [c["cursor"] for c in (requested, decided, second)]
    finally:
        await replay.close()


async def test_agent_events_filters_by_kind(
    api: GraphQLClient, world: World, live_url: str, app: Starlette
) -> None:
    token = world.owner["token"]
    agent = await world.spawn(api)
    runtime = Runtime(api, token)
    wanted = {"EXECUTION_UPDATED", "STATUS_CHANGED"}
    client = await WSClient.open(live_url, PROTOCOLS[0], token=token)
    try:
        async with registered(app):
            await client.subscribe(
                "subscription($a: ID!) { agentEvents(agentId: $a, kinds: [EXECUTION_UPDATED, STATUS_CHANGED]) { kind toStatus } }",
                {"a": agent["id"]},
            )
        # Excluded kinds first (events arrive in commit order, so they would come first) ...
        await api.ok(
            'mutation($a: ID!) { updateAgentState(input: {agentId: $a, currentWorkflow: "w"}) { revision } }',
            {"a": agent["id"]},
            token=token,
        )
        await api.ok(
            "mutation($a: ID!) { heartbeat(input: {agentId: $a}) { id } }",
            {"a": agent["id"]},
            token=token,
        )
        # ... then a mix (an approval request among them), and a pause to end on.
        started = await runtime.start(agent["id"])
        await runtime.submit(started["id"], [step("deploy", "HIGH")])
        await api.ok(
            "mutation($a: ID!) { pauseAgent(input: {id: $a}) { agent { id } } }",
            {"a": agent["id"]},
            token=token,
        )
        seen = []
        while not seen or seen[-1] != ("STATUS_CHANGED", "PAUSED"):
            event = await client.next_event("agentEvents")
            seen.append((event["kind"], event["toStatus"]))
        assert {kind for kind, _ in seen} == wanted, seen
        assert [to for kind, to in seen if kind == "STATUS_CHANGED"] == [
            "PLANNING", "WAITING_APPROVAL", "PAUSED",
        ]  # fmt: skip
    finally:
        await client.close()
