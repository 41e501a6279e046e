"""uvicorn's websockets-sansio protocol, cheaper per idle socket and per write.

A server holding ten thousand idle subscriptions pays for every object each socket keeps, so
this subclass of ``WebSocketsSansIOProtocol`` (uvicorn's ``ws="websockets-sansio"``) keeps
fewer, with the same behaviour on the wire and towards the ASGI app:

- incoming events wait in a plain list with at most one waiter future (not an asyncio.Queue,
  which holds two deques, a counter and an Event of its own);
- a write gate: a future made only while the transport asks to pause writing, which every send
  awaits then (not an always-present asyncio.Event);
- what the server shares (config, app, loop, the connection and task sets, default headers) is
  one object per server, not copied onto each socket; attributes live in ``__slots__``;
- the handshake's request and response are dropped once the upgrade is answered (the request
  with the handshake's parser, which websockets would keep for the socket's life), and the
  upgrade request's headers (the scope's, which the app read when it began) are emptied when
  the app first reads a frame;
- writes are coalesced: the frames a socket is sent in one loop tick go out in one
  ``transport.write``, all sockets' pending writes flushed by one callback a tick;
- keepalive pings run on one clock per server (``_PingClock``): one timer pings every socket
  whose ping is due and fails (1011) every socket whose pong is late, instead of a ping timer
  and a pong timer per socket. A socket is pinged ``ws_ping_interval`` after its previous ping
  (uvicorn's rhythm), within a quarter of that (the clock's step) late at most.

Every output goes through ``_write``; before the transport closes, what is pending is flushed,
so a close frame never overtakes the frames sent before it.
"""

from __future__ import annotations

import asyncio
import logging
import random
import struct
from asyncio import TimerHandle
from asyncio.transports import BaseTransport, Transport
from email.utils import formatdate
from http import HTTPStatus
from typing import Any, cast
from urllib.parse import unquote
from weakref import WeakKeyDictionary

from uvicorn._types import ASGIReceiveEvent, ASGISendEvent, WebSocketScope
from uvicorn.config import Config
from uvicorn.protocols.utils import (
    ClientDisconnected,
    get_client_addr,
    get_local_addr,
    get_path_with_query_string,
    get_remote_addr,
    is_ssl,
)
from uvicorn.protocols.websockets.websockets_sansio_impl import (
    STATUS_PHRASES,
    WebSocketsSansIOProtocol,
)
from uvicorn.server import ServerState
from websockets.datastructures import Headers
from websockets.exceptions import InvalidState
from websockets.extensions.base import ServerExtensionFactory
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory
from websockets.frames import Frame
from websockets.http11 import Request, Response
from websockets.protocol import Protocol
from websockets.server import ServerProtocol

# uvicorn's `ws=` setting for this protocol (an import string, so worker processes load it too).
WS_PROTOCOL = "agentgraph.websocket_protocol:AgentgraphWebSocketProtocol"
CLOSE_TIMEOUT_S = 10.0  # uvicorn's: how long a sent close frame waits for the peer's


class _Server:
    """What every socket of one server shares."""

    __slots__ = (
        "app",
        "app_state",
        "config",
        "connections",
        "default_headers",
        "extensions",
        "flusher",
        "loop",
        "pings",
        "tasks",
    )  # fmt: skip

    def __init__(
        self, config: Config, state: ServerState, app_state: dict[str, Any], loop: Any
    ) -> None:
        if not config.loaded:
            config.load()  # pragma: no cover
        self.config = config
        self.app = config.loaded_app
        self.loop: asyncio.AbstractEventLoop = loop
        self.connections = state.connections
        self.tasks = state.tasks
        self.default_headers = state.default_headers
        self.app_state = app_state
        self.extensions: list[ServerExtensionFactory] = []
        if config.ws_per_message_deflate:  # uvicorn's settings for it
            self.extensions = [
                ServerPerMessageDeflateFactory(
                    server_max_window_bits=12,
                    client_max_window_bits=12,
                    compress_settings={"memLevel": 5},
                )
            ]
        self.flusher = _Flusher(self.loop)
        self.pings = _PingClock(self.loop, config.ws_ping_interval, config.ws_ping_timeout)


_SERVERS: WeakKeyDictionary[ServerState, _Server] = WeakKeyDictionary()


class _Flusher:
    """One callback a loop tick writes every socket's pending output."""

    __slots__ = ("dirty", "loop")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.dirty: list[AgentgraphWebSocketProtocol] = []

    def mark(self, protocol: AgentgraphWebSocketProtocol) -> None:
        if not self.dirty:
            self.loop.call_soon(self.flush)
        self.dirty.append(protocol)

    def flush(self) -> None:
        dirty, self.dirty = self.dirty, []
        for protocol in dirty:
            protocol._flush()


class _PingClock:
    """Keepalive for every socket of a server on one timer, ticking only while sockets are
    open: each tick pings the sockets whose ping is due and fails those whose pong is late."""

    __slots__ = ("interval", "loop", "members", "step", "timeout", "timer")

    def __init__(
        self, loop: asyncio.AbstractEventLoop, interval: float | None, timeout: float | None
    ) -> None:
        self.loop = loop
        self.interval = interval if interval is not None and interval > 0 else None
        self.timeout = timeout
        bound = min(x for x in (interval, timeout) if x) if self.interval else 0.0
        self.step = bound / 4
        self.members: set[AgentgraphWebSocketProtocol] = set()
        self.timer: TimerHandle | None = None

    def add(self, protocol: AgentgraphWebSocketProtocol) -> None:
        if self.interval is None:
            return
        protocol.ping_due = self.loop.time() + self.interval
        self.members.add(protocol)
        if self.timer is None:
            self.timer = self.loop.call_later(self.step, self.tick)

    def discard(self, protocol: AgentgraphWebSocketProtocol) -> None:
        self.members.discard(protocol)
        if not self.members and self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def tick(self) -> None:
        self.timer = None
        now = self.loop.time()
        timeout = self.timeout
        for protocol in list(self.members):
            if protocol.pending_ping_payload is not None and timeout is not None:
                if now - protocol.ping_sent_at >= timeout:
                    protocol.keepalive_timeout()
            elif now >= protocol.ping_due:
                protocol.send_keepalive_ping()
        if self.members:
            self.timer = self.loop.call_later(self.step, self.tick)


class AgentgraphWebSocketProtocol(WebSocketsSansIOProtocol):
    __slots__ = (
        "close_sent",
        "close_timer",
        "conn",
        "curr_msg_data_type",
        "disconnected",
        "events",
        "frames",
        "gate",
        "handshake_complete",
        "initial_response",
        "last_ping_rtt",
        "out",
        "pending_ping_payload",
        "ping_due",
        "ping_sent_at",
        "read_paused",
        "response",
        "scope",
        "shared",
        "transport",
        "upgrade_headers",
        "waiter",
    )  # fmt: skip

    logger = logging.getLogger("uvicorn.error")
    close_timeout = CLOSE_TIMEOUT_S

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        # Not uvicorn's __init__: what it copies onto each socket is shared here.
        shared = _SERVERS.get(server_state)
        if shared is None:
            loop = _loop or asyncio.get_event_loop()
            shared = _SERVERS[server_state] = _Server(config, server_state, app_state, loop)
        self.shared = shared
        self.transport: asyncio.Transport = None  # type: ignore[assignment]
        self.conn = ServerProtocol(
            extensions=shared.extensions, max_size=config.ws_max_size, logger=self.logger
        )
        self.response: Response | None = None
        self.initial_response: tuple[int, list[tuple[str, str]], bytes] | None = None
        self.events: list[ASGIReceiveEvent] = []
        self.waiter: asyncio.Future[None] | None = None
        self.gate: asyncio.Future[None] | None = None
        self.out: list[bytes] | None = None
        self.upgrade_headers: list[tuple[bytes, bytes]] | None = None
        self.handshake_complete = False
        self.close_sent = False
        self.disconnected = False
        self.read_paused = False
        self.close_timer: TimerHandle | None = None
        self.frames: list[bytes] = []
        self.curr_msg_data_type = "bytes"
        self.pending_ping_payload: bytes | None = None
        self.ping_sent_at = 0.0
        self.ping_due = 0.0
        self.last_ping_rtt = 0.0

    # What uvicorn's protocol keeps on each socket, read from what the server shares.

    @property  # type: ignore[override]
    def loop(self) -> asyncio.AbstractEventLoop:
        return self.shared.loop

    @property  # type: ignore[override]
    def config(self) -> Config:
        return self.shared.config

    @property  # type: ignore[override]
    def ping_interval(self) -> float | None:
        return self.shared.config.ws_ping_interval

    @property  # type: ignore[override]
    def ping_timeout(self) -> float | None:
        return self.shared.config.ws_ping_timeout

    @property  # type: ignore[override]
    def client(self) -> tuple[str, int] | None:
        return get_remote_addr(self.transport) if self.transport is not None else None

    # Output: coalesced a tick, flushed before the transport closes.

    def _write(self, data: bytes) -> None:
        if self.out is None:
            self.out = [data]
            self.shared.flusher.mark(self)
        else:
            self.out.append(data)

    def _flush(self) -> None:
        out, self.out = self.out, None
        if out and not self.transport.is_closing():
            self.transport.write(out[0] if len(out) == 1 else b"".join(out))

    def _write_output(self) -> None:
        self._write(b"".join(self.conn.data_to_send()))

    def _close_transport(self) -> None:
        self._flush()
        self.transport.close()

    # Incoming events: a list and one waiter.

    def _push(self, event: ASGIReceiveEvent) -> None:
        self.events.append(event)
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def receive(self) -> ASGIReceiveEvent:
        while not self.events:
            if self.waiter is None or self.waiter.done():
                self.waiter = self.shared.loop.create_future()
            waiter = self.waiter
            try:
                await waiter
            finally:
                if self.waiter is waiter and waiter.done():
                    self.waiter = None
        message = self.events.pop(0)
        if self.read_paused and not self.events:
            self.read_paused = False
            self.transport.resume_reading()
        if self.upgrade_headers is not None and self.handshake_complete:
            # The app has read the upgrade request (it reads frames now): its headers are done,
            # ours and the copy Starlette's Headers put in the scope alike.
            self.upgrade_headers.clear()
            self.upgrade_headers = None
            headers = self.scope.get("headers")
            if isinstance(headers, list):
                headers.clear()
        return message

    # The transport's callbacks.

    def connection_made(self, transport: BaseTransport) -> None:
        self.transport = cast(Transport, transport)
        self.shared.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.stop_keepalive()
        self._push(
            {"type": "websocket.disconnect", "code": 1005 if self.handshake_complete else 1006}
        )
        self.shared.connections.discard(self)
        self.handshake_complete = True
        self.disconnected = True
        self.out = None
        self._open_gate()  # a send waiting to write learns the socket is gone
        if self.close_timer is not None:
            self.close_timer.cancel()
            self.close_timer = None
        if exc is None:
            self.transport.close()

    def pause_writing(self) -> None:
        if self.gate is None:
            self.gate = self.shared.loop.create_future()

    def resume_writing(self) -> None:
        self._open_gate()

    def _open_gate(self) -> None:
        gate, self.gate = self.gate, None
        if gate is not None and not gate.done():
            gate.set_result(None)

    def shutdown(self) -> None:
        self.stop_keepalive()
        if self.close_sent:
            if self.close_timer is not None:
                self.close_timer.cancel()
                self.close_timer = None
            self._close_transport()
            return
        if self.handshake_complete:
            self._push({"type": "websocket.disconnect", "code": 1012})
            self.conn.send_close(1012)
            self._write_output()
        else:
            self.send_500_response()
        self._close_transport()

    # The handshake and frames.

    def handle_connect(self, event: Request) -> None:
        self.response = self.conn.accept(event)
        if self.response.status_code != 101:
            self.handshake_complete = True
            self.close_sent = True
            self.conn.send_response(self.response)
            self.response = None
            self._write_output()
            self._close_transport()
            return
        conn = self.conn
        if not conn.reader.buffer:
            # The handshake's parser keeps the upgrade request as a local for as long as the
            # socket lives: a parser of frames only takes over, in the state the handshake's is
            # in when nothing is buffered (at the start of a frame), so nothing is lost.
            conn.parser = Protocol.parse(conn)
            next(conn.parser)
        # websockets >= 17 encodes non-ASCII header values in ISO-8859-1 (uvicorn's note).
        headers = [(k.encode("ascii"), v.encode("latin-1")) for k, v in event.headers.raw_items()]
        raw_path, _, query_string = event.path.partition("?")
        subprotocols: list[str] = []
        for header in event.headers.get_all("Sec-WebSocket-Protocol"):
            subprotocols.extend([token.strip() for token in header.split(",")])
        shared = self.shared
        root_path = shared.config.root_path
        self.upgrade_headers = headers
        self.scope: WebSocketScope = {
            "type": "websocket",
            "asgi": {"version": shared.config.asgi_version, "spec_version": "2.4"},
            "http_version": "1.1",
            "scheme": "wss" if is_ssl(self.transport) else "ws",
            "server": get_local_addr(self.transport),
            "client": get_remote_addr(self.transport),
            "root_path": root_path,
            "path": root_path + unquote(raw_path),
            "raw_path": root_path.encode("ascii") + raw_path.encode("ascii"),
            "query_string": query_string.encode("ascii"),
            "headers": headers,
            "subprotocols": subprotocols,
            "state": shared.app_state.copy(),
            "extensions": {"websocket.http.response": {}},
        }
        self._push({"type": "websocket.connect"})
        task = shared.loop.create_task(self.run_asgi())
        task.add_done_callback(shared.tasks.discard)
        shared.tasks.add(task)

    def send_receive_event_to_app(self) -> None:
        data = self.frames[0] if len(self.frames) == 1 else b"".join(self.frames)
        self.frames = []
        if self.close_sent:
            return  # past `websocket.close`: dropped, reads stay on for the peer's close reply
        if self.curr_msg_data_type == "text":
            try:
                self._push({"type": "websocket.receive", "text": data.decode()})
            except UnicodeDecodeError:  # pragma: no cover
                self.logger.exception("Invalid UTF-8 sequence received from client.")
                self.conn.send_close(1007)
                self.handle_parser_exception()
                return
        else:
            self._push({"type": "websocket.receive", "bytes": data})
        if not self.read_paused:
            self.read_paused = True
            self.transport.pause_reading()

    def handle_ping(self) -> None:
        self._write_output()

    def handle_close(self, event: Frame) -> None:
        if self.close_sent:
            # The peer echoed our close frame: the closing handshake is complete.
            if self.close_timer is not None:
                self.close_timer.cancel()
                self.close_timer = None
                self._close_transport()
            return
        if not self.transport.is_closing():
            assert self.conn.close_rcvd is not None
            code, reason = self.conn.close_rcvd.code, self.conn.close_rcvd.reason
            self._push({"type": "websocket.disconnect", "code": code, "reason": reason})
            self._write_output()
            self._close_transport()

    def handle_parser_exception(self) -> None:  # pragma: no cover
        assert self.conn.close_sent is not None
        code, reason = self.conn.close_sent.code, self.conn.close_sent.reason
        self._push({"type": "websocket.disconnect", "code": code, "reason": reason})
        self._write_output()
        self.close_sent = True
        self._close_transport()

    # Keepalive, on the server's clock (_PingClock).

    def start_keepalive(self) -> None:
        self.shared.pings.add(self)

    def stop_keepalive(self) -> None:
        self.shared.pings.discard(self)
        self.pending_ping_payload = None

    def send_keepalive_ping(self) -> None:
        if self.close_sent or self.transport.is_closing():  # pragma: no cover
            self.stop_keepalive()
            return
        # A random payload, so a stale or unsolicited pong is ignored (handle_pong).
        self.pending_ping_payload = struct.pack("!I", random.getrandbits(32))
        self.ping_sent_at = now = self.shared.loop.time()
        self.ping_due = now + (self.shared.pings.interval or 0.0)
        self.conn.send_ping(self.pending_ping_payload)
        self._write_output()
        if self.ping_timeout is None:  # pragma: no cover - no pong awaited: ping again when due
            self.pending_ping_payload = None

    def handle_pong(self, event: Frame) -> None:
        # A stale or unsolicited pong (not the payload of the ping in flight) is ignored.
        if self.pending_ping_payload is None or bytes(event.data) != self.pending_ping_payload:
            return
        self.last_ping_rtt = self.shared.loop.time() - self.ping_sent_at
        self.pending_ping_payload = None  # the next ping is due a ping interval after this one

    def keepalive_timeout(self) -> None:
        self.stop_keepalive()
        if self.close_sent or self.transport.is_closing():  # pragma: no cover
            return
        self.conn.fail(1011, "keepalive ping timeout")
        self._write_output()
        self.close_sent = True
        self._close_transport()

    # The app.

    async def run_asgi(self) -> None:
        try:
            result = await self.shared.app(self.scope, self.receive, self.send)
        except ClientDisconnected:
            pass  # pragma: full coverage
        except BaseException:
            self.logger.exception("Exception in ASGI application\n")
            self.send_500_response()
        else:
            if not self.handshake_complete:
                self.logger.error("ASGI callable returned without completing handshake.")
                self.send_500_response()
            elif result is not None:
                self.logger.error("ASGI callable should return None, but returned '%s'.", result)
        if self.close_timer is None:
            self._close_transport()

    def send_500_response(self) -> None:
        if self.initial_response or self.handshake_complete:
            return
        self.conn.send_response(self.conn.reject(500, "Internal Server Error"))
        self._write_output()

    async def send(self, message: ASGISendEvent) -> None:
        if self.gate is not None:
            await asyncio.shield(self.gate)
        if self.disconnected:
            raise ClientDisconnected()
        kind = message["type"]
        if not self.handshake_complete and self.initial_response is None:
            if kind == "websocket.accept":
                self._accept(cast(dict[str, Any], message))
            elif kind == "websocket.close":
                self._push({"type": "websocket.disconnect", "code": 1006})
                self._log_handshake("403")
                self.conn.send_response(self.conn.reject(HTTPStatus.FORBIDDEN, ""))
                self.response = None
                self.close_sent = True
                self.handshake_complete = True
                self._write_output()
                self._close_transport()
            elif kind == "websocket.http.response.start":
                status = cast(dict[str, Any], message)["status"]
                if not (100 <= status < 600):
                    raise RuntimeError(f"Invalid HTTP status code '{status}' in response.")
                self._log_handshake(str(status))
                headers = [
                    (name.decode("latin-1"), value.decode("latin-1"))
                    for name, value in list(cast(dict[str, Any], message).get("headers", []))
                ]
                self.initial_response = (status, headers, b"")
            else:
                raise RuntimeError(
                    "Expected ASGI message 'websocket.accept', 'websocket.close' "
                    f"or 'websocket.http.response.start' but got '{kind}'."
                )
        elif not self.close_sent and self.initial_response is None:
            try:
                if kind == "websocket.send":
                    sent = cast(dict[str, Any], message)
                    if sent.get("bytes") is not None:
                        self.conn.send_binary(sent["bytes"])
                    elif sent.get("text") is not None:
                        self.conn.send_text(sent["text"].encode())
                    self._write_output()
                elif kind == "websocket.close":
                    if not self.transport.is_closing():
                        closing = cast(dict[str, Any], message)
                        code = closing.get("code", 1000)
                        reason = closing.get("reason", "") or ""
                        self._push({"type": "websocket.disconnect", "code": code, "reason": reason})
                        self.conn.send_close(code, reason)
                        self._write_output()
                        self.close_sent = True
                        if self.read_paused:
                            self.read_paused = False
                            self.transport.resume_reading()
                        self.close_timer = self.shared.loop.call_later(
                            self.close_timeout, self._close_transport
                        )
                else:
                    raise RuntimeError(
                        "Expected ASGI message 'websocket.send' or 'websocket.close', "
                        f"but got '{kind}'."
                    )
            except InvalidState:
                raise ClientDisconnected() from None
        elif self.initial_response is not None:
            if kind != "websocket.http.response.body":  # pragma: no cover
                raise RuntimeError(
                    f"Expected ASGI message 'websocket.http.response.body' but got '{kind}'."
                )
            self._respond(cast(dict[str, Any], message))
        else:
            raise RuntimeError(
                f"Unexpected ASGI message '{kind}', after sending 'websocket.close'."
            )

    def _accept(self, message: dict[str, Any]) -> None:
        self._log_handshake("[accepted]")
        response = self.response
        assert response is not None
        headers = [
            (name.decode("latin-1").lower(), value.decode("latin-1"))
            for name, value in (self.shared.default_headers + list(message.get("headers", [])))
        ]
        if message.get("subprotocol"):
            headers.append(("Sec-WebSocket-Protocol", message["subprotocol"]))
        del response.headers["Date"]
        response.headers.update(headers)
        if not self.transport.is_closing():
            self.handshake_complete = True
            self.conn.send_response(response)
            self.response = None  # the handshake is answered: nothing of it is needed again
            self._write_output()
            self.start_keepalive()

    def _respond(self, message: dict[str, Any]) -> None:
        """A denial response's body (the WebSocket Denial Response extension)."""
        assert self.initial_response is not None
        status, headers, body = self.initial_response
        body += message["body"]
        self.initial_response = (status, headers, body)
        if message.get("more_body", False):
            return
        response_headers = Headers(headers)
        response_headers.setdefault("Date", formatdate(usegmt=True))
        response_headers.setdefault("Connection", "close")
        response_headers.setdefault("Content-Length", str(len(body)))
        response_headers.setdefault("Content-Type", "text/plain; charset=utf-8")
        response = Response(status, STATUS_PHRASES[status], response_headers, body)
        self._push({"type": "websocket.disconnect", "code": 1006})
        self.conn.send_response(response)
        self.response = None
        self.close_sent = True
        self._write_output()
        self._close_transport()

    def _log_handshake(self, outcome: str) -> None:
        if self.logger.isEnabledFor(logging.INFO):
            self.logger.info(
                '%s - "WebSocket %s" %s',
                get_client_addr(self.scope),
                get_path_with_query_string(self.scope),
                outcome,
            )
