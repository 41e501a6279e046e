"""The compiled read path against the resolvers (issue 12 §3): for generated documents within
the compilable part of the graph, sent by every caller of the access matrix, both paths give
the same bytes — data and errors, masking, NOT_FOUND, cursors — and neither fails (no 5xx, no
INTERNAL: whatever they send, clients get an answer of their own).

The documents are drawn once, with a fixed seed (hypothesis, derandomized), and sent in order:
``after``/``before`` take cursors of earlier answers (or malformed ones), so later documents
page through what earlier ones saw. AGENTGRAPH_DIFFERENTIAL_EXAMPLES sets how many documents
(300 by default); every one is sent by each of the six callers to both paths. The world is
built once for the whole run. The compiled path must have answered a fair share of the
requests itself, or the comparison would only be the resolvers against themselves.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from starlette.applications import Starlette
from starlette.routing import Route

from agentgraph.bootstrap import create_app
from agentgraph.settings import Settings
from gql.app import AgentgraphGraphQL
from tests.gql.access_scenario import OWNER, SUPERUSER
from tests.gql.compiled.conftest import Both, answer, compiled_reads
from tests.gql.compiled.documents import CursorPool, Document, compilable_schema, documents
from tests.gql.compiled.world import DifferentialWorld, build_world
from tests.support.api import GraphQLClient

_REFERENCE = re.compile(r"reference [0-9a-f]{12}")
EXAMPLES = int(os.environ.get("AGENTGRAPH_DIFFERENTIAL_EXAMPLES", "300"))
# Of all requests, at least this share must be answered by the compiled path itself.
MIN_SERVED_SHARE = 0.2

# Pages of every connection, so the cursor pool holds real cursors of each ordering.
CRAWL = """
query($agent: ID!) {
  projects(first: 2) { edges { cursor } pageInfo { startCursor endCursor } }
  agentTypes(first: 1, activeOnly: false) { edges { cursor } }
  agents(first: 2) { edges { cursor } pageInfo { endCursor } }
  byName: agents(first: 2, orderBy: {field: NAME, direction: DESC}) { edges { cursor } }
  agent(id: $agent) {
    metrics(first: 3) { edges { cursor } }
    statusHistory(first: 2) { edges { cursor } }
    executions(first: 1) { edges { cursor node { events(first: 2) { edges { cursor } } } } }
    approvals(first: 1) { edges { cursor } }
  }
}
"""


@pytest.fixture(scope="module")
async def paths(
    settings: Settings, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Both]:
    """A server whose callers' budgets never run out (thousands of requests each), and its
    resolvers alone beside it."""
    roomy = settings.model_copy(
        update={"rate_limit_points": 10**12, "data_dir": tmp_path_factory.mktemp("differential")}
    )
    app = create_app(roomy, database_url=database_url)
    graphql = app.state.graphql
    view = AgentgraphGraphQL(graphql.services, replace(graphql.config, compiled_reads=False))
    reference_app = Starlette(routes=[Route("/graphql", view, methods=["POST"])])
    async with (
        app.router.lifespan_context(app),
        GraphQLClient.for_app(app) as compiled,
        GraphQLClient.for_app(reference_app) as reference,
    ):
        yield Both(compiled, reference, app)


def drawn_documents(world: DifferentialWorld, count: int) -> list[Document]:
    """``count`` documents, the same ones on every run."""
    found: list[Document] = []

    @settings(
        max_examples=count,
        derandomize=True,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        deadline=None,
    )
    @given(documents(compilable_schema(), world.ids, world.strings, world.ids_of))
    def collect(document: Document) -> None:
        found.append(document)

    collect()
    return found


@dataclass
class Divergence:
    caller: str
    query: str
    variables: dict[str, Any]
    compiled: str
    reference: str

    def __str__(self) -> str:
        return (
            f"--- as {self.caller}\n{self.query}\nvariables: {json.dumps(self.variables)}\n"
            f"compiled:  {self.compiled}\nreference: {self.reference}"
        )


async def _answer(client: GraphQLClient, query: str, variables: Any, token: str | None) -> str:
    # An INTERNAL error names a reference of its own each time (the server's log has it).
    return _REFERENCE.sub("reference …", await answer(client, query, variables, token))


def _ours(answer: str) -> bool:
    """Whether the server failed (a 5xx, an INTERNAL error): whatever a client sends, it gets a
    200 with data or errors of its own, on both paths alike."""
    return not answer.startswith("200 ") or '"code":"INTERNAL"' in answer


# Longer runs get longer than the suite's per-test timeout (a second a document at most).
@pytest.mark.timeout(max(300, EXAMPLES))
async def test_the_compiled_path_answers_as_the_resolvers_do(paths: Both) -> None:
    world = await build_world(paths.compiled, paths.app)
    pool = CursorPool()
    for token in (world.tokens()[OWNER], world.tokens()[SUPERUSER]):
        crawl = await paths.reference.ok(CRAWL, {"agent": world.scenario.agent_a}, token=token)
        pool.remember(crawl)
    served_before = compiled_reads(paths.app).served
    divergences: list[Divergence] = []
    sent = 0
    for document in drawn_documents(world, EXAMPLES):
        for caller, token in world.tokens().items():
            query, variables = pool.resolve(document)
            compiled = await _answer(paths.compiled, query, variables, token)
            reference = await _answer(paths.reference, query, variables, token)
            sent += 1
            if compiled != reference or _ours(reference):
                divergences.append(Divergence(caller, query, variables, compiled, reference))
            pool.remember(json.loads(reference.partition(" ")[2]))
    served = compiled_reads(paths.app).served - served_before
    report = "\n".join(str(d) for d in divergences[:5])
    assert not divergences, f"{len(divergences)} of {sent} answers differ or fail:\n{report}"
    assert served >= MIN_SERVED_SHARE * sent, (served, sent)
