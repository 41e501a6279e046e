"""JSON log lines of a failing request: its request id (the client's, echoed), operation,
caller and error code, and the INTERNAL error's reference and traceback in one record."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from starlette.applications import Starlette

from agentgraph.bootstrap import create_app
from agentgraph.logs import Redactor, handler, sensitive_values
from agentgraph.settings import Settings
from gql.ids import from_global_id
from tests.conftest import TEST_SECRET, _asyncpg_dsn
from tests.gql.conftest import World
from tests.support.api import GraphQLClient
from tests.support.servers import http_url, serve

PAUSE = "mutation Pause($id: ID!) { pauseAgent(input: {id: $id}) { agent { status } } }"


@pytest.fixture
async def impatient(
    settings: Settings, database_url: str, tmp_path: Path
) -> AsyncIterator[GraphQLClient]:
    """The app with a 300 ms statement timeout, on the test database."""
    quick = settings.model_copy(update={"statement_timeout_ms": 300, "data_dir": tmp_path})
    app: Starlette = create_app(quick, database_url=database_url)
    try:
        async with GraphQLClient.for_app(app) as client:
            yield client
    finally:
        await app.state.services.database.dispose()


@pytest.fixture
def json_lines(settings: Settings) -> Iterator[io.StringIO]:
    """What the server's JSON log handler writes, as serve sets it up (at INFO)."""
    stream = io.StringIO()
    configured = settings.model_copy(update={"log_format": "json"})
    out = handler(configured, Redactor(sensitive_values(configured)), stream)
    root = logging.getLogger()
    level = root.level
    root.addHandler(out)
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(out)
        root.setLevel(level)


def _records(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


async def test_an_internal_error_is_one_record_with_its_reference_traceback_and_request(
    api: GraphQLClient,
    world: World,
    impatient: GraphQLClient,
    database_url: str,
    json_lines: io.StringIO,
) -> None:
    token = world.owner["token"]
    agent = await world.spawn(api, "Locked")
    holder = await asyncpg.connect(_asyncpg_dsn(database_url))
    try:
        transaction = holder.transaction()
        await transaction.start()
        await holder.execute(
            "SELECT 1 FROM agents WHERE id = $1 FOR UPDATE", from_global_id(agent["id"], "Agent")
        )
        response = await asyncio.wait_for(
            impatient.http.post(
                "/graphql",
                json={"query": PAUSE, "variables": {"id": agent["id"]}},
                headers={"Authorization": f"Bearer {token}", "X-Request-ID": "trace-me.42"},
            ),
            30,
        )
    finally:
        await holder.close()

    assert response.headers["x-request-id"] == "trace-me.42"
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "INTERNAL"}
    reference = re.search(r"reference ([0-9a-f]{12})", error["message"]).group(1)  # type: ignore[union-attr]

    records = _records(json_lines)
    [internal] = [r for r in records if r["logger"] == "agentgraph.errors"]
    assert internal["level"] == "ERROR"
    assert internal["reference"] == reference and reference in internal["message"]
    assert internal["request_id"] == "trace-me.42"
    # The traceback is in the same record, down to PostgreSQL's cancellation.
    assert "Traceback" in internal["exc_info"] and "QueryCanceledError" in internal["exc_info"]

    [request] = [r for r in records if r["logger"] == "agentgraph.requests"]
    assert request["level"] == "ERROR"
    assert request["request_id"] == "trace-me.42"
    assert request["operation"] == "Pause"
    assert request["caller"] == "user"
    assert request["error_codes"] == ["INTERNAL"]
    assert request["status"] == 200 and request["method"] == "POST"
    assert isinstance(request["duration_ms"], float) and request["duration_ms"] > 0
    assert all(isinstance(r["time"], str) for r in records)


@pytest.mark.parametrize("given", ["has space", "x" * 129, "semi;colon", ""])
async def test_a_malformed_request_id_is_replaced(
    api: GraphQLClient, json_lines: io.StringIO, given: str
) -> None:
    response = await api.http.post(
        "/graphql", json={"query": "query Broken { nope }"}, headers={"X-Request-ID": given}
    )
    made = response.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    [request] = [r for r in _records(json_lines) if r["logger"] == "agentgraph.requests"]
    assert request["request_id"] == made and request["caller"] == "anonymous"
    assert request["level"] == "INFO" and request["error_codes"] == ["VALIDATION_ERROR"]


async def test_every_request_gets_an_id(api: GraphQLClient) -> None:
    first, second = [(await api.http.get("/healthz")).headers["x-request-id"] for _ in range(2)]
    assert first != second


async def test_sensitive_values_never_reach_a_line(settings: Settings) -> None:
    stream = io.StringIO()
    configured = settings.model_copy(
        update={
            "log_format": "json",
            "metrics_token": "scrape-secret-token",
            "broadcast_url": "redis://:redis-password@localhost:6379/0",
        }
    )
    logger = logging.getLogger("agentgraph.test_logs")
    out = handler(configured, Redactor(sensitive_values(configured)), stream)
    logger.addHandler(out)
    try:
        logger.warning("secret key %s", TEST_SECRET)
        logger.warning("token %s, redis %s", "scrape-secret-token", configured.broadcast_url)
        try:
            raise ValueError(f"failed with {TEST_SECRET}")
        except ValueError:
            logger.exception("in a traceback too")
    finally:
        logger.removeHandler(out)
    text = stream.getvalue()
    for secret in (TEST_SECRET, "scrape-secret-token", "redis-password"):
        assert secret not in text
    assert text.count("[redacted]") == 4
    assert len(_records(stream)) == 3


async def test_serve_writes_only_json_lines(database_url: str, tmp_path: Path) -> None:
    env = {"AGENTGRAPH_LOG_FORMAT": "json", "AGENTGRAPH_LOG_LEVEL": "debug"}
    async with (
        serve(database_url, TEST_SECRET, tmp_path, env=env) as served,
        httpx.AsyncClient() as http,
    ):
        answered = await http.post(
            http_url(served.url),
            json={"query": "query Ping { __typename }"},
            headers={"X-Request-ID": "from-the-proxy"},
        )
    assert answered.headers["x-request-id"] == "from-the-proxy"
    text = (tmp_path / "serve.log").read_text()
    records = [json.loads(line) for line in text.splitlines()]  # every line is JSON
    assert any(r["logger"] == "uvicorn.error" for r in records)
    [request] = [r for r in records if r.get("request_id") == "from-the-proxy"]
    assert request["operation"] == "Ping" and request["level"] == "DEBUG"
    assert TEST_SECRET not in text
