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

import time
from collections import OrderedDict
from typing import Any

import orjson
from graphql import get_operation_ast
from starlette.types import ASGIApp, Receive, Scope, Send

from domain.access import Viewer
from domain.errors import DomainError, RateLimited
from gql.asgi_requests import JSONAnswer, json_request, read_body, replaying, token_of
from gql.compiled.planner import plan_operation
from gql.compiled.run import Statement, compile_plan, run_statement
from gql.config import SurfaceConfig
from gql.documents import Documents
from gql.encoding import encode_json
from gql.input_guard import holds_nul
from gql.input_limits import input_refusal
from gql.limits import checked_cost
from gql.request_log import note_caller, note_operation
from gql.server_metrics import observe_operation
from gql.tracing import operation_span
from usecases.services import Services

MAX_STATEMENTS = 500
# Set in the ASGI scope of a request that spent its cost here before the view got it.
BUDGET_SPENT = "agentgraph.budget_spent"

_Compiled = tuple[Statement, int, str | None]  # a statement, its cost, the operation's name
_UNSEEN: Any = object()


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
        # With its cost and the operation's name (for the log and the metrics).
        self._statements: OrderedDict[tuple[Any, ...], _Compiled | None] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not json_request(scope):
            await self.view(scope, receive, send)
            return
        started = time.perf_counter()
        body = await read_body(receive)
        response = await self._answer(scope, body, started)
        if response is None:
            await self.view(scope, replaying(body, receive), send)
            return
        self.served += 1
        await response(scope, receive, send)

    async def _answer(self, scope: Scope, body: bytes, started: float) -> JSONAnswer | None:
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
        compiled = self._statements.get(key, _UNSEEN)
        if compiled is not _UNSEEN:
            self._statements.move_to_end(key)
        else:
            compiled = self._compile(query, operation_name, variables, viewer)
            self._statements[key] = compiled
            if len(self._statements) > MAX_STATEMENTS:
                self._statements.popitem(last=False)
        if compiled is None:
            return None
        statement, cost, name = compiled
        try:
            await self.services.budgets.spend(viewer, cost)
        except RateLimited:
            return None  # the view refuses it the same way (nothing was spent)
        scope[BUDGET_SPENT] = True
        try:
            if self.config.traced:
                with operation_span(name, query):
                    data = await run_statement(statement, self.services.database)
            else:
                data = await run_statement(statement, self.services.database)
        except DomainError:
            # A statement timeout or a database that is away: the resolvers answer, with the
            # code (TIMEOUT, UNAVAILABLE) the reference path gives.
            return None
        if data is None:
            return None
        response = JSONAnswer(encode_json({"data": data}))
        observe_operation(name, "query", [], time.perf_counter() - started)
        note_caller(viewer)
        note_operation(name, [])
        return response

    def _compile(
        self, query: str, operation_name: str | None, variables: dict[str, Any], viewer: Viewer
    ) -> _Compiled | None:
        """The statement, cost and operation name of a request the compiled path may answer,
        or None: every check the Strawberry pipeline makes, in its order, must pass."""
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
        operation = get_operation_ast(document, operation_name)
        name = operation.name.value if operation and operation.name else operation_name
        return compile_plan(plan, viewer, self.config.heartbeat_timeout), cost, name

    async def _viewer(self, scope: Scope) -> Viewer | None:
        token = token_of(scope)
        try:
            return await self.services.authenticator.viewer(token)
        except DomainError:
            return None  # the view answers with the reason
        except Exception:
            # The database went away (a restart: sessions' re-checks then forget every cached
            # viewer, so this read is the first after it): the view answers, as it does then.
            return None
