"""`agentgraph serve --workers 2`: two processes answer on one port, and a subscription held by
one worker hears what was committed through the other (each worker listens to the database
itself). Which worker holds a connection is read from the operating system (psutil), so the
test steers each request to the worker it means."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import psutil

from tests.conftest import TEST_SECRET
from tests.support import factories
from tests.support.api import GraphQLClient
from tests.support.servers import http_url, serve
from tests.support.ws import TRANSPORT_WS, WSClient

WATCH = "subscription($p: ID!) { agentStateChanged(projectId: $p) { toStatus } }"
MOVE = "mutation($id: ID!) {{ {verb}(input: {{id: $id}}) {{ agent {{ status }} }} }}"


def _workers(supervisor: psutil.Process) -> list[psutil.Process]:
    """The supervisor's worker processes (multiprocessing's spawned children)."""
    return [
        child for child in supervisor.children()
        if any("multiprocessing" in part for part in child.cmdline())
        and not any("resource_tracker" in part for part in child.cmdline())
    ]  # fmt: skip


def _holder(workers: list[psutil.Process], port: int, client_port: int) -> int | None:
    """The pid of the worker holding the connection from ``client_port`` to ``port``."""
    for worker in workers:
        for conn in worker.net_connections(kind="tcp"):
            if (
                conn.laddr
                and conn.laddr.port == port
                and conn.raddr
                and conn.raddr.port == client_port
            ):
                return worker.pid
    return None


async def _until_held(workers: list[psutil.Process], port: int, client_port: int) -> int:
    for _ in range(200):
        pid = _holder(workers, port, client_port)
        if pid is not None:
            return pid
        await asyncio.sleep(0.01)
    raise AssertionError(f"no worker holds the connection from port {client_port}")


class RawHTTP:
    """One keep-alive HTTP/1.1 connection whose local port the test knows."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.local_port: int = writer.get_extra_info("sockname")[1]

    @classmethod
    async def open(cls, port: int) -> RawHTTP:
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    async def graphql(
        self, query: str, variables: dict[str, object], token: str
    ) -> dict[str, object]:
        body = json.dumps({"query": query, "variables": variables}).encode()
        head = (
            "POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {token}\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode() + body)
        await self.writer.drain()
        status = await self.reader.readline()
        assert b" 200 " in status, status
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        answer: dict[str, object] = json.loads(await self.reader.readexactly(length))
        return answer

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


async def test_two_workers_answer_and_deliver_what_the_other_committed(
    database_url: str, tmp_path: Path
) -> None:
    async with serve(database_url, TEST_SECRET, tmp_path, "--workers", "2") as server:
        port = int(http_url(server.url).split(":")[-1].split("/")[0])
        supervisor = psutil.Process(server.process.pid)
        for _ in range(300):
            workers = _workers(supervisor)
            if len(workers) == 2:
                break
            await asyncio.sleep(0.05)
        assert len(workers) == 2, supervisor.children()
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            api = GraphQLClient(http)
            admin = await factories.superuser(api, database_url)
            type_id = await factories.create_agent_type(api, admin["token"])
            project = await factories.create_project(api, admin["token"])
            agent = await factories.spawn_agent(api, admin["token"], project, type_id)

        # Sockets until each worker holds one: both answer the protocol's handshake.
        sockets: dict[int, WSClient] = {}
        opened = []
        for _ in range(60):
            client = await WSClient.open(server.url, TRANSPORT_WS, token=admin["token"])
            opened.append(client)
            pid = await _until_held(workers, port, client.connection.local_address[1])
            sockets.setdefault(pid, client)
            if len(sockets) == 2:
                break
        assert len(sockets) == 2, "every socket went to one worker"
        (listening_pid, subscriber), (other_pid, _) = sockets.items()

        # A connection to the other worker, for the writes.
        writer = None
        for _ in range(60):
            candidate = await RawHTTP.open(port)
            answer = await candidate.graphql("{ __typename }", {}, admin["token"])
            assert answer == {"data": {"__typename": "Query"}}
            if await _until_held(workers, port, candidate.local_port) == other_pid:
                writer = candidate
                break
            await candidate.close()
        assert writer is not None, "no connection reached the other worker"
        try:
            await subscriber.subscribe(WATCH, {"p": project})
            # A subscription starts now; until it is live a move goes unseen, so move again.
            statuses = {"pauseAgent": "PAUSED", "resumeAgent": "IDLE"}
            for n in range(20):
                verb = ("pauseAgent", "resumeAgent")[n % 2]
                moved = await writer.graphql(MOVE.format(verb=verb), {"id": agent}, admin["token"])
                assert "errors" not in moved, moved
                try:
                    event = await subscriber.next_event("agentStateChanged", timeout=2)
                except TimeoutError:
                    continue
                assert event["toStatus"] == statuses[verb]
                break
            else:
                raise AssertionError("the subscription never heard the other worker's moves")
        finally:
            await writer.close()
            for client in opened:
                await client.close()
    assert listening_pid != other_pid
