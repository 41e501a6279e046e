"""/metrics after real traffic: every series is there with the value the traffic gave it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import asyncpg
import httpx
import pytest
from prometheus_client import REGISTRY, generate_latest
from starlette.applications import Starlette

from agentgraph.bootstrap import create_app
from agentgraph.settings import Settings
from domain.events import EventKind, LiveEvent
from gql.compiled.endpoint import CompiledReads
from tests.conftest import TEST_SECRET, _asyncpg_dsn
from tests.gql.conftest import World
from tests.support.api import GraphQLClient
from tests.support.scrape import Samples, samples, value
from tests.support.servers import http_url, serve
from tests.support.waiting import registered, until
from tests.support.ws import TRANSPORT_WS, WSClient
from usecases.live.hub import Listener

ME = "query Me { me { email } }"
BROKEN = "query Broken { me { noSuchField } }"
PAUSE = "mutation Pause($id: ID!) { pauseAgent(input: {id: $id}) { agent { status } } }"
HEARTBEAT = "mutation Beat($input: HeartbeatInput!) { heartbeat(input: $input) { health } }"
RECORD = """
mutation Record($agent: ID!, $metrics: [MetricInput!]!) {
  recordMetrics(agentId: $agent, metrics: $metrics) { accepted }
}
"""
EVENTS = "subscription Watch($agent: ID) { agentEvents(agentId: $agent) { kind } }"


async def _scrape(api: GraphQLClient) -> Samples:
    response = await api.http.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    return samples(response.text)


async def test_every_series_counts_the_traffic(
    api: GraphQLClient, world: World, live_url: str, app: Starlette
) -> None:
    token = world.owner["token"]
    agent = await world.spawn(api, "Counted")
    before = await _scrape(api)

    # Two reads of one named query (the compiled read path answers them), one that fails
    # validation, a heartbeat, three metric points.
    for _ in range(2):
        assert not (await api.execute(ME, token=token)).errors
    assert (await api.execute(BROKEN, token=token)).code == "VALIDATION_ERROR"
    await api.ok(HEARTBEAT, {"input": {"agentId": agent["id"]}}, token=token)
    points = [{"name": "latency_ms", "value": v} for v in (1, 2, 3)]
    await api.ok(RECORD, {"agent": agent["id"], "metrics": points}, token=token)

    client = await WSClient.open(live_url, TRANSPORT_WS, token=token)
    try:
        async with registered(app):
            await client.subscribe(EVENTS, {"agent": agent["id"]})
        await api.ok(PAUSE, {"id": agent["id"]}, token=token)
        assert (await client.next_event("agentEvents"))["kind"] == "STATUS_CHANGED"
        during = await _scrape(api)
    finally:
        await client.close()
    await until(lambda: not app.state.services.hub.sessions.sessions, "the socket's session closed")
    after = await _scrape(api)

    def grew(name: str, **labels: str) -> float:
        return value(during, name, **labels) - value(before, name, **labels)

    operations = "agentgraph_graphql_operations_total"
    assert grew(operations, operation="Me", type="query", outcome="ok") == 2
    assert grew(operations, operation="Broken", type="query", outcome="error") == 1
    assert grew(operations, operation="Beat", type="mutation", outcome="ok") == 1
    assert grew(operations, operation="Pause", type="mutation", outcome="ok") == 1
    assert grew(operations, operation="Watch", type="subscription", outcome="ok") == 1
    assert grew("agentgraph_graphql_errors_total", code="VALIDATION_ERROR") == 1
    # Two reads of Me and one of Broken are queries: three observations of the histogram.
    assert grew("agentgraph_graphql_operation_duration_seconds_count", type="query") == 3
    assert (
        grew("agentgraph_graphql_operation_duration_seconds_bucket", type="query", le="+Inf") == 3
    )
    assert grew("agentgraph_heartbeats_ingested_total") == 1
    assert grew("agentgraph_metric_points_ingested_total") == 3
    # The pause committed one durable event; the subscription's listener got it.
    assert grew("agentgraph_events_published_total") == 1
    assert grew("agentgraph_events_delivered_total") >= 1

    assert value(during, "agentgraph_open_connections", transport=TRANSPORT_WS) == 1
    assert value(after, "agentgraph_open_connections", transport=TRANSPORT_WS) == 0
    assert value(during, "agentgraph_subscriptions") == 1
    assert value(during, "agentgraph_live_sessions") == 1
    assert value(during, "agentgraph_subscription_listeners") >= 1
    assert value(after, "agentgraph_subscriptions") == 0
    assert value(during, "agentgraph_db_pool_size") == 10
    assert value(during, "agentgraph_db_pool_checked_out") == 0  # between requests
    assert value(during, "agentgraph_db_pool_overflow") == 0


async def test_cohorts_and_their_members(
    api: GraphQLClient, world: World, live_url: str, app: Starlette
) -> None:
    token = world.owner["token"]
    agent = await world.spawn(api, "Shared")
    clients = [await WSClient.open(live_url, TRANSPORT_WS, token=token) for _ in range(2)]
    try:
        async with registered(app):
            await clients[0].subscribe(EVENTS, {"agent": agent["id"]})
        await clients[1].subscribe(EVENTS, {"agent": agent["id"]})
        cohorts = app.state.graphql.cohorts.running.values()
        await until(lambda: sum(len(c.members) for c in cohorts) == 2, "the second joined")
        page = await _scrape(api)
    finally:
        for client in clients:
            await client.close()
    # The same subscription of the same viewer: one cohort of two.
    assert value(page, "agentgraph_subscription_cohorts") == 1
    assert value(page, "agentgraph_subscription_cohort_members") == 2


async def test_an_overflowing_queue_counts_what_it_dropped() -> None:
    listener = Listener(lambda event: True, capacity=2)
    before = samples_now()
    for seq in range(1, 4):  # the third does not fit: all three are dropped
        listener.offer(LiveEvent(EventKind.STATE_UPDATED, uuid4(), uuid4(), datetime.now(UTC), seq))
    after = samples_now()
    dropped = "agentgraph_events_dropped_total"
    assert value(after, dropped, reason="overflow") - value(before, dropped, reason="overflow") == 3
    delivered = "agentgraph_events_delivered_total"
    assert value(after, delivered) - value(before, delivered) == 2


def samples_now() -> Samples:
    return samples(generate_latest(REGISTRY).decode())


async def test_a_lost_listen_connection_counts_a_reconnect(
    api: GraphQLClient, app: Starlette, database_url: str
) -> None:
    backend = app.state.services.hub.broadcast._backend
    reconnects = backend.reconnects
    before = value(await _scrape(api), "agentgraph_listen_reconnects_total")
    admin = await asyncpg.connect(_asyncpg_dsn(database_url))
    try:
        await admin.execute("SELECT pg_terminate_backend($1)", backend._conn.get_server_pid())
    finally:
        await admin.close()
    await until(lambda: backend.reconnects > reconnects, "the LISTEN connection came back", 30)
    assert value(await _scrape(api), "agentgraph_listen_reconnects_total") == before + 1


async def test_the_compiled_path_names_the_operation_it_ran(
    api: GraphQLClient, world: World, app: Starlette
) -> None:
    route: Any = next(r for r in app.routes if getattr(r, "path", "") == "/graphql")
    compiled = route.app
    while not isinstance(compiled, CompiledReads):
        compiled = compiled.app
    document = "query First { __typename } query Second { me { email } }"
    before, served = await _scrape(api), compiled.served
    for chosen in ("Second", "Second", "First"):
        answer = await api.http.post(
            "/graphql",
            json={"query": document, "operationName": chosen},
            headers={"Authorization": f"Bearer {world.owner['token']}"},
        )
        assert answer.status_code == 200 and "errors" not in answer.json()
    after = await _scrape(api)
    assert compiled.served == served + 3  # all three answered by the compiled path

    def grew(operation: str) -> float:
        labels = {"operation": operation, "type": "query", "outcome": "ok"}
        name = "agentgraph_graphql_operations_total"
        return value(after, name, **labels) - value(before, name, **labels)

    assert (grew("Second"), grew("First"), grew("anonymous")) == (2, 1, 0)


async def test_the_token_guards_metrics(
    settings: Settings, database_url: str, tmp_path: Path
) -> None:
    guarded = settings.model_copy(update={"metrics_token": "scrape-secret", "data_dir": tmp_path})
    app = create_app(guarded, database_url=database_url)
    try:
        async with GraphQLClient.for_app(app) as client:
            missing = await client.http.get("/metrics")
            wrong = await client.http.get("/metrics", headers={"Authorization": "Bearer nope"})
            right = await client.http.get(
                "/metrics", headers={"Authorization": "Bearer scrape-secret"}
            )
    finally:
        await app.state.services.database.dispose()
    assert missing.status_code == wrong.status_code == 401
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert "agentgraph_" not in missing.text
    assert right.status_code == 200 and "agentgraph_db_pool_size" in right.text


@pytest.mark.slow
async def test_two_processes_add_up_in_multiprocess_mode(database_url: str, tmp_path: Path) -> None:
    shared = tmp_path / "prometheus"
    shared.mkdir()
    env = {"PROMETHEUS_MULTIPROC_DIR": str(shared)}
    async with (
        serve(database_url, TEST_SECRET, tmp_path / "one", env=env) as one,
        serve(database_url, TEST_SECRET, tmp_path / "two", env=env) as two,
        httpx.AsyncClient() as http,
    ):
        for served, times in ((one, 2), (two, 3)):
            for _ in range(times):
                await http.post(http_url(served.url), json={"query": "query Ping { __typename }"})
        pages = [
            samples((await http.get(http_url(s.url).replace("/graphql", "/metrics"))).text)
            for s in (one, two)
        ]
    # Either process answers for both: their operations and their pools add up.
    for page in pages:
        labels = {"operation": "Ping", "type": "query", "outcome": "ok"}
        assert value(page, "agentgraph_graphql_operations_total", **labels) == 5
        assert value(page, "agentgraph_db_pool_size") == 20
