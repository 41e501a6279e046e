"""The fan-out scenario's subscribers: many WebSocket clients in processes of their own (so they
never share the server's CPU budget of an event loop), driven by bench/fanout.py.

`python -m bench.subscribers` reads one JSON command a line on stdin and answers each with one
JSON line on stdout (bench/fanout.py's ``Subscribers`` runs as many of these processes as it
takes to hold each at most ``PER_PROCESS`` sockets, and merges their answers):
- {"open": {"url", "token", "project", "count"}}: open ``count`` graphql-transport-ws sockets,
  each subscribed to agentStateChanged(projectId); answers {"opened": count}.
- {"wait": {"events": k, "timeout_s": t}}: wait until every client has received ``k`` events
  since the last wait (or ``t`` seconds pass); answers with how many clients got them all, the
  commit→client latencies (ms: receive time minus the event's commit time ``at``), and the
  events lost (missing cursors) and duplicated, the round's distinct cursors and how many of
  them each client got (so answers of several processes merge into one), then forgets this
  round's events.

The process raises its soft limit on open files to the hard limit first, so thousands of
sockets fit.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
from datetime import datetime
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

SUBSCRIBE = """
subscription($project: ID!) { agentStateChanged(projectId: $project) { cursor at toStatus } }
"""
OPEN_AT_ONCE = 50


class Subscriber:
    """One socket and what it received this round."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection
        self.cursors: list[str] = []
        self.latencies_ms: list[float] = []
        self.arrived = asyncio.Event()
        self.wanted = 0

    async def run(self) -> None:
        async for raw in self.connection:
            received = time.time()
            message = json.loads(raw)
            if message.get("type") == "ping":
                await self.connection.send(json.dumps({"type": "pong"}))
                continue
            if message.get("type") != "next":
                continue
            event = message["payload"]["data"]["agentStateChanged"]
            at = datetime.fromisoformat(event["at"]).timestamp()
            self.cursors.append(event["cursor"])
            self.latencies_ms.append((received - at) * 1000)
            if self.wanted and len(self.cursors) >= self.wanted:
                self.arrived.set()


async def _open_one(url: str, token: str, project: str) -> Subscriber:
    connection = await connect(url, subprotocols=["graphql-transport-ws"], max_queue=None)  # type: ignore[list-item]
    init = {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
    await connection.send(json.dumps(init))
    ack = json.loads(await connection.recv())
    if ack.get("type") != "connection_ack":
        raise RuntimeError(f"the server refused the socket: {ack}")
    subscribe = {
        "id": "1",
        "type": "subscribe",
        "payload": {"query": SUBSCRIBE, "variables": {"project": project}},
    }
    await connection.send(json.dumps(subscribe))
    return Subscriber(connection)


async def _wait(subscribers: list[Subscriber], events: int, timeout_s: float) -> dict[str, Any]:
    for subscriber in subscribers:
        subscriber.wanted = events
        if len(subscriber.cursors) >= events:
            subscriber.arrived.set()
    waits = [asyncio.create_task(s.arrived.wait()) for s in subscribers]
    await asyncio.wait(waits, timeout=timeout_s)
    for task in waits:
        task.cancel()
    expected = set().union(*(set(s.cursors) for s in subscribers)) if subscribers else set()
    report = {
        "complete": sum(len(s.cursors) >= events for s in subscribers),
        "latencies_ms": [round(ms, 2) for s in subscribers for ms in s.latencies_ms],
        "lost": sum(len(expected - set(s.cursors)) for s in subscribers),
        "cursors": sorted(expected),
        "distinct": [len(set(s.cursors)) for s in subscribers],
        "duplicated": sum(len(s.cursors) - len(set(s.cursors)) for s in subscribers),
        "received": sum(len(s.cursors) for s in subscribers),
    }
    for subscriber in subscribers:
        subscriber.cursors.clear()
        subscriber.latencies_ms.clear()
        subscriber.arrived.clear()
        subscriber.wanted = 0
    return report


def raise_open_files_limit() -> None:
    """The soft limit on open files up to the hard one (a socket is a file)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def main() -> None:
    raise_open_files_limit()
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    subscribers: list[Subscriber] = []
    tasks: list[asyncio.Task[None]] = []
    while line := await reader.readline():
        command = json.loads(line)
        if "open" in command:
            spec = command["open"]
            for at in range(0, spec["count"], OPEN_AT_ONCE):
                batch = min(OPEN_AT_ONCE, spec["count"] - at)
                opened = await asyncio.gather(
                    *(_open_one(spec["url"], spec["token"], spec["project"]) for _ in range(batch))
                )
                subscribers += opened
                tasks += [asyncio.create_task(s.run()) for s in opened]
            answer: dict[str, Any] = {"opened": len(subscribers)}
        else:
            spec = command["wait"]
            answer = await _wait(subscribers, spec["events"], spec["timeout_s"])
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()
    for subscriber in subscribers:
        await subscriber.connection.close()


if __name__ == "__main__":
    asyncio.run(main())
