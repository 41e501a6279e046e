"""The compiled read path in front of the Strawberry view: POST /graphql, JSON in, JSON out.

A request is answered here only when every check the Strawberry pipeline makes passes the
same way — a JSON object with a string ``query``, a document within the token, depth, alias
and cost limits, no NUL characters, valid, a caller the root fields' permissions admit — and
the operation plans into one statement whose roots all come back. Anything else (mutations,
errors of any kind, fields outside ``fields.TYPES``) is handed to the Strawberry view with the
body as it arrived, and the resolvers answer: they are the reference these answers must match.

The operation's cost is spent from the caller's budget (usecases/budgets.py) before the
statement runs, as the view's pipeline would; a budget that cannot pay is the view's to answer
(RATE_LIMITED, nothing spent). A request handed on after paying is marked, so it pays once.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import orjson
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from domain.access import Viewer
from domain.errors import DomainError, RateLimited
from gql.compiled.planner import plan_operation
from gql.compiled.run import Statement, compile_plan, run_statement
from gql.config import SurfaceConfig
from gql.documents import Documents
from gql.encoding import encode_json
from gql.input_guard import holds_nul
from gql.input_limits import input_refusal
from gql.limits import checked_cost
from usecases.services import Services

_JSON = b"application/json"
MAX_STATEMENTS = 500
# Set in the ASGI scope of a request that spent its cost here before the view got it.
BUDGET_SPENT = "agentgraph.budget_spent"


class CompiledReads:
    """ASGI: serve what compiles, hand the rest to ``view`` (the Strawberry GraphQL app)."""

    def __init__(
        self, view: ASGIApp, services: Services, config: SurfaceConfig, documents: Documents,
        schema: Any,
    ) -> None:  # fmt: skip
        self.view = view
        self.services = services
        self.config = config
        self.documents = documents
        self.schema = schema
        self.served = 0  # answered here (a counter for tests and /metrics)
        # Requests seen lately (document, operation, variables, caller) → their statement, or
        # None when they take the reference path. Nothing in one depends on the time.
        self._statements: OrderedDict[tuple[Any, ...], tuple[Statement, int] | None] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not _json_request(scope):
            await self.view(scope, receive, send)
            return
        body = await _body(receive)
        response = await self._answer(scope, body)
        if response is None:
            await self.view(scope, _replaying(body, receive), send)
            return
        self.served += 1
        await response(scope, receive, send)

    async def _answer(self, scope: Scope, body: bytes) -> Response | None:
        try:
            request = orjson.loads(body)
        except orjson.JSONDecodeError:
            return None
        if not isinstance(request, dict) or request.get("extensions"):
            return None
        query, variables = request.get("query"), request.get("variables")
        operation_name = request.get("operationName")
        if not isinstance(query, str) or not isinstance(operation_name, str | None):
            return None
        if variables is None:
            variables = {}
        if not isinstance(variables, dict):
            return None
        viewer = await self._viewer(scope)
        if viewer is None:
            return None
        try:
            key = (
                query,
                operation_name,
                orjson.dumps(variables, option=orjson.OPT_SORT_KEYS),
                viewer,
            )
        except TypeError:  # a number orjson cannot write: not worth remembering
            return None
        if key in self._statements:
            self._statements.move_to_end(key)
            compiled = self._statements[key]
        else:
            compiled = self._compile(query, operation_name, variables, viewer)
            self._statements[key] = compiled
            if len(self._statements) > MAX_STATEMENTS:
                self._statements.popitem(last=False)
        if compiled is None:
            return None
        statement, cost = compiled
        try:
            await self.services.budgets.spend(viewer, cost)
        except RateLimited:
            return None  # the view refuses it the same way (nothing was spent)
        scope[BUDGET_SPENT] = True
        try:
            data = await run_statement(statement, self.services.database)
        except DomainError:
            # A statement timeout or a database that is away: the resolvers answer, with the
            # code (TIMEOUT, UNAVAILABLE) the reference path gives.
            return None
        if data is None:
            return None
        return Response(encode_json({"data": data}), media_type="application/json")

    def _compile(
        self, query: str, operation_name: str | None, variables: dict[str, Any], viewer: Viewer
    ) -> tuple[Statement, int] | None:
        """The statement (and cost) of a request the compiled path may answer, or None: every
        check the Strawberry pipeline makes, in its order, must pass."""
        if holds_nul(variables):
            return None
        entry = self.documents.prepare(query)
        document = entry.document
        if document is None or entry.nul_literal is not None:
            return None
        if input_refusal(self.schema, document, variables) is not None:
            return None
        cost, errors = checked_cost(
            self.schema, document, variables, operation_name, self.config.limits
        )
        if errors:
            return None
        if entry.validation_errors():
            return None
        plan = plan_operation(self.schema, document, operation_name, variables, viewer, self.config)
        if plan is None:
            return None
        return compile_plan(plan, viewer, self.config.heartbeat_timeout), cost

    async def _viewer(self, scope: Scope) -> Viewer | None:
        header = _header(scope, b"authorization")
        token = _bearer(header.decode("latin-1")) if header is not None else None
        try:
            return await self.services.authenticator.viewer(token)
        except DomainError:
            return None  # the view answers with the reason
        except Exception:
            # The database went away (a restart: sessions' re-checks then forget every cached
            # viewer, so this read is the first after it): the view answers, as it does then.
            return None


def _bearer(value: str) -> str | None:
    """gql.app._bearer: the token of ``Bearer <token>`` (or the bare value)."""
    if not value.strip():
        return None
    scheme, _, token = value.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else value.strip()


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value)
    return None


def _json_request(scope: Scope) -> bool:
    content_type = _header(scope, b"content-type") or b""
    if content_type.split(b";")[0].strip().lower() != _JSON:
        return False
    accept = _header(scope, b"accept")
    # Other media types (graphql-response+json, multipart, event streams) are the view's.
    return accept is None or accept.strip() in (b"", b"*/*", _JSON)


async def _body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """A receive that gives the view the body already read, then whatever comes next."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
