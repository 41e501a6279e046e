"""Relay connections: keyset cursors both ways, no gap or duplicate while rows are added,
ordering, filters, and argument errors that name the argument."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.gql.conftest import World
from tests.support.api import GraphQLClient

PAGE = """
query($project: ID, $first: Int, $after: String, $last: Int, $before: String,
      $order: AgentOrder, $filter: AgentFilter) {
  agents(projectId: $project, first: $first, after: $after, last: $last, before: $before,
         orderBy: $order, filter: $filter) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id name status } }
  }
}
"""
SPAWN = "mutation($input: SpawnAgentInput!) { spawnAgent(input: $input) { id } }"


async def _spawn_many(api: GraphQLClient, world: World, names: list[str]) -> None:
    token = world.owner["token"]
    for chunk in range(0, len(names), 25):
        await asyncio.gather(
            *(
                api.ok(
                    SPAWN,
                    {
                        "input": {
                            "projectId": world.project_id,
                            "agentTypeId": world.type_id,
                            "name": n,
                        }
                    },
                    token=token,
                )
                for n in names[chunk : chunk + 25]
            )
        )


async def _page(api: GraphQLClient, world: World, **variables: Any) -> dict[str, Any]:
    data = await api.ok(
        PAGE, {"project": world.project_id, **variables}, token=world.owner["token"]
    )
    return dict(data["agents"])


async def test_250_agents_forward_and_backward_while_agents_are_added(
    api: GraphQLClient, world: World
) -> None:
    names = [f"agent-{i:03d}" for i in range(250)]
    await _spawn_many(api, world, names)
    order = {"field": "NAME", "direction": "ASC"}

    seen: list[str] = []
    after = None
    pages = 0
    while True:
        page = await _page(api, world, first=40, after=after, order=order)
        seen += [e["node"]["name"] for e in page["edges"]]
        pages += 1
        # Added between pages: after the cursor (will be seen) and before it (must not disturb).
        await _spawn_many(api, world, [f"zz-late-{pages}", f"aa-early-{pages}"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    expected = sorted(names + [f"zz-late-{i}" for i in range(1, pages)])
    assert seen == expected, "no gap, no duplicate, in order"

    backward: list[str] = []
    before = None
    while True:
        page = await _page(api, world, last=35, before=before, order=order)
        backward = [e["node"]["name"] for e in page["edges"]] + backward
        if not page["pageInfo"]["hasPreviousPage"]:
            break
        before = page["pageInfo"]["startCursor"]
    everything = (await _page(api, world, first=1))["totalCount"]
    assert len(backward) == everything == len(set(backward))
    assert backward == sorted(backward)


async def test_orderings_and_their_cursors(api: GraphQLClient, world: World) -> None:
    token = world.owner["token"]
    ids = {}
    for name in ("b", "c", "a"):  # one after another: created in this order
        ids[name] = (await world.spawn(api, name))["id"]
    # Statuses and heartbeats that sort each field differently from the names.
    await api.ok(
        "mutation($id: ID!) { pauseAgent(input: {id: $id}) { agent { id } } }",
        {"id": ids["b"]},
        token=token,
    )
    await api.ok(
        'mutation($id: ID!) { reportAgentError(input: {agentId: $id, error: {error: "x"}}) { agent { id } } }',
        {"id": ids["c"]},
        token=token,
    )
    now = datetime.now(UTC)
    for name, minutes_ago in (("a", 3), ("c", 1)):  # b never beats: it sorts first
        at = (now - timedelta(minutes=minutes_ago)).isoformat()
        await api.ok(
            "mutation($i: HeartbeatInput!) { heartbeat(input: $i) { id } }",
            {"i": {"agentId": ids[name], "at": at}},
            token=token,
        )
    by_name_desc = await _page(api, world, first=2, order={"field": "NAME", "direction": "DESC"})
    assert [e["node"]["name"] for e in by_name_desc["edges"]] == ["c", "b"]
    rest = await _page(
        api,
        world,
        first=2,
        after=by_name_desc["pageInfo"]["endCursor"],
        order={"field": "NAME", "direction": "DESC"},
    )
    assert [e["node"]["name"] for e in rest["edges"]] == ["a"]
    assert rest["pageInfo"] == {**rest["pageInfo"], "hasNextPage": False, "hasPreviousPage": True}
    # Statuses sort by their stored values: error < idle < paused.
    expected = {"CREATED_AT": "bca", "STATUS": "cab", "LAST_HEARTBEAT_AT": "bac"}
    for field, names in expected.items():
        for direction, order in (("ASC", list(names)), ("DESC", list(reversed(names)))):
            sort = {"field": field, "direction": direction}
            page = await _page(api, world, first=2, order=sort)
            more = await _page(api, world, first=2, after=page["pageInfo"]["endCursor"], order=sort)
            seen = [e["node"]["name"] for e in page["edges"] + more["edges"]]
            assert seen == order, (field, direction)
    # A cursor of one ordering is refused by another.
    mismatch = await api.execute(
        PAGE,
        {"project": world.project_id, "first": 1, "after": by_name_desc["pageInfo"]["endCursor"]},
        token=world.owner["token"],
    )
    assert (
        mismatch.code == "VALIDATION_ERROR" and mismatch.errors[0]["extensions"]["field"] == "after"
    )


async def test_filters(api: GraphQLClient, world: World) -> None:
    await _spawn_many(api, world, ["Cost Optimizer", "cost_100%", "Performance Tuner"])
    token = world.owner["token"]
    pause = "mutation($id: ID!) { pauseAgent(input: {id: $id}) { agent { status } } }"
    tuner = await _page(api, world, filter={"nameContains": "tuner"})
    await api.ok(pause, {"id": tuner["edges"][0]["node"]["id"]}, token=token)

    contains = await _page(api, world, filter={"nameContains": "COST"})
    # Which agents match, not their order (how "C" and "c" sort depends on the collation).
    assert sorted(e["node"]["name"] for e in contains["edges"]) == ["Cost Optimizer", "cost_100%"]
    literal = await _page(api, world, filter={"nameContains": "_100%"})
    assert [e["node"]["name"] for e in literal["edges"]] == ["cost_100%"]
    wildcard = await _page(api, world, filter={"nameContains": "%"})
    assert [e["node"]["name"] for e in wildcard["edges"]] == ["cost_100%"]
    paused = await _page(api, world, filter={"status": ["PAUSED"]})
    assert [e["node"]["name"] for e in paused["edges"]] == ["Performance Tuner"]
    assert paused["totalCount"] == 1
    unknown = await _page(api, world, filter={"health": "UNKNOWN", "agentTypeId": world.type_id})
    assert unknown["totalCount"] == 3
    healthy = await _page(api, world, filter={"health": "HEALTHY"})
    assert healthy["totalCount"] == 0


async def test_bad_arguments_name_the_argument(api: GraphQLClient, world: World) -> None:
    token = world.owner["token"]
    cases = {
        "first": {"first": -1},
        "last": {"last": 101},
        "after": {"first": 5, "after": "garbage!"},
        "projectId": {"project": world.type_id},
    }
    for field, variables in cases.items():
        result = await api.execute(PAGE, {"project": world.project_id, **variables}, token=token)
        assert result.code == "VALIDATION_ERROR", (field, result.errors)
        assert result.errors[0]["extensions"]["field"] == field, result.errors
    too_many = await api.execute(PAGE, {"project": world.project_id, "first": 101}, token=token)
    assert "at most 100" in too_many.errors[0]["message"]
    malformed = await api.execute('query { agent(id: "!!") { id } }', token=token)
    assert malformed.code == "VALIDATION_ERROR"
