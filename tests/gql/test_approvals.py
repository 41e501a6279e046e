"""Approvals through the API (SPEC §4): decided exactly once, by the project's owner (or a
superuser) only, never by an agent; an expired request counts as rejected."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from sqlalchemy import text
from starlette.applications import Starlette

from gql.ids import from_global_id, to_global_id
from tests.gql.conftest import World
from tests.gql.execution_helpers import (
    APPROVE,
    REJECT,
    Runtime,
    chain,
    event_types,
    statuses,
    step,
    waiting_execution,
)
from tests.support import factories
from tests.support.api import GraphQLClient


async def _waiting(api: GraphQLClient, world: World) -> tuple[Runtime, str, dict[str, Any], str]:
    """(owner, agent id, execution waiting for approval of step 0 of 2, approval id)."""
    owner = Runtime(api, world.owner["token"])
    agent_id = str((await world.spawn(api, "Careful Agent"))["id"])
    planned, approval_id = await waiting_execution(
        owner, agent_id, [step("migrate", "HIGH"), step("verify")]
    )
    return owner, agent_id, planned, approval_id


async def test_twenty_concurrent_decisions_have_exactly_one_winner(
    api: GraphQLClient, world: World
) -> None:
    owner, agent_id, planned, approval_id = await _waiting(api, world)

    async def decide(i: int) -> Any:
        if i % 2:
            return await owner.call(APPROVE, id=approval_id, reason=f"approver {i}")
        return await owner.call(REJECT, id=approval_id, reason=f"rejecter {i}")

    results = await asyncio.gather(*(decide(i) for i in range(20)))
    winners = [(i, r) for i, r in enumerate(results) if not r.errors]
    assert len(winners) == 1, [r.errors for r in results]
    assert sorted(r.code for r in results if r.errors) == ["CONFLICT"] * 19
    index, winner = winners[0]
    field = "approve" if index % 2 else "reject"
    decision = winner.data[field]

    execution = await owner.execution(planned["id"])
    approval = execution["steps"][0]["approval"]
    assert approval["id"] == approval_id
    assert approval["status"] == decision["status"]
    assert approval["reason"] == decision["reason"]
    assert approval["decidedBy"]["id"] == world.owner["user_id"]
    assert event_types(execution).count("approval_decided") == 1
    agent = await owner.agent(agent_id)
    if decision["status"] == "APPROVED":
        assert execution["status"] == "RUNNING" and agent["status"] == "EXECUTING"
        assert statuses(execution) == ["RUNNING", "PENDING"]
    else:
        assert execution["status"] == "FAILED" and agent["status"] == "IDLE"
        assert statuses(execution) == ["REJECTED", "SKIPPED"]
    # One decision, one move out of WAITING_APPROVAL: the history stays a chain.
    assert chain(agent).count("WAITING_APPROVAL") == 1
    assert len(chain(agent)) == 4


async def test_a_decided_approval_cannot_be_decided_again(api: GraphQLClient, world: World) -> None:
    owner, _agent_id, _planned, approval_id = await _waiting(api, world)
    await owner.approve(approval_id)
    again = await owner.call(REJECT, id=approval_id, reason="changed my mind")
    assert again.code == "CONFLICT"
    assert again.errors[0]["extensions"]["approvalStatus"] == "APPROVED"
    assert "APPROVED" in again.errors[0]["message"]
    twice = await owner.call(APPROVE, id=approval_id)
    assert twice.code == "CONFLICT"


async def test_reject_needs_a_reason(api: GraphQLClient, world: World) -> None:
    owner, _agent_id, planned, approval_id = await _waiting(api, world)
    blank = await owner.call(REJECT, id=approval_id, reason="   ")
    assert blank.code == "VALIDATION_ERROR" and blank.errors[0]["extensions"]["field"] == "reason"
    missing = await owner.call("mutation($id: ID!) { reject(id: $id) { id } }", id=approval_id)
    assert missing.code == "VALIDATION_ERROR"
    execution = await owner.execution(planned["id"])
    assert execution["status"] == "WAITING_APPROVAL"
    assert execution["steps"][0]["approval"]["status"] == "PENDING"


async def test_ids_are_checked(api: GraphQLClient, world: World) -> None:
    owner, agent_id, _planned, _approval_id = await _waiting(api, world)
    malformed = await owner.call(APPROVE, id="not-an-id")
    assert (
        malformed.code == "VALIDATION_ERROR" and malformed.errors[0]["extensions"]["field"] == "id"
    )
    wrong_type = await owner.call(REJECT, id=agent_id, reason="x")
    assert wrong_type.code == "VALIDATION_ERROR"
    unknown = await owner.call(APPROVE, id=to_global_id("Approval", uuid.uuid4()))
    assert unknown.code == "NOT_FOUND"


async def test_only_the_owner_or_a_superuser_decides(
    api: GraphQLClient, world: World, stranger: dict[str, Any]
) -> None:
    owner, agent_id, planned, approval_id = await _waiting(api, world)
    other = Runtime(api, stranger["token"])
    assert (await other.call(APPROVE, id=approval_id)).code == "NOT_FOUND"
    assert (await other.call(REJECT, id=approval_id, reason="mine")).code == "NOT_FOUND"
    agent_token = (await factories.agent_token(api, owner.token, agent_id))["token"]
    runtime = Runtime(api, agent_token)
    assert (await runtime.call(APPROVE, id=approval_id)).code == "FORBIDDEN"
    assert (await runtime.call(REJECT, id=approval_id, reason="self")).code == "FORBIDDEN"
    anonymous = await api.execute(APPROVE, {"id": approval_id})
    assert anonymous.code == "UNAUTHENTICATED"
    assert (await owner.execution(planned["id"]))["steps"][0]["approval"]["status"] == "PENDING"

    admin = Runtime(api, world.admin["token"])
    decided = await admin.approve(approval_id, "on call")
    assert decided["status"] == "APPROVED"
    assert decided["decidedBy"]["id"] == world.admin["user_id"]


async def test_deciding_an_expired_approval_is_a_conflict_and_counts_as_rejected(
    api: GraphQLClient, world: World, app: Starlette
) -> None:
    owner, agent_id, planned, approval_id = await _waiting(api, world)
    await _age(app, approval_id)

    listed = await api.ok(
        "query($p: ID) { approvals(projectId: $p, status: EXPIRED) { totalCount } }",
        {"p": world.project_id},
        token=owner.token,
    )
    assert listed["approvals"]["totalCount"] == 1

    late = await owner.call(APPROVE, id=approval_id)
    assert late.code == "CONFLICT" and "expired" in late.errors[0]["message"]
    assert late.errors[0]["extensions"]["approvalStatus"] == "EXPIRED"

    execution = await owner.execution(planned["id"])
    assert execution["steps"][0]["approval"]["status"] == "EXPIRED"
    assert execution["status"] == "FAILED" and execution["error"] == "approval expired"
    assert statuses(execution) == ["REJECTED", "SKIPPED"]
    assert event_types(execution)[-2:] == ["approval_decided", "execution_failed"]
    assert chain(await owner.agent(agent_id)) == ["IDLE", "PLANNING", "WAITING_APPROVAL", "IDLE"]
    again = await owner.call(REJECT, id=approval_id, reason="too late")
    assert again.code == "CONFLICT"


async def _age(app: Starlette, approval_id: str) -> None:
    """Setup only: move an approval's request 25 hours into the past."""
    pk = from_global_id(approval_id, "Approval")
    async with app.state.services.database.transaction() as conn:
        await conn.execute(
            text(
                "UPDATE approvals SET requested_at = now() - interval '25 hours', "
                "expires_at = now() - interval '1 hour' WHERE id = :id"
            ),
            {"id": pk},
        )


async def test_agent_tokens_do_not_see_who_decided(api: GraphQLClient, world: World) -> None:
    from tests.gql.execution_helpers import Runtime, step, waiting_execution
    from tests.support import factories

    runtime = Runtime(api, world.owner["token"])
    agent = await world.spawn(api, "Watched")
    _, approval_id = await waiting_execution(runtime, agent["id"], [step("deploy", "HIGH")])
    await runtime.approve(approval_id)
    token = (await factories.agent_token(api, world.owner["token"], agent["id"]))["token"]
    query = "query($id: ID!) { agent(id: $id) { approvals { edges { node { status decidedBy { email } } } } } }"
    as_runtime = await api.ok(query, {"id": agent["id"]}, token=token)
    assert as_runtime["agent"]["approvals"]["edges"][0]["node"] == {
        "status": "APPROVED",
        "decidedBy": None,
    }
    as_owner = await api.ok(query, {"id": agent["id"]}, token=world.owner["token"])
    assert as_owner["agent"]["approvals"]["edges"][0]["node"]["decidedBy"] == {
        "email": world.owner["email"]
    }
