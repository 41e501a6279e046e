"""Bad input is the client's error, never INTERNAL: NUL characters, out-of-range numbers, dates."""

from __future__ import annotations

from tests.gql.conftest import World
from tests.support.api import GraphQLClient

NUL = "\u0000"


async def test_nul_characters_are_refused_in_every_argument(
    api: GraphQLClient, world: World
) -> None:
    agent = await world.spawn(api)
    token = world.owner["token"]
    cases = [
        ("query($s: String!) { projectBySlug(slug: $s) { id } }", {"s": f"x{NUL}"}, "s"),
        (
            "query($f: AgentFilter) { agents(filter: $f) { totalCount } }",
            {"f": {"nameContains": NUL}},
            "f",
        ),
        (
            "mutation($i: AgentTransitionInput!) { pauseAgent(input: $i) { agent { id } } }",
            {"i": {"id": agent["id"], "reason": f"maint{NUL}enance"}},
            "i",
        ),
        (
            "query($t: JSON) { agents { edges { node { metrics(tags: $t) { totalCount } } } } }",
            {"t": {"k": NUL}},
            "t",
        ),
    ]
    for query, variables, field in cases:
        result = await api.execute(query, variables, token=token)
        assert result.code == "VALIDATION_ERROR", (query, result.errors)
        assert result.errors[0]["extensions"]["field"] == field
    literal = await api.execute('{ agentTypeBySlug(slug: "a\\u0000b") { id } }', token=token)
    assert literal.code == "VALIDATION_ERROR"
    revision = await api.ok(
        "query($id: ID!) { agent(id: $id) { revision } }", {"id": agent["id"]}, token=token
    )
    assert revision["agent"]["revision"] == 1, "nothing was written"


async def test_out_of_range_cursors_and_dates_are_validation_errors(
    api: GraphQLClient, world: World
) -> None:
    from gql.pagination import encode_cursor

    agent = await world.spawn(api)
    token = world.owner["token"]
    huge = encode_cursor("transition", [2**70])
    history = await api.execute(
        "query($id: ID!, $a: String) { agent(id: $id) { statusHistory(after: $a) { totalCount } } }",
        {"id": agent["id"], "a": huge},
        token=token,
    )
    assert (
        history.code == "VALIDATION_ERROR" and history.errors[0]["extensions"]["field"] == "after"
    )
    early = await api.execute(
        "query($id: ID!, $s: DateTime) { agent(id: $id) { metrics(since: $s) { totalCount } } }",
        {"id": agent["id"], "s": "0001-01-01T00:00:00+14:00"},
        token=token,
    )
    assert early.code == "VALIDATION_ERROR"
