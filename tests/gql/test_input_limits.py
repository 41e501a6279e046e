"""Every input has a stated limit checked before SQL (gql/input_limits.py): too long, lone
surrogates, control characters, deep or huge JSON, numbers out of range and malformed cursors
are VALIDATION_ERROR naming the field, and nothing is written."""

from __future__ import annotations

import base64
import functools
import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bench.ingest import metric_points
from domain.errors import ValidationFailed
from domain.values import validate_json
from gql.input_limits import (
    MAX_FLOAT_MAGNITUDE,
    MAX_JSON_CHARACTERS,
    MAX_JSON_DEPTH,
    STRING_LIMITS,
    input_refusal,
    plainly_within_heartbeat_limits,
    plainly_within_metric_limits,
)
from gql.schema import build_schema
from tests.gql.conftest import World
from tests.support import factories
from tests.support.api import GraphQLClient

PAUSE = "mutation($i: AgentTransitionInput!) { pauseAgent(input: $i) { agent { status } } }"
STATE = "mutation($i: UpdateAgentStateInput!) { updateAgentState(input: $i) { id } }"
RECORD = (
    "mutation($a: ID!, $m: [MetricInput!]!) { recordMetrics(agentId: $a, metrics: $m) "
    "{ accepted } }"
)
READ = """query($id: ID!, $since: DateTime!) { agent(id: $id) {
  status state { currentWorkflow workflowData } metrics { totalCount }
  metricSummary(name: "cpu") { count avg min max }
  metricSeries(name: "cpu", since: $since, bucketSeconds: 3600, aggregate: SUM)
    { value }
} }"""


def _read(agent: dict[str, Any]) -> dict[str, Any]:
    since = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    return {"id": agent["id"], "since": since}


async def _refused(api: GraphQLClient, token: str, document: str, variables: Any) -> str:
    result = await api.execute(document, variables, token=token)
    assert result.status == 200 and result.code == "VALIDATION_ERROR", result
    return str(result.errors[0]["extensions"].get("field"))


@pytest.fixture
async def agent(api: GraphQLClient, world: World) -> dict[str, Any]:
    return await world.spawn(api, "Limited")


async def test_strings_past_their_limit_are_refused_naming_the_field(
    api: GraphQLClient, world: World, agent: dict[str, Any]
) -> None:
    owner = world.owner["token"]
    huge = "r" * 900_000
    assert await _refused(api, owner, PAUSE, {"i": {"id": agent["id"], "reason": huge}}) == (
        "input.reason"
    )
    longest = STRING_LIMITS["UpdateAgentStateInput.currentWorkflow"]
    too_long = {"agentId": agent["id"], "currentWorkflow": "w" * (longest + 1)}
    assert await _refused(api, owner, STATE, {"i": too_long}) == "input.currentWorkflow"
    unit = [{"name": "cpu", "value": 1.0, "unit": "u" * (STRING_LIMITS["MetricInput.unit"] + 1)}]
    assert await _refused(api, owner, RECORD, {"a": agent["id"], "m": unit}) == "metrics[0].unit"
    # At the limit it is stored.
    exact = {"agentId": agent["id"], "currentWorkflow": "w" * longest}
    assert await api.ok(STATE, {"i": exact}, token=owner)
    read = await api.ok(READ, _read(agent), token=owner)
    assert read["agent"]["status"] == "IDLE" and read["agent"]["metrics"]["totalCount"] == 0


async def test_surrogates_and_control_characters_are_refused(
    api: GraphQLClient, world: World, agent: dict[str, Any]
) -> None:
    owner = world.owner["token"]
    surrogate = (
        'mutation($a: ID!) { updateAgentState(input: {agentId: $a, currentWorkflow: "x\\ud800"})'
        " { id } }"
    )
    # In a literal the lexer refuses it already (a syntax error); in JSON it must be refused too.
    assert await _refused(api, owner, surrogate, {"a": agent["id"]}) in {
        "input.currentWorkflow", "None",
    }  # fmt: skip
    in_key = (
        'mutation($a: ID!) { updateAgentState(input: {agentId: $a, workflowData: {k: "v"}}) '
        "{ id } }"
    )
    assert (await api.execute(in_key, {"a": agent["id"]}, token=owner)).code is None
    key_literal = in_key.replace("{k:", '{k: "\\udfff", j:')
    assert await _refused(api, owner, key_literal, {"a": agent["id"]}) in {
        "input.workflowData", "None",
    }  # fmt: skip
    bell = {"agentId": agent["id"], "currentWorkflow": "ring\x07"}
    assert await _refused(api, owner, STATE, {"i": bell}) == "input.currentWorkflow"
    # Free text keeps newlines and tabs.
    paused = await api.ok(PAUSE, {"i": {"id": agent["id"], "reason": "a\n\tb"}}, token=owner)
    assert paused["pauseAgent"]["agent"]["status"] == "PAUSED"


async def test_json_too_deep_or_too_big_is_refused(
    api: GraphQLClient, world: World, agent: dict[str, Any]
) -> None:
    owner = world.owner["token"]
    deep: Any = 1
    for _ in range(MAX_JSON_DEPTH + 2):
        deep = {"d": deep}
    state = {"agentId": agent["id"], "workflowData": deep}
    assert await _refused(api, owner, STATE, {"i": state}) == "input.workflowData"
    big = {"agentId": agent["id"], "workflowData": {"blob": ["x" * 1000] * 100}}
    assert await _refused(api, owner, STATE, {"i": big}) == "input.workflowData"


def _json_of_length(characters: int) -> dict[str, Any]:
    """A JSON object that ``json.dumps`` writes in exactly ``characters`` characters, with
    enough separators that its compact form is much shorter."""
    value: dict[str, Any] = {"l": [1] * 15_000, "s": ""}
    value["s"] = "x" * (characters - len(json.dumps(value, ensure_ascii=False)))
    assert len(json.dumps(value, ensure_ascii=False)) == characters
    return value


async def test_json_size_is_counted_as_json_dumps_writes_it(
    api: GraphQLClient, world: World, agent: dict[str, Any]
) -> None:
    owner = world.owner["token"]
    at_limit = {"agentId": agent["id"], "workflowData": _json_of_length(MAX_JSON_CHARACTERS)}
    assert await api.ok(STATE, {"i": at_limit}, token=owner)
    past = {"agentId": agent["id"], "workflowData": _json_of_length(MAX_JSON_CHARACTERS + 1)}
    assert await _refused(api, owner, STATE, {"i": past}) == "input.workflowData"
    nested = {"blob": [{"k": "é" * 500, "n": 1e100}] * 10}  # plainly small: 10,000-odd bytes
    assert await api.ok(STATE, {"i": {"agentId": agent["id"], "workflowData": nested}}, token=owner)


async def test_metric_values_are_bounded_so_aggregates_cannot_overflow(
    api: GraphQLClient, world: World, agent: dict[str, Any]
) -> None:
    owner = world.owner["token"]
    for value in (1e308, -1e308, MAX_FLOAT_MAGNITUDE * 10):
        points = [{"name": "cpu", "value": value}]
        assert await _refused(api, owner, RECORD, {"a": agent["id"], "m": points}) == (
            "metrics[0].value"
        )
    literal = 'mutation($a: ID!) { recordMetrics(agentId: $a, metrics: [{name: "cpu", value: 1e308}]) { accepted } }'
    assert await _refused(api, owner, literal, {"a": agent["id"]}) == "metrics[0].value"
    points = [{"name": "cpu", "value": MAX_FLOAT_MAGNITUDE}] * 3
    assert await api.ok(RECORD, {"a": agent["id"], "m": points}, token=owner)
    read = (await api.ok(READ, _read(agent), token=owner))["agent"]
    assert read["metricSummary"]["count"] == 3 and read["metricSummary"]["max"] == 1e100
    assert read["metricSeries"][0]["value"] == pytest.approx(3e100)


def _b64(value: Any) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


async def test_every_malformed_cursor_is_a_validation_error_on_after_or_before(
    api: GraphQLClient, world: World, agent: dict[str, Any]
) -> None:
    owner = world.owner["token"]
    await api.ok(RECORD, {"a": agent["id"], "m": [{"name": "cpu", "value": 1.0}]}, token=owner)
    page = "query($id: ID!, $c: String) { agent(id: $id) { metrics(first: 1, after: $c) { totalCount } } }"
    history = "query($c: String) { agents(last: 1, before: $c) { totalCount } }"
    other = await api.ok(
        "query($id: ID!) { agent(id: $id) { statusHistory(first: 1) { edges { cursor } } } }",
        {"id": agent["id"]},
        token=owner,
    )
    transition_cursor = other["agent"]["statusHistory"]["edges"][0]["cursor"]
    bad = [
        "%%%not base64", _b64(b"\xff\xfe"), _b64("a string"), _b64([]), _b64(["metric"]),
        _b64(["metric", "yesterday", 1]), _b64(["metric", "2026-01-01T00:00:00", "x"]),
        _b64(["metric", "2026-01-01T00:00:00", 2**70]), _b64(["nope", 1]), transition_cursor,
        "x" * 20_000,
    ]  # fmt: skip
    for cursor in bad:
        variables = {"id": agent["id"], "c": cursor}
        result = await api.execute(page, variables, token=owner)
        assert result.code == "VALIDATION_ERROR", (cursor, result)
        assert result.errors[0]["extensions"]["field"] in {"after", "c"}, (cursor, result)
    for cursor in bad[:-2]:
        result = await api.execute(history, {"c": cursor}, token=owner)
        assert result.code == "VALIDATION_ERROR" and result.errors[0]["extensions"]["field"] == (
            "before"
        ), (cursor, result)


async def test_an_agent_token_name_is_limited_too(api: GraphQLClient, world: World) -> None:
    agent = await world.spawn(api, "Named")
    create = "mutation($a: ID!, $n: String) { createAgentToken(agentId: $a, name: $n) { id } }"
    long_name = "n" * (STRING_LIMITS["Mutation.createAgentToken(name)"] + 1)
    assert (
        await _refused(api, world.owner["token"], create, {"a": agent["id"], "n": long_name})
        == "name"
    )
    assert await factories.agent_token(api, world.owner["token"], agent["id"], name="ok")


# The ingest path's shortcut (plainly_within_metric_limits) against the full walk: whenever it
# says a batch is plainly within the limits, input_refusal finds nothing; it says so for the
# batches runtimes send; and each way past a limit makes it defer to the walk.
_SCHEMA = build_schema()
_RECORD_DOCUMENT = _SCHEMA.documents.prepare(RECORD).document
_AGENT = "QWdlbnQ6MDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAx"


def _refusal(points: Any, agent_id: Any = _AGENT) -> Any:
    assert _RECORD_DOCUMENT is not None
    return input_refusal(_SCHEMA._schema, _RECORD_DOCUMENT, {"a": agent_id, "m": points})


_PLAIN_BATCHES = [
    metric_points(1000),
    [{"name": "x", "value": v} for v in (-0.0, 1e100, -1e100, 5e-324, 0, 2**70)],
    [{"name": "n" * 200, "value": 1.5, "unit": "u" * 50, "metricType": "COUNTER",
      "recordedAt": "2026-01-01T00:00:00+05:30", "tags": None}],
    [{"name": "tab\there", "value": 1, "unit": None, "tags": {"é": "line\nbreak\r", "n": 1e100,
      "i": -(2**63), "b": True, "z": None}}],
    [{"name": "x", "value": 1, "tags": {f'{i:03d}"' * 64: "\\" * 256 for i in range(32)}}],
    [],
]  # fmt: skip

_PAST_A_LIMIT = [
    ([{"name": "n" * 201, "value": 1}], _AGENT),
    ([{"name": "a\x01", "value": 1}], _AGENT),
    ([{"name": "a\x7f", "value": 1}], _AGENT),
    ([{"name": "a\ud800", "value": 1}], _AGENT),
    ([{"name": "x", "value": 1, "unit": "u" * 51}], _AGENT),
    ([{"name": "x", "value": 1, "unit": "\x0b"}], _AGENT),
    ([{"name": "x", "value": 1e101}], _AGENT),
    ([{"name": "x", "value": -1e101}], _AGENT),
    ([{"name": "x", "value": float("nan")}], _AGENT),
    ([{"name": "x", "value": float("inf")}], _AGENT),
    ([{"name": "x", "value": 1, "recordedAt": "2026\x01"}], _AGENT),
    ([{"name": "x", "value": 1, "recordedAt": "r" * 10_001}], _AGENT),
    ([{"name": "x", "value": 1, "tags": {"k": "v\x01"}}], _AGENT),
    ([{"name": "x", "value": 1, "tags": {"k\x1f": "v"}}], _AGENT),
    ([{"name": "x", "value": 1, "tags": {"k": "\ud800"}}], _AGENT),
    ([{"name": "x", "value": 1, "tags": {"k": 1e300}}], _AGENT),
    ([{"name": "x", "value": 1, "tags": {"k": "v" * (MAX_JSON_CHARACTERS + 1)}}], _AGENT),
    ([{"name": "x", "value": 1, "tags": {"k": [1e300]}}], _AGENT),
    ([{"name": "x", "value": 1, "tags": functools.reduce(lambda t, _: {"k": t}, range(40), {})}], _AGENT),
    ([{"name": "x", "value": 1}], "a\x01"),
    ([{"name": "x", "value": 1}], "a" * 10_001),
]  # fmt: skip


def test_the_metric_shortcut_proves_plain_batches_and_defers_the_rest() -> None:
    for points in _PLAIN_BATCHES:
        assert plainly_within_metric_limits(points, _AGENT), points
        assert _refusal(points) is None
    for points, agent_id in _PAST_A_LIMIT:
        assert _refusal(points, agent_id) is not None, points
        assert not plainly_within_metric_limits(points, agent_id), points


def test_the_metric_shortcut_never_passes_what_the_walk_refuses() -> None:
    rng = random.Random(14)
    texts = ["", "x", "\t\n\r", "é🚀", '"\\', "\x7f", "\x01", "\ud800", "\x0c"]
    numbers = [0, -0.0, 1.5, 1e100, -1e100, 1.0000000000000002e100, 1e300, float("nan"), 2**64]

    def text(limit: int) -> str:
        return rng.choice(texts) + "a" * rng.choice([0, limit - 2, limit - 1, limit, limit + 1])

    def tags() -> Any:
        size = rng.choice([0, 1, 32, 33])
        return {text(256): rng.choice([text(256), rng.choice(numbers), None, [1], True])
                for _ in range(size)}  # fmt: skip

    for _ in range(400):
        point: dict[str, Any] = {"name": text(200), "value": rng.choice(numbers)}
        for field, make in (
            ("unit", lambda: text(50)),
            ("tags", tags),
            ("recordedAt", lambda: text(40)),
            ("metricType", lambda: "GAUGE"),
        ):
            if rng.random() < 0.5:
                point[field] = rng.choice([None, make()])
        points = [point] * rng.choice([1, 3])
        if plainly_within_metric_limits(points, _AGENT):
            assert _refusal(points) is None, points


# The same for heartbeats (plainly_within_heartbeat_limits), and what lets the use case check
# only the kinds of a beat's JSON values on the ingest path (json_checked): whatever passes the
# shortcut, or the walk it defers to, passes domain.values.validate_json too.
_HEARTBEATS = "mutation($i: [HeartbeatInput!]!) { heartbeats(inputs: $i) { accepted } }"
_HEARTBEATS_DOCUMENT = _SCHEMA.documents.prepare(_HEARTBEATS).document


def _beats_refusal(beats: Any) -> Any:
    assert _HEARTBEATS_DOCUMENT is not None
    return input_refusal(_SCHEMA._schema, _HEARTBEATS_DOCUMENT, {"i": beats})


def _storable(beats: list[dict[str, Any]]) -> bool:
    try:
        for beat in beats:
            for name in ("resourceUsage", "activeWorkflows"):
                validate_json(beat.get(name), name)
    except ValidationFailed:
        return False
    return True


def _deep(levels: int) -> Any:
    """A JSON value whose innermost node is ``levels`` below the value itself."""
    return functools.reduce(lambda inner, _: {"d": inner}, range(levels), 1)


_PLAIN_BEATS = [
    [{"agentId": _AGENT, "resourceUsage": {"cpu": 0.5}}] * 100,
    [{"agentId": _AGENT, "resourceUsage": None, "activeWorkflows": None, "currentWorkflow": None,
      "at": None}],
    [{"agentId": _AGENT, "currentWorkflow": "w" * 200, "at": "2026-01-01T00:00:00+05:30",
      "resourceUsage": {"é": "line\nbreak\r\t", "n": [1e100, -1e100, -0.0, 5e-324, -(2**63), 2**70],
                        "b": True, "z": None, "o": {}, "l": []},
      "activeWorkflows": [{"id": "wf", "steps": [[], {}]}, "x" * 1000, 12]}],
    [{"agentId": _AGENT, "resourceUsage": {"d": _deep(MAX_JSON_DEPTH - 1)},
      "activeWorkflows": [_deep(MAX_JSON_DEPTH - 1)]}],
    [{"agentId": _AGENT, "resourceUsage": {"k" * 10_000: "v" * 20_000}}],
    [{"agentId": _AGENT, "resourceUsage": _json_of_length(MAX_JSON_CHARACTERS)}],
    [],
]  # fmt: skip

_JSON_PAST_A_LIMIT = [
    {"k": "v\x01"}, {"k\x1f": "v"}, {"k": "a\x00b"}, {"k\x00": 1}, {"k": "\x7f"},
    {"k": "\ud800"}, {"\udfff": 1}, {"k": ["ok", ["\x0b"]]}, {"k": 1e300}, {"k": [-1e101]},
    {"k": float("nan")}, {"k": [float("inf")]}, {"k": {"j": -float("inf")}},
    {"d": _deep(MAX_JSON_DEPTH)}, {"d": [_deep(MAX_JSON_DEPTH - 1)]},
    {"k": "v" * (MAX_JSON_CHARACTERS + 1)}, {"k" * 10_001: 1},
    _json_of_length(MAX_JSON_CHARACTERS + 1),
    {"k": "v" * (MAX_JSON_CHARACTERS - 8)},  # each string within, the whole past it
    {"k": '"' * 33_000},  # within, until escaped
    {"blob": ["x" * 1000] * 100},
]  # fmt: skip

_BEATS_PAST_A_LIMIT = [
    *([{"agentId": _AGENT, "resourceUsage": value}] for value in _JSON_PAST_A_LIMIT),
    *([{"agentId": _AGENT, "activeWorkflows": [value]}] for value in _JSON_PAST_A_LIMIT),
    # Only the last beat of a batch past a limit.
    [{"agentId": _AGENT, "resourceUsage": {"cpu": 0.5}}] * 99
    + [{"agentId": _AGENT, "activeWorkflows": [{"k": "\x01"}]}],
    [{"agentId": "a\x01"}],
    [{"agentId": "a" * 10_001}],
    [{"agentId": _AGENT, "currentWorkflow": "w" * 201}],
    [{"agentId": _AGENT, "currentWorkflow": "ring\x07"}],
    [{"agentId": _AGENT, "at": "2026\x0c"}],
    [{"agentId": _AGENT, "at": "t" * 10_001}],
]


def test_the_heartbeat_shortcut_proves_plain_batches_and_defers_the_rest() -> None:
    for beats in _PLAIN_BEATS:
        assert plainly_within_heartbeat_limits(beats), beats
        assert _beats_refusal(beats) is None
        assert _storable(beats)
    for beats in _BEATS_PAST_A_LIMIT:
        assert _beats_refusal(beats) is not None, beats
        assert not plainly_within_heartbeat_limits(beats), beats


def test_what_the_use_case_no_longer_walks_is_refused_before_it() -> None:
    # Every value validate_json refuses (a NUL, NaN, ±Infinity, anywhere) is refused by the
    # walk too, so a beat the ingest path lets through is storable either way.
    for value in ({"k": "a\x00b"}, {"k\x00": 1}, {"k": [float("nan")]}, {"k": {"j": float("inf")}}):
        assert not _storable([{"resourceUsage": value}])
        assert _beats_refusal([{"agentId": _AGENT, "resourceUsage": value}]) is not None


def test_the_heartbeat_shortcut_and_the_walk_never_pass_what_the_use_case_refuses() -> None:
    rng = random.Random(14)
    texts = ["", "x", "\t\n\r", "é🚀", '"\\', "\x7f", "\x01", "\x00", "\ud800", "\x0c"]
    numbers = [0, -0.0, 1.5, 1e100, -1e100, 1.0000000000000002e100, 1e300, float("nan"),
               float("inf"), -float("inf"), 2**64, True, None]  # fmt: skip

    def text(limit: int) -> str:
        return rng.choice(texts) + "a" * rng.choice([0, limit - 2, limit - 1, limit, limit + 1])

    def json_value(depth: int) -> Any:
        kind = rng.random()
        if depth <= 0 or kind < 0.3:
            return rng.choice([text(64), rng.choice(numbers)])
        if kind < 0.65:
            return [json_value(depth - 1) for _ in range(rng.choice([0, 1, 3]))]
        return {text(8): json_value(depth - 1) for _ in range(rng.choice([0, 1, 3]))}

    def nested(value: Any, levels: int) -> Any:
        for _ in range(levels):
            value = [value]
        return value

    for _ in range(400):
        beat: dict[str, Any] = {"agentId": text(64)}
        for field, make in (
            ("resourceUsage", lambda: {"u": nested(json_value(3), rng.choice([0, 27, 28, 29]))}),
            ("activeWorkflows", lambda: [json_value(4)]),
            ("currentWorkflow", lambda: text(200)),
            ("at", lambda: text(40)),
        ):
            if rng.random() < 0.6:
                beat[field] = rng.choice([None, make()])
        beats = [beat] * rng.choice([1, 3])
        if plainly_within_heartbeat_limits(beats):
            assert _beats_refusal(beats) is None, beats
        if _beats_refusal(beats) is None:
            assert _storable(beats), beats
