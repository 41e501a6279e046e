"""The ingest fast path (gql/ingest/) against the resolvers: for every caller and input, the same
status and the same bytes; what it answers itself costs one statement; what it must not answer
(other shapes, bad values, callers refused) goes to the resolvers untouched.

Each case is sent to the full server (fast path in front) and then to the view alone, on the
same data: heartbeats carry an explicit ``at`` (a beat never moves lastHeartbeatAt back, so the
second send answers with the same time) and metric batches answer with counts.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import orjson
import pytest
from starlette.applications import Starlette

from gql.ids import from_global_id
from gql.ingest import endpoint, values
from gql.ingest.endpoint import IngestPath
from gql.limits import checked_cost
from tests.conftest import _asyncpg_dsn
from tests.gql.conftest import World
from tests.support import factories
from tests.support.api import GraphQLClient
from tests.support.sql_counter import StatementCounter

HEARTBEAT = "mutation Beat($input: HeartbeatInput!) { heartbeat(input: $input) { id health lastHeartbeatAt __typename } }"
HEARTBEAT_SDK = (
    "mutation Heartbeat($input: HeartbeatInput!) { heartbeat(input: $input) { id health } }"
)
HEARTBEATS = (
    "mutation($inputs: [HeartbeatInput!]!) { heartbeats(inputs: $inputs) { accepted __typename } }"
)
RECORD = """
mutation RecordMetrics($agentId: ID!, $metrics: [MetricInput!]!) {
  recordMetrics(agentId: $agentId, metrics: $metrics) { accepted }
}
"""
COUNT_POINTS = "query($id: ID!) { agent(id: $id) { metrics(first: 1) { totalCount } } }"


@dataclass
class Fleet:
    owner: str  # the owner's access token
    agents: list[str]  # two agents of the owner's project
    agent_token: str  # acts as agents[0]
    stranger: str  # another user's access token


@pytest.fixture
async def fleet(api: GraphQLClient, world: World) -> Fleet:
    first = await world.spawn(api, name="first")
    second = await world.spawn(api, name="second")
    token = await factories.agent_token(api, world.owner["token"], first["id"])
    stranger = await factories.register(api)
    return Fleet(
        world.owner["token"], [first["id"], second["id"]], token["token"], stranger["token"]
    )


def _path(app: Starlette) -> IngestPath:
    endpoint: Any = next(r for r in app.routes if getattr(r, "path", "") == "/graphql")
    layer = endpoint.app
    while not isinstance(layer, IngestPath):
        layer = layer.app
    return layer


def _at(seconds_ago: float = 1.0) -> str:
    return (datetime.now(UTC) - timedelta(seconds=seconds_ago)).isoformat()


def _nested(depth: int) -> Any:
    return [1] if depth == 0 else [_nested(depth - 1)]


def _cases(f: Fleet) -> Iterator[tuple[str, str | None, dict[str, Any], bool]]:
    """(name, token, body, whether the fast path answers it)."""
    a, b = f.agents
    beat = {"agentId": a, "at": _at(), "resourceUsage": {"cpu": 0.5}, "currentWorkflow": "x"}
    points = [
        {"name": "latency", "value": 12, "unit": "ms", "tags": {"region": "eu"}},
        {"name": "tokens", "value": 3.5, "metricType": "COUNTER", "recordedAt": _at(9)},
        {"name": "queue", "value": -1.0, "metricType": None, "unit": None, "tags": None},
    ]
    yield "heartbeat, owner", f.owner, {"query": HEARTBEAT, "variables": {"input": beat}}, True
    yield "heartbeat, agent token", f.agent_token, {
        "query": HEARTBEAT_SDK, "variables": {"input": {"agentId": a, "at": _at()}},
    }, True  # fmt: skip
    yield "heartbeat, operation named", f.owner, {
        "query": HEARTBEAT, "operationName": "Beat", "variables": {"input": {**beat, "currentWorkflow": None}},
    }, True  # fmt: skip
    yield "heartbeats, owner", f.owner, {
        "query": HEARTBEATS, "variables": {"inputs": [{"agentId": a, "at": _at()}, {"agentId": b, "at": _at(2)}]},
    }, True  # fmt: skip
    yield "heartbeats, none", f.owner, {"query": HEARTBEATS, "variables": {"inputs": []}}, True
    yield "recordMetrics, agent token", f.agent_token, {
        "query": RECORD, "variables": {"agentId": a, "metrics": points},
    }, True  # fmt: skip
    yield "recordMetrics, owner", f.owner, {
        "query": RECORD, "variables": {"agentId": b, "metrics": points[:1]},
    }, True  # fmt: skip
    # Refused callers: the resolvers answer.
    yield "heartbeat, no token", None, {"query": HEARTBEAT, "variables": {"input": beat}}, False
    yield (
        "heartbeat, bad token",
        "not-a-token",
        {"query": HEARTBEAT, "variables": {"input": beat}},
        False,
    )
    yield (
        "heartbeat, stranger",
        f.stranger,
        {"query": HEARTBEAT, "variables": {"input": beat}},
        False,
    )
    yield "heartbeat, agent token for another agent", f.agent_token, {
        "query": HEARTBEAT, "variables": {"input": {**beat, "agentId": b}},
    }, False  # fmt: skip
    yield "heartbeats, one not visible", f.agent_token, {
        "query": HEARTBEATS, "variables": {"inputs": [{"agentId": a}, {"agentId": b}]},
    }, False  # fmt: skip
    yield "recordMetrics, stranger", f.stranger, {
        "query": RECORD, "variables": {"agentId": a, "metrics": points},
    }, False  # fmt: skip
    # Values the use case or the schema refuses.
    yield "heartbeat, from the future", f.owner, {
        "query": HEARTBEAT, "variables": {"input": {**beat, "at": _at(-3600)}},
    }, False  # fmt: skip
    yield "heartbeat, usage not an object", f.owner, {
        "query": HEARTBEAT, "variables": {"input": {**beat, "resourceUsage": [1]}},
    }, False  # fmt: skip
    yield "heartbeat, not an agent id", f.owner, {
        "query": HEARTBEAT, "variables": {"input": {**beat, "agentId": "nope"}},
    }, False  # fmt: skip
    yield "heartbeat, an integer id", f.owner, {
        "query": HEARTBEAT, "variables": {"input": {**beat, "agentId": 7}},
    }, False  # fmt: skip
    yield "heartbeat, bad date-time", f.owner, {
        "query": HEARTBEAT, "variables": {"input": {**beat, "at": "yesterday"}},
    }, False  # fmt: skip
    yield "heartbeat, unknown field", f.owner, {
        "query": HEARTBEAT, "variables": {"input": {**beat, "mood": "fine"}},
    }, False  # fmt: skip
    yield "heartbeat, NUL in a string", f.owner, {
        "query": HEARTBEAT, "variables": {"input": {**beat, "currentWorkflow": "a\x00b"}},
    }, False  # fmt: skip
    yield "heartbeats, an object for the list", f.owner, {
        "query": HEARTBEATS, "variables": {"inputs": {"agentId": a, "at": _at()}},
    }, False  # fmt: skip
    yield "heartbeats, variable missing", f.owner, {"query": HEARTBEATS, "variables": {}}, False
    yield "recordMetrics, a boolean value", f.owner, {
        "query": RECORD, "variables": {"agentId": a, "metrics": [{"name": "x", "value": True}]},
    }, False  # fmt: skip
    yield "recordMetrics, unknown type", f.owner, {
        "query": RECORD, "variables": {"agentId": a, "metrics": [{"name": "x", "value": 1, "metricType": "RATE"}]},
    }, False  # fmt: skip
    yield "recordMetrics, empty name", f.owner, {
        "query": RECORD, "variables": {"agentId": a, "metrics": [{"name": " ", "value": 1}]},
    }, False  # fmt: skip
    yield "recordMetrics, too many", f.owner, {
        "query": RECORD, "variables": {"agentId": a, "metrics": [{"name": "x", "value": 1}] * 1001},
    }, False  # fmt: skip
    # Past the input limits (gql/input_limits.py): refused as the schema refuses them.
    yield "recordMetrics, value past 1e100", f.owner, {
        "query": RECORD, "variables": {"agentId": a, "metrics": [{"name": "x", "value": 1e300}]},
    }, False  # fmt: skip
    yield "recordMetrics, unit past its column", f.owner, {
        "query": RECORD, "variables": {"agentId": a, "metrics": [{"name": "x", "value": 1, "unit": "u" * 51}]},
    }, False  # fmt: skip
    for what, point in (
        ("a control character in a tag", {"name": "x", "value": 1, "tags": {"k": "v\x01"}}),
        ("DEL in a name", {"name": "a\x7f", "value": 1}),
        ("a tag past 1e100", {"name": "x", "value": 1, "tags": {"k": 1e300}}),
        ("a tag too deep", {"name": "x", "value": 1, "tags": {"k": _nested(40)}}),
        ("a control character in recordedAt", {"name": "x", "value": 1, "recordedAt": "2026\x0c"}),
    ):
        yield f"recordMetrics, {what}", f.owner, {
            "query": RECORD, "variables": {"agentId": a, "metrics": [points[0], point]},
        }, False  # fmt: skip
    # A beat's JSON values are checked once on this path (plainly_within_heartbeat_limits, or
    # the walk it defers to): every limit still holds, and the use case's rules with it.
    yield "heartbeat, JSON values at their limits", f.owner, {
        "query": HEARTBEAT, "variables": {"input": {**beat, "resourceUsage": {
            "d": _nested(30), "t": "tab\there\nnl\r", "n": [1e100, -1e100, -0.0, 5e-324],
            "e": "é🚀 \"\\", "b": True, "z": None, "k" * 10_000: {},
        }, "activeWorkflows": [{"id": "wf", "steps": [[], {}]}, _nested(30)]}},
    }, True  # fmt: skip
    yield "heartbeat, usage near the JSON size limit", f.owner, {
        "query": HEARTBEAT, "variables": {"input": {**beat, "resourceUsage": {"k": "x" * 65_000}}},
    }, True  # fmt: skip
    yield "heartbeats, fifty plain beats", f.owner, {
        "query": HEARTBEATS, "variables": {"inputs": [
            {"agentId": agent, "at": _at(), "resourceUsage": {"cpu": 0.5}} for agent in (a, b)
        ] * 25},
    }, True  # fmt: skip
    for what, value in (
        ("a control character", {"k": "v\x01"}),
        ("a control character in a key", {"k\x1f": 1}),
        ("DEL deep inside", {"k": [{"j": "\x7f"}]}),
        ("NUL in a key", {"k\x00": 1}),
        ("a number past 1e100", {"k": 1e300}),
        ("a number deep past -1e100", {"k": [[-1e101]]}),
        ("too deep", {"d": _nested(31)}),
        ("a key past 10,000 characters", {"k" * 10_001: 1}),
        ("a string past 65,536 characters", {"k": "v" * 65_537}),
        ("past 65,536 characters as JSON", {"k": "v" * 65_530}),
        ("past 65,536 characters once escaped", {"k": '"' * 33_000}),
    ):
        yield f"heartbeat, usage with {what}", f.owner, {
            "query": HEARTBEAT, "variables": {"input": {**beat, "resourceUsage": value}},
        }, False  # fmt: skip
        yield f"heartbeats, workflows with {what} in the last beat", f.owner, {
            "query": HEARTBEATS, "variables": {"inputs": [{"agentId": a, "at": _at()}] * 9
                + [{"agentId": b, "at": _at(), "activeWorkflows": [value]}]},
        }, False  # fmt: skip
    yield "heartbeats, workflows an object", f.owner, {
        "query": HEARTBEATS, "variables": {"inputs": [
            {"agentId": a, "at": _at()}, {"agentId": b, "activeWorkflows": {"wf": 1}},
        ]},
    }, False  # fmt: skip
    yield "heartbeat, workflow past its column", f.agent_token, {
        "query": HEARTBEAT, "variables": {"input": {**beat, "currentWorkflow": "w" * 201}},
    }, False  # fmt: skip
    # Other shapes: literals, aliases, more fields, a second operation.
    yield "heartbeat, literal argument", f.owner, {
        "query": f'mutation {{ heartbeat(input: {{agentId: "{a}"}}) {{ id }} }}',
    }, False  # fmt: skip
    yield "heartbeat, alias", f.owner, {
        "query": "mutation($i: HeartbeatInput!) { beat: heartbeat(input: $i) { id } }",
        "variables": {"i": beat},
    }, False  # fmt: skip
    yield "heartbeat, nested selection", f.owner, {
        "query": "mutation($i: HeartbeatInput!) { heartbeat(input: $i) { id state { resourceUsage } } }",
        "variables": {"i": beat},
    }, False  # fmt: skip
    yield "heartbeat, unknown operation name", f.owner, {
        "query": HEARTBEAT, "operationName": "Other", "variables": {"input": beat},
    }, False  # fmt: skip
    yield "heartbeat, typo in a field", f.owner, {
        "query": "mutation($i: HeartbeatInput!) { heartbeat(input: $i) { idd } }",
        "variables": {"i": beat},
    }, False  # fmt: skip


async def _send(client: GraphQLClient, token: str | None, body: dict[str, Any]) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await client.http.post("/graphql", json=body, headers=headers)


async def test_the_fast_path_answers_as_the_resolvers_do(
    api: GraphQLClient, reference_api: GraphQLClient, app: Starlette, fleet: Fleet
) -> None:
    path = _path(app)
    for name, token, body, answered_here in _cases(fleet):
        served = path.served
        fast = await _send(api, token, body)
        assert path.served == served + answered_here, name
        reference = await _send(reference_api, token, body)
        assert (fast.status_code, fast.content) == (reference.status_code, reference.content), name
        if answered_here:
            assert b'"errors"' not in fast.content, (name, fast.content)


async def test_what_the_fast_path_refused_wrote_nothing(api: GraphQLClient, fleet: Fleet) -> None:
    a = fleet.agents[0]
    bad = [{"name": "x", "value": 1.0}, {"name": "", "value": 2.0}]
    refused = await api.execute(RECORD, {"agentId": a, "metrics": bad}, token=fleet.owner)
    assert refused.code == "VALIDATION_ERROR"
    found = await api.ok(COUNT_POINTS, {"id": a}, token=fleet.owner)
    assert found["agent"]["metrics"]["totalCount"] == 0
    both = [{"agentId": a, "at": _at()}, {"agentId": fleet.agents[1], "at": _at()}]
    hidden = await api.execute(HEARTBEATS, {"inputs": both}, token=fleet.agent_token)
    assert hidden.code == "NOT_FOUND"
    agent = await api.ok(
        "query($id: ID!) { agent(id: $id) { lastHeartbeatAt } }", {"id": a}, token=fleet.owner
    )
    assert agent["agent"]["lastHeartbeatAt"] is None


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        (HEARTBEAT_SDK, lambda a, b: {"input": {"agentId": a}}),
        (HEARTBEATS, lambda a, b: {"inputs": [{"agentId": a}, {"agentId": b}] * 50}),
        (RECORD, lambda a, b: {"agentId": a, "metrics": [{"name": "x", "value": 1.0}] * 1000}),
    ],
)
async def test_an_ingest_request_is_one_statement(
    api: GraphQLClient, app: Starlette, fleet: Fleet, sql_counter: StatementCounter,
    query: str, variables: Any,
) -> None:  # fmt: skip
    body = {"query": query, "variables": variables(*fleet.agents)}
    await _send(api, fleet.owner, body)  # the caller is known (the sign-in check is cached)
    sql_counter.reset()
    answer = await _send(api, fleet.owner, body)
    assert b'"errors"' not in answer.content, answer.content
    assert sql_counter.count == 1, sql_counter.statements


async def test_the_fast_path_takes_the_body_as_checked_requests_decoded_it(
    api: GraphQLClient, app: Starlette, fleet: Fleet, monkeypatch: pytest.MonkeyPatch
) -> None:
    decoded_here: list[bytes] = []
    decode = endpoint._decode

    def counted(body: bytes) -> Any:
        decoded_here.append(body)
        return decode(body)

    monkeypatch.setattr(endpoint, "_decode", counted)
    path = _path(app)
    served = path.served
    a, b = fleet.agents
    for body in (
        {"query": HEARTBEAT_SDK, "variables": {"input": {"agentId": a}}},
        {"query": HEARTBEATS, "variables": {"inputs": [{"agentId": a}, {"agentId": b}]}},
        {"query": RECORD, "variables": {"agentId": a, "metrics": [{"name": "x", "value": 1.0}]}},
    ):
        answer = await _send(api, fleet.owner, body)
        assert b'"errors"' not in answer.content, answer.content
    assert path.served == served + 3
    assert decoded_here == []


# Values that a careless encoding changes: the sign of zero, the ends of the float range, the
# shortest and longest decimal spellings, date-times with offsets (of seconds, too) and past
# microseconds, text that JSON must escape.
_EDGE_POINTS = [
    {"name": "zero", "value": -0.0, "recordedAt": "2026-03-01T10:00:00.123456+05:30"},
    {"name": "big", "value": 1e100, "recordedAt": "2026-03-01T10:00:00Z"},
    {"name": "small", "value": -1e100, "recordedAt": "2026-03-01T10:00:00.1234567-08:00"},
    {"name": "tiny", "value": 5e-324, "recordedAt": "2026-03-01T10:00:00+05:30:15"},
    {"name": "sum", "value": 0.1 + 0.2, "recordedAt": "2026-03-01T10:00:00"},
    {"name": "int", "value": 12, "unit": "µs"},
    {"name": ' quote " back \\ slash é 🚀 ', "value": 1 / 3, "unit": "a\tb", "tags": {
        "k": "v\n\"w\"", "n": [1, -0.0, 1.5e-7], "é": {"deep": None},
    }},
]  # fmt: skip


async def _stored(database_url: str, agent: str) -> list[tuple[Any, ...]]:
    conn = await asyncpg.connect(_asyncpg_dsn(database_url))
    try:
        rows = await conn.fetch(
            "SELECT name, value, float8send(value) AS bits, metric_type, unit, tags::text AS tags,"
            " recorded_at FROM agent_metrics WHERE agent_id = $1 ORDER BY id",
            from_global_id(agent, "Agent"),
        )
    finally:
        await conn.close()
    return [tuple(row) for row in rows]


async def test_both_paths_store_the_same_values_bit_for_bit(
    api: GraphQLClient, reference_api: GraphQLClient, app: Starlette, fleet: Fleet,
    database_url: str,
) -> None:  # fmt: skip
    fast_agent, reference_agent = fleet.agents
    path = _path(app)
    served = path.served
    for client, agent in ((api, fast_agent), (reference_api, reference_agent)):
        body = {"query": RECORD, "variables": {"agentId": agent, "metrics": _EDGE_POINTS}}
        answer = await _send(client, fleet.owner, body)
        assert answer.json() == {"data": {"recordMetrics": {"accepted": len(_EDGE_POINTS)}}}
    assert path.served == served + 1
    fast, reference = (
        await _stored(database_url, fast_agent),
        await _stored(database_url, reference_agent),
    )
    # The points without recordedAt take the clock of their own request.
    assert [row[:6] for row in fast] == [row[:6] for row in reference]
    assert [row[6] for row in fast[:5]] == [row[6] for row in reference[:5]]
    assert [row[2] for row in fast] == [
        struct.pack(">d", float(p["value"]))
        for p in _EDGE_POINTS  # type: ignore[arg-type]
    ]
    assert [row[6] for row in fast[:5]] == [
        datetime(2026, 3, 1, 4, 30, 0, 123456, UTC),
        datetime(2026, 3, 1, 10, 0, 0, tzinfo=UTC),
        datetime(2026, 3, 1, 18, 0, 0, 123456, UTC),
        datetime(2026, 3, 1, 4, 29, 45, tzinfo=UTC),
        datetime(2026, 3, 1, 10, 0, 0, tzinfo=UTC),
    ]
    assert fast[6][0] == 'quote " back \\ slash é 🚀'
    assert (fast[6][4], fast[5][4], fast[0][4]) == ("a\tb", "µs", None)
    assert {row[5] for row in fast[:6]} == {"{}"}  # without tags: an empty object
    assert orjson.loads(fast[6][5]) == _EDGE_POINTS[6]["tags"]


async def test_points_for_a_deleted_agent_are_not_found_on_both_paths(
    api: GraphQLClient, reference_api: GraphQLClient, fleet: Fleet
) -> None:
    gone = fleet.agents[1]
    await api.ok(
        "mutation($a: ID!) { pauseAgent(input: {id: $a}) { agent { id } } }", {"a": gone},
        token=fleet.owner,
    )  # fmt: skip
    await api.ok("mutation($a: ID!) { deleteAgent(id: $a) { id } }", {"a": gone}, token=fleet.owner)
    body = {"query": RECORD, "variables": {"agentId": gone, "metrics": [{"name": "x", "value": 1}]}}
    fast, reference = (
        await _send(api, fleet.owner, body),
        await _send(reference_api, fleet.owner, body),
    )
    assert (fast.status_code, fast.content) == (reference.status_code, reference.content)
    assert fast.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"


@pytest.mark.parametrize(
    "item",
    [
        {"name": "x", "value": 1.5}, {"name": "x", "value": -0.0, "unit": None, "tags": None},
        {"name": " x ", "value": 1e308, "unit": "ms", "tags": {"a": [1]}},
        {"name": "x", "value": 3}, {"name": "x", "value": True}, {"name": "x", "value": float("nan")},
        {"name": "x", "value": float("inf")}, {"name": "x", "value": -float("inf")},
        {"name": 5, "value": 1.0}, {"name": "x", "value": 1.0, "unit": 5}, {"value": 1.0},
        {"name": "x"}, {"name": "x", "value": 1.0, "mood": "fine"}, {"name": None, "value": 1.0},
        {"name": "x", "value": 1.0, "metricType": "COUNTER"}, {"name": "x", "value": 1.0, "metricType": None},
        {"name": "x", "value": 1.0, "recordedAt": "2026-01-01T00:00:00+02:00"}, ["x", 1.0], None,
    ],
)  # fmt: skip
def test_plain_points_are_read_as_field_by_field(item: Any) -> None:
    """The one-test reading of a plain point (values.metric_points) gives what the reading of
    each field gives, or leaves the item to the view just the same."""

    def read(reader: Any) -> Any:
        try:
            return reader(item)
        except values.Unusual:
            return values.Unusual

    assert read(lambda i: values.metric_points([i])[0]) == read(values._metric_point)


async def test_a_documents_cost_is_worked_out_once_and_is_what_the_view_charges(
    app: Starlette, fleet: Fleet
) -> None:
    # The fast path measures a document once, without its variables: for every case it
    # answers, that is the cost the view measures with them (and spends from the budget).
    path = _path(app)
    for name, _, body, answered_here in _cases(fleet):
        if not answered_here:
            continue
        known = path._known(body["query"], body.get("operationName"))
        assert known is not None, name
        document = path.documents.prepare(body["query"]).document
        assert document is not None
        with_variables = checked_cost(
            path.schema, document, body["variables"], body.get("operationName"),
            path.config.limits,
        )  # fmt: skip
        assert with_variables == (known[1], []), name
        assert path._known(body["query"], body.get("operationName")) is known, name
