"""Approvals decide exactly once, whoever races for them (SPEC §4): several people clicking at
once, the expiry sweeper, cancelExecution and terminateAgent. Each race ends in one outcome
and a consistent state, whichever side wins it."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import text
from starlette.applications import Starlette

from gql.ids import from_global_id
from tests.gql.conftest import World
from tests.gql.execution_helpers import (
    APPROVE,
    CANCEL,
    REJECT,
    Runtime,
    chain,
    event_types,
    statuses,
    step,
    waiting_execution,
)
from tests.support import factories
from tests.support.api import GraphQLClient, Result
from usecases.sweeps import expire_overdue_approvals

TERMINATE = """
mutation($id: ID!) { terminateAgent(input: {id: $id, reason: "retired"}) { agent { status } } }
"""


async def _waiting(api: GraphQLClient, world: World, name: str) -> tuple[str, str, str]:
    """(agent id, execution id, approval id): an execution waiting on its first of two steps."""
    owner = Runtime(api, world.owner["token"])
    agent_id = str((await world.spawn(api, name))["id"])
    planned, approval_id = await waiting_execution(
        owner, agent_id, [step("migrate", "HIGH"), step("verify")]
    )
    return agent_id, str(planned["id"]), approval_id


def _one_way_out_of_waiting(agent: dict[str, Any]) -> None:
    """The history is a chain (chain() checks) that waited for approval once."""
    assert chain(agent).count("WAITING_APPROVAL") == 1, chain(agent)


async def test_several_people_deciding_at_once_leave_exactly_one_decision(
    api: GraphQLClient, world: World, app: Starlette
) -> None:
    agent_id, execution_id, approval_id = await _waiting(api, world, "Contested")
    # The owner in two browser sessions, and four superusers besides the world's.
    people = [
        world.owner,
        await factories.login(api, world.owner["email"]),
        world.admin,
        *[await factories.superuser(api, app) for _ in range(4)],
    ]
    assert len({p["user_id"] for p in people}) == 6

    async def click(i: int, person: dict[str, Any]) -> Result:
        if i % 2:
            return await api.execute(APPROVE, {"id": approval_id}, token=person["token"])
        return await api.execute(
            REJECT, {"id": approval_id, "reason": f"no ({i})"}, token=person["token"]
        )

    results = await asyncio.gather(*(click(i, p) for i, p in enumerate(people)))
    winners = [(i, r) for i, r in enumerate(results) if not r.errors]
    assert len(winners) == 1, [r.errors for r in results]
    [(index, winner)] = winners
    decision = winner.data["approve" if index % 2 else "reject"]  # type: ignore[index]
    losers = [r for r in results if r.errors]
    assert [r.code for r in losers] == ["CONFLICT"] * 6
    assert {r.errors[0]["extensions"]["approvalStatus"] for r in losers} == {decision["status"]}

    owner = Runtime(api, world.owner["token"])
    execution = await owner.execution(execution_id)
    approval = execution["steps"][0]["approval"]
    assert (approval["status"], approval["reason"]) == (decision["status"], decision["reason"])
    assert approval["decidedBy"]["id"] == people[index]["user_id"]
    assert event_types(execution).count("approval_decided") == 1
    agent = await owner.agent(agent_id)
    _one_way_out_of_waiting(agent)
    if decision["status"] == "APPROVED":
        assert (execution["status"], agent["status"]) == ("RUNNING", "EXECUTING")
    else:
        assert (execution["status"], agent["status"]) == ("FAILED", "IDLE")


async def test_a_click_racing_the_expiry_sweeper_leaves_one_expiry(
    api: GraphQLClient, world: World, app: Starlette
) -> None:
    # Due this very moment (by the database's clock): the sweepers of three server processes
    # and three people get to it at once. A decision past expiresAt records the expiry itself
    # and answers CONFLICT, so every one of them tries to write the same EXPIRED.
    agent_id, execution_id, approval_id = await _waiting(api, world, "Late")
    async with app.state.services.database.transaction() as conn:
        await conn.execute(
            text("UPDATE approvals SET expires_at = now() WHERE id = :id"),
            {"id": from_global_id(approval_id, "Approval")},
        )
    people = [world.owner, world.admin, await factories.superuser(api, app)]
    database = app.state.services.database
    sweeps = [expire_overdue_approvals(database) for _ in range(3)]
    clicks = [api.execute(APPROVE, {"id": approval_id}, token=p["token"]) for p in people]
    outcome = await asyncio.gather(*sweeps, *clicks)
    expired_by_sweeps: list[int] = list(outcome[:3])
    answers: list[Result] = list(outcome[3:])

    assert [a.code for a in answers] == ["CONFLICT"] * 3
    assert all(a.errors[0]["extensions"]["approvalStatus"] == "EXPIRED" for a in answers)
    # Exactly one of the six recorded it: a sweep (counted) or a click ("expired at …").
    recorded_by_clicks = sum("expired at" in a.errors[0]["message"] for a in answers)
    assert sum(expired_by_sweeps) + recorded_by_clicks == 1, (expired_by_sweeps, answers)

    owner = Runtime(api, world.owner["token"])
    execution = await owner.execution(execution_id)
    assert execution["steps"][0]["approval"]["status"] == "EXPIRED"
    assert (execution["status"], execution["error"]) == ("FAILED", "approval expired")
    assert statuses(execution) == ["REJECTED", "SKIPPED"]
    assert event_types(execution).count("approval_decided") == 1
    agent = await owner.agent(agent_id)
    assert agent["status"] == "IDLE"
    _one_way_out_of_waiting(agent)


async def test_an_approval_racing_cancel_execution_ends_one_way(
    api: GraphQLClient, world: World
) -> None:
    owner = Runtime(api, world.owner["token"])
    for round_ in range(6):  # both orders come up over the rounds; each is checked
        agent_id, execution_id, approval_id = await _waiting(api, world, f"Cancelled {round_}")
        approved, cancelled = await asyncio.gather(
            owner.call(APPROVE, id=approval_id),
            owner.call(CANCEL, id=execution_id, reason="changed my mind"),
        )
        # Cancelling succeeds either way: while waiting, or once the approved step runs.
        assert not cancelled.errors, cancelled.errors
        execution = await owner.execution(execution_id)
        approval = execution["steps"][0]["approval"]
        agent = await owner.agent(agent_id)
        assert (execution["status"], agent["status"]) == ("CANCELLED", "IDLE")
        assert event_types(execution).count("approval_decided") == 1
        assert event_types(execution)[-1] == "execution_cancelled"
        _one_way_out_of_waiting(agent)
        if approved.errors:  # cancelled first: the approval went with the execution
            assert approved.code == "CONFLICT"
            assert approval["status"] == "CANCELLED"
            assert statuses(execution) == ["SKIPPED", "SKIPPED"]
        else:  # approved first: the step ran, and was stopped by the cancel
            assert approval["status"] == "APPROVED"
            assert statuses(execution) == ["FAILED", "SKIPPED"]
            assert chain(agent)[-2:] == ["EXECUTING", "IDLE"]


async def test_an_approval_racing_terminate_agent_ends_one_way(
    api: GraphQLClient, world: World
) -> None:
    owner = Runtime(api, world.owner["token"])
    for round_ in range(6):
        agent_id, execution_id, approval_id = await _waiting(api, world, f"Retired {round_}")
        approved, terminated = await asyncio.gather(
            owner.call(APPROVE, id=approval_id), owner.call(TERMINATE, id=agent_id)
        )
        assert not terminated.errors, terminated.errors
        execution = await owner.execution(execution_id)
        approval = execution["steps"][0]["approval"]
        agent = await owner.agent(agent_id)
        assert (execution["status"], agent["status"]) == ("CANCELLED", "TERMINATED")
        assert event_types(execution).count("approval_decided") == 1
        _one_way_out_of_waiting(agent)
        if approved.errors:  # terminated first: the request was cancelled with the execution
            assert approved.code == "CONFLICT"
            assert approval["status"] == "CANCELLED"
            assert chain(agent)[-2:] == ["WAITING_APPROVAL", "TERMINATED"]
        else:  # approved first: the agent was executing when it was terminated
            assert approval["status"] == "APPROVED"
            assert chain(agent)[-2:] == ["EXECUTING", "TERMINATED"]
