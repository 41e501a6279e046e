"""Hostile input, as an attacker would send it, over a real server: malformed bodies and wrong
methods or media types over HTTP, odd and oversized frames over both WebSocket protocols, and
token, depth, alias, fragment and length bombs on every transport. None gets a 5xx, a close for
an internal error, or an INTERNAL code; each is answered with a code; and right after each the
server answers a normal request correctly."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from tests.gql.conftest import World
from tests.support.api import GraphQLClient
from tests.support.servers import http_url
from tests.support.ws import PROTOCOLS, TRANSPORT_WS, WSClient

ME = "{ me { id } }"
PAUSE = "mutation($id: ID!) { pauseAgent(input: {id: $id}) { agent { id } } }"
# Replays the agent's history: answered at once, without waiting on a live event.
PROBE = 'subscription($a: ID!) { agentStateChanged(agentId: $a, after: "0") { kind } }'


def _fan_out(levels: int, root: str = "Query", leaf: str = "__typename") -> str:
    fragments = " ".join(
        f"fragment F{i} on {root} {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)
    )
    operation = root.lower()
    return f"{operation} {{ ...F0 }} {fragments} fragment F{levels} on {root} {{ a: {leaf} }}"


def _nested(levels: int) -> Any:
    value: Any = 1
    for _ in range(levels):
        value = [value]
    return value


BOMBS = {
    "tokens": "{ " + "__typename " * 2500 + "}",
    "length": "{ __typename" + " " * 70_000 + "}",
    "comment": "{ __typename #" + "x" * 70_000 + "\n}",
    "block string": '{ __typename(a: """' + "x\n" * 40_000 + '""") }',
    "depth": "{" + " me {" * 300 + " id" + " }" * 301,
    "aliases": "{ " + " ".join(f"a{i}: __typename" for i in range(40)) + " }",
    "fragments": _fan_out(40),
    "fragment cycle": "query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }",
    "unknown fragment": "query { ...Nope }",
    "directives": "{ __typename" + " @skip(if: false)" * 400 + " }",
    "syntax": "{ me { id ",
    "nul": '{ agentTypeBySlug(slug: "a\\u0000b") { id } }',
    "no operation": "fragment F on Query { __typename }",
    "two operations": "query A { __typename } query B { __typename }",
}


# --- HTTP ------------------------------------------------------------------------------------

JSON = "application/json"
BODIES: dict[str, tuple[str, bytes]] = {
    "string": (JSON, b'"{ me { id } }"'),
    "number": (JSON, b"42"),
    "null": (JSON, b"null"),
    "true": (JSON, b"true"),
    "empty array": (JSON, b"[]"),
    "batch": (JSON, json.dumps([{"query": ME}, {"query": ME}]).encode()),
    "nested arrays": (JSON, b"[" * 5000 + b"]" * 5000),
    "nested objects": (JSON, b'{"a":' * 2000 + b"1" + b"}" * 2000),
    "nested variables": (
        JSON,
        json.dumps({"query": ME, "variables": {"v": _nested(150)}}).encode(),
    ),
    "invalid utf-8": (JSON, b'{"query": "{ me { id } }\xff\xfe"}'),
    "lone surrogate": (JSON, b'{"query": "{ me { id } }", "variables": {"x": "\\ud800"}}'),
    "latin-1 text": ("application/json; charset=latin-1", b'{"query": "{ me { id } }"}'),
    "NaN": (JSON, b'{"query": "{ __typename }", "variables": {"x": NaN}}'),
    "truncated": (JSON, b'{"query": "{ me'),
    "empty": (JSON, b""),
    "no query": (JSON, b'{"variables": {}}'),
    "null query": (JSON, b'{"query": null}'),
    "numeric query": (JSON, b'{"query": 5}'),
    "list query": (JSON, b'{"query": ["{ me { id } }"]}'),
    "object query": (JSON, b'{"query": {"kind": "Document"}}'),
    "string variables": (JSON, b'{"query": "{ me { id } }", "variables": "{}"}'),
    "list variables": (JSON, b'{"query": "{ me { id } }", "variables": []}'),
    "numeric operationName": (JSON, b'{"query": "{ me { id } }", "operationName": 3}'),
    "unknown operationName": (JSON, b'{"query": "{ me { id } }", "operationName": "Nope"}'),
    "string extensions": (JSON, b'{"query": "{ me { id } }", "extensions": "x"}'),
    "subscription over POST": (JSON, b'{"query": "subscription { agentEvents { kind } }"}'),
    "text/plain": ("text/plain", b'{"query": "{ me { id } }"}'),
    "application/graphql": ("application/graphql", b"{ me { id } }"),
    "form": ("application/x-www-form-urlencoded", b"query=%7B+me+%7B+id+%7D+%7D"),
    "multipart": (
        "multipart/form-data; boundary=x",
        b'--x\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{}\r\n--x--\r\n',
    ),
    "no content type": ("", b'{"query": "{ me { id } }"}'),
    "oversized": (JSON, b'{"query": "{ __typename }", "x": "' + b"x" * (2 << 20) + b'"}'),
    **{
        f"{name} bomb": (JSON, json.dumps({"query": document}).encode())
        for name, document in BOMBS.items()
    },
}


def _codes(body: Any) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in body.get("errors") or ()]


async def _normal_request_is_answered(
    http: httpx.AsyncClient, url: str, owner: dict[str, Any]
) -> None:
    response = await http.post(
        url, json={"query": ME}, headers={"Authorization": f"Bearer {owner['token']}"}
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"data": {"me": {"id": owner["user_id"]}}}


@pytest.mark.parametrize("case", list(BODIES))
async def test_a_hostile_body_gets_a_clear_error_and_no_5xx(
    world: World, live_url: str, case: str
) -> None:
    content_type, body = BODIES[case]
    url = http_url(live_url)
    headers = {"Content-Type": content_type} if content_type else {}
    async with httpx.AsyncClient(timeout=30) as http:
        for token in (None, world.owner["token"]):  # no token needed to be refused clearly
            auth = {"Authorization": f"Bearer {token}"} if token else {}
            response = await http.post(url, content=body, headers={**headers, **auth})
            assert response.status_code < 500, response.text
            codes = _codes(response.json())
            assert codes and "INTERNAL" not in codes and None not in codes, response.text
            if response.status_code in (400, 415):
                assert codes == ["VALIDATION_ERROR"]
                assert response.json()["errors"][0]["extensions"]["field"]
        await _normal_request_is_answered(http, url, world.owner)


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
async def test_methods_other_than_post_are_refused_with_a_graphql_error(
    world: World, live_url: str, method: str
) -> None:
    url = http_url(live_url)
    async with httpx.AsyncClient(timeout=10) as http:
        response = await http.request(
            method, url, params={"query": ME}, headers={"Accept": "application/json"}
        )
        assert response.status_code == 405 and response.headers["Allow"] == "POST"
        if method != "HEAD":
            assert _codes(response.json()) == ["VALIDATION_ERROR"]
        # A browser asking for the page gets GraphiQL (development only).
        page = await http.get(url, headers={"Accept": "text/html"})
        assert page.status_code == 200 and "graphiql" in page.text.lower()
        await _normal_request_is_answered(http, url, world.owner)


async def test_json_nested_100_deep_is_served_and_101_refused(api: GraphQLClient) -> None:
    # The body is level 1 and its variables level 2: 98 more arrays make 100.
    for levels, status in ((98, 200), (99, 400)):
        body = json.dumps({"query": "{ __typename }", "variables": {"v": _nested(levels)}})
        response = await api.http.post(
            "/graphql", content=body, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == status, (levels, response.text)
    # Brackets inside strings are text, not nesting.
    body = json.dumps({"query": "{ __typename }", "variables": {"v": "[" * 500}})
    response = await api.http.post(
        "/graphql", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200


# --- WebSocket ---------------------------------------------------------------------------------


def _frames(protocol: str) -> dict[str, str | bytes]:
    start = "subscribe" if protocol == TRANSPORT_WS else "start"

    def op(payload: Any, op_id: Any = "x") -> str:
        return json.dumps({"type": start, "id": op_id, "payload": payload})

    frames: dict[str, str | bytes] = {
        "not json": "this is not json",
        "binary": b"\x00\x01binary",
        "string": '"subscribe"',
        "number": "5",
        "null": "null",
        "array": "[1, 2]",
        "no type": "{}",
        "numeric type": '{"type": 5}',
        "unknown type": '{"type": "launch"}',
        "no id": json.dumps({"type": start, "payload": {"query": PROBE}}),
        "numeric id": op({"query": PROBE}, 5),
        "empty id": op({"query": PROBE}, ""),
        "string payload": op("subscription { x }"),
        "null payload": op(None),
        "no query": op({}),
        "null query": op({"query": None}),
        "numeric query": op({"query": 5}),
        "list query": op({"query": [PROBE]}),
        "string variables": op({"query": PROBE, "variables": "{}"}),
        "numeric operationName": op({"query": PROBE, "operationName": 3}),
        "unknown operationName": op({"query": PROBE, "operationName": "Nope"}),
        "query": op({"query": ME}),
        "mutation": op({"query": 'mutation { logout(refreshToken: "x") }'}),
        "nested frame": "[" * 5000 + "]" * 5000,
        "nested variables": op({"query": PROBE, "variables": {"v": _nested(150)}}),
        "oversized frame": op({"query": "{ __typename }", "pad": "x" * (1 << 20)}),
        "second connection_init": json.dumps({"type": "connection_init", "payload": {}}),
        "complete unknown id": json.dumps({"type": "complete", "id": "nope"}),
    }
    frames.update({f"{name} bomb": op({"query": doc}) for name, doc in BOMBS.items()})
    return frames


CASES = [(protocol, name) for protocol in PROTOCOLS for name in _frames(protocol)]
# Close codes that mean "your message was refused" (never 1011, an internal error).
REFUSALS = {1000, 1002, 1009, 4400, 4409, 4429}


def _errors(message: dict[str, Any]) -> list[dict[str, Any]]:
    payload = message.get("payload")
    if message["type"] == "error":
        return list(payload) if isinstance(payload, list) else [payload or {}]
    if message["type"] in ("next", "data", "connection_error") and isinstance(payload, dict):
        return list(payload.get("errors") or ([payload] if "message" in payload else []))
    return []


async def _probe(client: WSClient, agent_id: str, seen: list[dict[str, Any]]) -> None:
    """A normal subscription on ``client`` delivers; what came before it is kept in ``seen``."""
    probe = await client.subscribe(PROBE, {"a": agent_id})
    while True:
        message = await client.receive(timeout=15)
        if message.get("id") == probe and message["type"] in ("next", "data"):
            assert message["payload"]["data"]["agentStateChanged"]["kind"] == "STATUS_CHANGED"
            return
        seen.append(message)


@pytest.mark.parametrize(("protocol", "case"), CASES)
async def test_a_hostile_frame_is_refused_clearly_and_the_server_goes_on(
    api: GraphQLClient, world: World, live_url: str, protocol: str, case: str
) -> None:
    agent = await world.spawn(api)
    await api.ok(PAUSE, {"id": agent["id"]}, token=world.owner["token"])  # history to replay
    client = await WSClient.open(live_url, protocol, token=world.owner["token"])
    seen: list[dict[str, Any]] = []
    frame = _frames(protocol)[case]
    try:
        await client.connection.send(frame)
        await _probe(client, agent["id"], seen)
    except ConnectionClosed as closed:
        assert closed.rcvd is not None and closed.rcvd.code in REFUSALS, closed
        again = await WSClient.open(live_url, protocol, token=world.owner["token"])
        try:
            await _probe(again, agent["id"], [])
        finally:
            await again.close()
    finally:
        await client.close()
    errors = [e for m in seen for e in _errors(m)]
    codes = [e.get("extensions", {}).get("code") for e in errors]
    assert "INTERNAL" not in codes and None not in codes, seen
    if case.endswith(" bomb") and case not in ("fragment cycle bomb", "unknown fragment bomb"):
        assert codes and set(codes) <= {"QUERY_TOO_COMPLEX", "VALIDATION_ERROR"}, seen
    async with httpx.AsyncClient(timeout=10) as http:
        await _normal_request_is_answered(http, http_url(live_url), world.owner)


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_an_oversized_frame_closes_the_socket_with_1009(
    world: World, live_url: str, protocol: str
) -> None:
    client = await WSClient.open(live_url, protocol, token=world.owner["token"])
    await client.connection.send(json.dumps({"type": "ping", "pad": "x" * (1 << 20)}))
    with pytest.raises(ConnectionClosed) as closed:
        await client.receive(timeout=10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009


# Subscriptions (what a socket runs), past each limit in turn.
WS_BOMBS = {
    "tokens": "subscription { " + "agentEvents { kind } " * 700 + "}",
    "length": "subscription { agentEvents { kind" + " " * 70_000 + "} }",
    "depth": "subscription { agentEvents { agent {"
    + " project { agents { edges { node {" * 3
    + " id"
    + " } } } }" * 3
    + " } } }",
    "aliases": "subscription { "
    + " ".join(f"a{i}: agentEvents {{ kind }}" for i in range(31))
    + " }",
    "fragments": _fan_out(40, "Subscription", "agentEvents { kind }"),
    "cost": "subscription { agentEvents { agent { project { agents(first: 100) { edges { node {"
    " statusHistory(first: 100) { edges { node { id } } }"
    " metrics(first: 100) { edges { node { id } } } } } } } } } }",
}


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("bomb", list(WS_BOMBS))
async def test_bombs_over_websocket_are_too_complex_and_the_socket_stays(
    api: GraphQLClient, world: World, live_url: str, protocol: str, bomb: str
) -> None:
    agent = await world.spawn(api)
    await api.ok(PAUSE, {"id": agent["id"]}, token=world.owner["token"])
    client = await WSClient.open(live_url, protocol, token=world.owner["token"])
    try:
        await client.subscribe(WS_BOMBS[bomb])
        message = await client.receive(timeout=10)
        assert message["type"] == "error", message
        assert {e["extensions"]["code"] for e in _errors(message)} == {"QUERY_TOO_COMPLEX"}
        await _probe(client, agent["id"], [])  # the same socket goes on
    finally:
        await client.close()
