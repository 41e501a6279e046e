"""Metrics: ingest limits, raw points with filters, time buckets and summaries (seeds' checks)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.gql.conftest import World
from tests.support.api import GraphQLClient

RECORD = """
mutation($agent: ID!, $metrics: [MetricInput!]!) {
  recordMetrics(agentId: $agent, metrics: $metrics) { accepted }
}
"""
POINTS = """
query($id: ID!, $name: String, $since: DateTime, $until: DateTime, $tags: JSON, $first: Int) {
  agent(id: $id) {
    metrics(name: $name, since: $since, until: $until, tags: $tags, first: $first) {
      totalCount edges { node { value tags recordedAt metricType unit } }
    }
  }
}
"""
SUMMARY = """
query($id: ID!, $name: String!, $since: DateTime, $until: DateTime) {
  agent(id: $id) { metricSummary(name: $name, since: $since, until: $until) {
    count avg min max sum last lastAt } }
}
"""
SERIES = """
query($id: ID!, $name: String!, $since: DateTime!, $until: DateTime, $bucket: Int!, $agg: MetricAggregate) {
  agent(id: $id) { metricSeries(name: $name, since: $since, until: $until, bucketSeconds: $bucket,
                                aggregate: $agg) { bucket value count } }
}
"""

BASE = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def _at(minutes: int) -> str:
    return (BASE + timedelta(minutes=minutes)).isoformat()


async def _seed_points(api: GraphQLClient, world: World) -> str:
    agent = await world.spawn(api, "Metrics Agent")
    points = [
        {"name": "latency_ms", "value": 100, "recordedAt": _at(0), "tags": {"region": "us-east"}},
        {"name": "latency_ms", "value": 200, "recordedAt": _at(10), "tags": {"region": "eu-west"}},
        {
            "name": "latency_ms",
            "value": 150,
            "recordedAt": _at(20),
            "tags": {"region": "us-west", "tier": "gold"},
        },
        {"name": "latency_ms", "value": 175, "recordedAt": _at(30), "tags": {}},
        {
            "name": "latency_ms",
            "value": 225,
            "recordedAt": _at(40),
            "unit": "ms",
            "metricType": "HISTOGRAM",
        },
        {"name": "requests", "value": 1, "recordedAt": _at(5), "metricType": "COUNTER"},
    ]
    data = await api.ok(
        RECORD, {"agent": agent["id"], "metrics": points}, token=world.owner["token"]
    )
    assert data["recordMetrics"]["accepted"] == 6
    return str(agent["id"])


async def _query(api: GraphQLClient, world: World, query: str, **variables: Any) -> dict[str, Any]:
    return dict((await api.ok(query, variables, token=world.owner["token"]))["agent"])


async def test_seed_checks_average_tags_and_time_range(api: GraphQLClient, world: World) -> None:
    agent_id = await _seed_points(api, world)
    summary = (await _query(api, world, SUMMARY, id=agent_id, name="latency_ms"))["metricSummary"]
    assert summary == {
        "count": 5, "avg": 170.0, "min": 100.0, "max": 225.0, "sum": 850.0, "last": 225.0,
        "lastAt": _at(40),
    }  # fmt: skip

    tagged = (await _query(api, world, POINTS, id=agent_id, tags={"region": "us-west"}))["metrics"]
    assert tagged["totalCount"] == 1
    assert [e["node"]["value"] for e in tagged["edges"]] == [150.0]

    ranged = (
        await _query(
            api, world, POINTS, id=agent_id, name="latency_ms", since=_at(10), until=_at(30)
        )
    )["metrics"]
    assert sorted(e["node"]["value"] for e in ranged["edges"]) == [150.0, 175.0, 200.0]
    assert ranged["totalCount"] == 3

    newest = (await _query(api, world, POINTS, id=agent_id, first=2))["metrics"]
    assert [e["node"]["value"] for e in newest["edges"]] == [225.0, 175.0]
    assert newest["edges"][0]["node"]["metricType"] == "HISTOGRAM"


async def test_series_buckets_and_aggregates(api: GraphQLClient, world: World) -> None:
    agent_id = await _seed_points(api, world)
    common = {
        "id": agent_id,
        "name": "latency_ms",
        "since": _at(0),
        "until": _at(60),
        "bucket": 1200,
    }
    avg = (await _query(api, world, SERIES, **common))["metricSeries"]
    assert avg == [
        {"bucket": _at(0), "value": 150.0, "count": 2},
        {"bucket": _at(20), "value": 162.5, "count": 2},
        {"bucket": _at(40), "value": 225.0, "count": 1},
    ]
    expectations = {"MAX": [200.0, 175.0, 225.0], "SUM": [300.0, 325.0, 225.0], "LAST": [200.0, 175.0, 225.0],
                    "MIN": [100.0, 150.0, 225.0], "COUNT": [2.0, 2.0, 1.0]}  # fmt: skip
    for aggregate, values in expectations.items():
        series = (await _query(api, world, SERIES, **common, agg=aggregate))["metricSeries"]
        assert [p["value"] for p in series] == values, aggregate
    # Empty buckets are omitted.
    sparse = (await _query(api, world, SERIES, **{**common, "bucket": 300}))["metricSeries"]
    assert [p["bucket"] for p in sparse] == [_at(0), _at(10), _at(20), _at(30), _at(40)]


async def test_bad_metric_arguments_name_the_argument(api: GraphQLClient, world: World) -> None:
    agent_id = await _seed_points(api, world)
    token = world.owner["token"]
    cases = [
        (SERIES, {"name": "x", "since": _at(0), "bucket": 0}, "bucketSeconds"),
        (
            SERIES,
            {"name": "x", "since": _at(0), "until": _at(600000), "bucket": 1},
            "bucketSeconds",
        ),
        (SERIES, {"name": "x", "since": _at(10), "until": _at(0), "bucket": 60}, "since"),
        (POINTS, {"since": _at(10), "until": _at(0)}, "since"),
        (POINTS, {"tags": ["not", "an", "object"]}, "tags"),
        (POINTS, {"first": -5}, "first"),
    ]
    for query, variables, field in cases:
        result = await api.execute(query, {"id": agent_id, **variables}, token=token)
        assert result.code == "VALIDATION_ERROR", (field, result.errors)
        assert result.errors[0]["extensions"]["field"] == field


async def test_ingest_limits_write_nothing(api: GraphQLClient, world: World) -> None:
    agent = await world.spawn(api)
    token = world.owner["token"]
    too_many = [{"name": "m", "value": 1.0}] * 1001
    result = await api.execute(RECORD, {"agent": agent["id"], "metrics": too_many}, token=token)
    assert (
        result.code == "VALIDATION_ERROR" and result.errors[0]["extensions"]["field"] == "metrics"
    )
    bad_tags = [{"name": "m", "value": 1.0}, {"name": "m", "value": 2.0, "tags": [1]}]
    result = await api.execute(RECORD, {"agent": agent["id"], "metrics": bad_tags}, token=token)
    assert result.errors[0]["extensions"]["field"] == "metrics[1].tags"
    # GraphQL Float cannot carry NaN or Infinity: JSON has no such numbers; a huge literal is refused.
    overflow = await api.execute(
        'mutation($a: ID!) { recordMetrics(agentId: $a, metrics: [{name: "m", value: 1e999}]) { accepted } }',
        {"a": agent["id"]},
        token=token,
    )
    assert overflow.code == "VALIDATION_ERROR"
    full = await api.ok(RECORD, {"agent": agent["id"], "metrics": too_many[:1000]}, token=token)
    assert full["recordMetrics"]["accepted"] == 1000
    count = (await _query(api, world, POINTS, id=agent["id"], first=1))["metrics"]["totalCount"]
    assert count == 1000
