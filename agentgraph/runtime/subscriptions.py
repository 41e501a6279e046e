"""A small graphql-transport-ws client: one WebSocket carrying several subscriptions, which
reconnects when the server goes away and resumes each subscription after the last event it
received (``after: <cursor>``), so a restart of the server loses nothing durable.

What ends it for good: the token refused (close 4403 or UNAUTHENTICATED), or a protocol error.
A subscription the server ends because the client fell behind (RATE_LIMITED with a cursor), or
with an INTERNAL error, is subscribed again from its cursor.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.typing import Subprotocol

from agentgraph.runtime.backoff import Backoff
from agentgraph.runtime.errors import (
    AgentgraphError,
    ProtocolError,
    RateLimited,
    Unauthenticated,
    error_from_close,
    first_error,
)
from agentgraph.runtime.signals import Changes

logger = logging.getLogger("agentgraph.runtime")

PROTOCOL = Subprotocol("graphql-transport-ws")
_END = object()  # queued when a subscription is over


class LiveSubscription:
    """The events of one subscription, in order, across reconnects (``async for``).

    The document must declare ``$after: String`` and select ``cursor`` in ``field``: the client
    fills ``after`` with the cursor of the last event received when it subscribes again.
    """

    def __init__(
        self,
        client: SubscriptionClient,
        document: str,
        variables: Mapping[str, Any],
        field: str,
        cursor: str | None,
    ) -> None:
        self.client = client
        self.document = document
        self.variables = dict(variables)
        self.field = field
        self.cursor = cursor
        self.op_id = ""
        self.sent_on = 0  # the connection it was last subscribed on (0: none yet)
        self.restarts = 0
        self.closed = False
        self._queue: asyncio.Queue[Any] = asyncio.Queue()

    def payload(self) -> dict[str, Any]:
        variables = dict(self.variables)
        if self.cursor is not None:
            variables["after"] = self.cursor
        return {"query": self.document, "variables": variables}

    def __aiter__(self) -> LiveSubscription:
        return self

    async def __anext__(self) -> dict[str, Any]:
        item = await self._queue.get()
        if item is _END:
            self._queue.put_nowait(_END)  # later reads end too
            raise StopAsyncIteration
        if isinstance(item, BaseException):
            self._queue.put_nowait(item)
            raise item
        return dict(item)

    async def close(self) -> None:
        await self.client.unsubscribe(self)

    def _put(self, item: Any) -> None:
        self._queue.put_nowait(item)


class SubscriptionClient:
    def __init__(
        self,
        url: str,
        token: str,
        *,
        backoff: Backoff | None = None,
        init_timeout: float = 10.0,
        on_refused: Callable[[Unauthenticated], None] | None = None,
    ) -> None:
        self.url = url
        self.token = token
        self.backoff = backoff or Backoff(initial=0.2, maximum=10.0)
        self.init_timeout = init_timeout
        self.on_refused = on_refused
        self.fatal: AgentgraphError | None = None
        self.connections = 0  # acknowledged connections so far (a reconnect adds one)
        self.changes = Changes()
        self._subs: dict[str, LiveSubscription] = {}
        self._ws: ClientConnection | None = None
        self._task: asyncio.Task[None] | None = None
        self._later: set[asyncio.Task[None]] = set()
        self._closing = False
        self._ids = itertools.count(1)

    @property
    def connected(self) -> bool:
        return self._ws is not None

    async def subscribe(
        self,
        document: str,
        variables: Mapping[str, Any],
        *,
        field: str,
        cursor: str | None = None,
    ) -> LiveSubscription:
        """Start a subscription (after ``cursor`` if given); its events arrive as dicts of
        ``field``. Raises the client's fatal error if it has stopped."""
        if self.fatal is not None:
            raise self.fatal
        sub = LiveSubscription(self, document, variables, field, cursor)
        self._register(sub)
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="agentgraph-subscriptions")
        await self._send_subscribe(sub)
        return sub

    async def unsubscribe(self, sub: LiveSubscription) -> None:
        if sub.closed:
            return
        sub.closed = True
        self._subs.pop(sub.op_id, None)
        sub._put(_END)
        if self._ws is not None and sub.sent_on == self.connections:
            with contextlib.suppress(ConnectionClosed):
                await self._ws.send(json.dumps({"id": sub.op_id, "type": "complete"}))

    async def close(self, error: AgentgraphError | None = None) -> None:
        """End every subscription (with ``error``, if given) and the connection."""
        if error is not None and self.fatal is None:
            self.fatal = error
        for sub in list(self._subs.values()):
            sub.closed = True
            sub._put(error if error is not None else _END)
        self._subs.clear()
        for task in list(self._later):
            task.cancel()
        self._closing = True
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self._ws.close()  # a clean 1000 for the server (cancelling says 1011)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self.changes.notify()

    # --- the connection -----------------------------------------------------------------------

    async def _run(self) -> None:
        attempt = 0
        while True:
            fatal: AgentgraphError | None = None
            try:
                async with connect(
                    self.url, subprotocols=[PROTOCOL], open_timeout=10, close_timeout=1
                ) as ws:
                    await self._initialise(ws)
                    attempt = 0
                    self.connections += 1
                    self._ws = ws
                    self.changes.notify()
                    for sub in list(self._subs.values()):
                        await self._send_subscribe(sub)
                    async for raw in ws:
                        await self._on_message(ws, raw)
                        if self.fatal is not None:
                            return
                fatal = error_from_close(ws.close_code, ws.close_reason or "")
            except ConnectionClosed as closed:
                frame = closed.rcvd
                fatal = error_from_close(frame.code, frame.reason) if frame else None
            except InvalidURI as error:
                fatal = ProtocolError(f"not a WebSocket URL: {error}")
            except (OSError, TimeoutError, InvalidHandshake) as error:
                logger.info("subscriptions: cannot connect to %s (%s)", self.url, error)
            except Exception:  # whatever went wrong, reconnecting is the way back
                logger.exception("subscriptions: connection to %s failed", self.url)
            finally:
                self._ws = None
                self.changes.notify()
            if self._closing:
                return
            if fatal is not None:
                self._fail(fatal)
                return
            delay = self.backoff.delay(attempt)
            attempt += 1
            logger.info("subscriptions: reconnecting in %.1fs", delay)
            await asyncio.sleep(delay)

    async def _initialise(self, ws: ClientConnection) -> None:
        init = {"type": "connection_init", "payload": {"authorization": f"Bearer {self.token}"}}
        await ws.send(json.dumps(init))
        async with asyncio.timeout(self.init_timeout):
            while True:
                message = json.loads(await ws.recv())
                if message.get("type") == "connection_ack":
                    return
                if message.get("type") == "ping":
                    await ws.send(json.dumps({"type": "pong"}))

    async def _send_subscribe(self, sub: LiveSubscription) -> None:
        ws = self._ws
        if ws is None or sub.closed or sub.sent_on == self.connections:
            return  # not connected yet (the connection loop sends it), or sent already
        sub.sent_on = self.connections
        message = {"id": sub.op_id, "type": "subscribe", "payload": sub.payload()}
        with contextlib.suppress(ConnectionClosed):  # the connection loop sends it again
            await ws.send(json.dumps(message))

    # --- messages -----------------------------------------------------------------------------

    async def _on_message(self, ws: ClientConnection, raw: str | bytes) -> None:
        try:
            message = json.loads(raw)
        except ValueError:
            logger.warning("subscriptions: ignoring a message that is not JSON")
            return
        kind = message.get("type")
        if kind == "ping":
            await ws.send(json.dumps({"type": "pong"}))
            return
        sub = self._subs.get(message.get("id"))
        if sub is None:
            return  # pong, or the tail of a subscription already ended
        if kind == "next":
            payload = message.get("payload") or {}
            if payload.get("errors"):
                self._on_errors(sub, payload["errors"], ended=False)
                return
            event = (payload.get("data") or {}).get(sub.field)
            if isinstance(event, dict):
                if event.get("cursor") is not None:
                    sub.cursor = str(event["cursor"])
                sub._put(event)
        elif kind == "error":
            self._on_errors(sub, message.get("payload") or [], ended=True)
        elif kind == "complete":
            # Our subscriptions never end by themselves: the server stopped this one (after an
            # error it sent before, or shutting down). Subscribe again from the cursor.
            self._restart(sub)

    def _on_errors(self, sub: LiveSubscription, errors: list[Any], *, ended: bool) -> None:
        error = first_error(errors)
        if isinstance(error, Unauthenticated):
            self._fail(error)
            return
        if error.transient:
            if isinstance(error, RateLimited) and error.cursor is not None:
                sub.cursor = error.cursor  # where the server says to resume
            logger.info("subscription %s ended (%s); subscribing again", sub.field, error)
            if ended:
                self._restart(sub)
            return  # "complete" follows, and restarts it
        self._subs.pop(sub.op_id, None)
        sub.closed = True
        sub._put(error)

    def _restart(self, sub: LiveSubscription) -> None:
        if sub.closed:
            return
        self._subs.pop(sub.op_id, None)
        self._register(sub)
        delay = self.backoff.delay(sub.restarts)
        sub.restarts += 1
        task = asyncio.create_task(self._subscribe_later(sub, delay))
        self._later.add(task)
        task.add_done_callback(self._later.discard)

    async def _subscribe_later(self, sub: LiveSubscription, delay: float) -> None:
        await asyncio.sleep(delay)  # a server that keeps ending it is not hammered
        await self._send_subscribe(sub)

    def _register(self, sub: LiveSubscription) -> None:
        sub.op_id = str(next(self._ids))
        sub.sent_on = 0
        self._subs[sub.op_id] = sub

    def _fail(self, error: AgentgraphError) -> None:
        if self.fatal is None:
            self.fatal = error
            logger.error("subscriptions stopped: %s", error.message)
            if isinstance(error, Unauthenticated) and self.on_refused is not None:
                self.on_refused(error)
        for sub in list(self._subs.values()):
            sub.closed = True
            sub._put(error)
        self._subs.clear()
        self.changes.notify()
