"""The authorization matrix (SPEC §5, issue 3): every Query and Mutation root field, for every
kind of caller, with the outcome each must get — read as a table.

Callers: nobody (no token), another signed-in user, the project's owner, a superuser, the agent
token of the agent acted on ("own agent"), and the token of another agent of the same project.
Every cell sends a small valid document aimed at agent A, its project, its execution, its
approval… (or a fresh object in the right state, see tests/gql/access_scenario.py) and compares
the error code with the table (OK: no errors and a non-null answer). One test walks the whole
table and reports every wrong cell at once.

A root field missing from the table fails test_the_matrix_covers_every_root_field, so a new field
cannot ship without deciding who may call it. node/nodes also get a table by kind of object (a
new Node type needs a row), and subscriptions a small table of their own (the anonymous caller
is refused at connection_init, tested in tests/gql/subscriptions).
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from graphql import OperationDefinitionNode, parse

from gql.schema import build_schema
from tests.gql.access_scenario import (
    ACTORS,
    ANONYMOUS,
    OTHER_AGENT,
    OTHER_USER,
    OWN_AGENT,
    OWNER,
    SUPERUSER,
    Scenario,
    Target,
)
from tests.gql.conftest import World
from tests.support.api import GraphQLClient
from tests.support.factories import DEFAULT_PASSWORD, unique
from tests.support.ws import TRANSPORT_WS, WSClient

OK = None
UNAUTH = "UNAUTHENTICATED"
FORBID = "FORBIDDEN"
NOPE = "NOT_FOUND"  # the object is not there for this caller (no existence leak)

# fmt: off
#                          anonymous  other user  owner  superuser  own agent  other agent
_TABLE: dict[str, tuple[str | None, ...]] = {
    # --- queries -----------------------------------------------------------------------------
    "node":                (UNAUTH,   NOPE,       OK,    OK,        OK,        NOPE),
    "nodes":               (UNAUTH,   NOPE,       OK,    OK,        OK,        NOPE),
    "me":                  (UNAUTH,   OK,         OK,    OK,        FORBID,    FORBID),
    "agentTypes":          (UNAUTH,   OK,         OK,    OK,        FORBID,    FORBID),
    "agentType":           (UNAUTH,   OK,         OK,    OK,        FORBID,    FORBID),
    "agentTypeBySlug":     (UNAUTH,   OK,         OK,    OK,        FORBID,    FORBID),
    "projects":            (UNAUTH,   OK,         OK,    OK,        FORBID,    FORBID),
    "project":             (UNAUTH,   NOPE,       OK,    OK,        FORBID,    FORBID),
    "projectBySlug":       (UNAUTH,   NOPE,       OK,    OK,        FORBID,    FORBID),
    "agents":              (UNAUTH,   NOPE,       OK,    OK,        FORBID,    FORBID),
    "agent":               (UNAUTH,   NOPE,       OK,    OK,        OK,        NOPE),
    "execution":           (UNAUTH,   NOPE,       OK,    OK,        OK,        NOPE),
    "approvals":           (UNAUTH,   NOPE,       OK,    OK,        FORBID,    FORBID),
    # --- identity ----------------------------------------------------------------------------
    # Public: a bearer (even an agent token) changes nothing, it could as well be left out.
    "register":            (OK,       OK,         OK,    OK,        OK,        OK),
    "login":               (OK,       OK,         OK,    OK,        OK,        OK),
    "refreshToken":        (OK,       OK,         OK,    OK,        OK,        OK),
    # Someone else's refresh token: True and nothing revoked (reveals nothing).
    "logout":              (UNAUTH,   OK,         OK,    OK,        FORBID,    FORBID),
    "createAgentToken":    (UNAUTH,   NOPE,       OK,    OK,        FORBID,    FORBID),
    "revokeAgentToken":    (UNAUTH,   NOPE,       OK,    OK,        FORBID,    FORBID),
    # --- catalog -----------------------------------------------------------------------------
    "createAgentType":     (UNAUTH,   FORBID,     FORBID, OK,       FORBID,    FORBID),
    "updateAgentType":     (UNAUTH,   FORBID,     FORBID, OK,       FORBID,    FORBID),
    "createProject":       (UNAUTH,   OK,         OK,    OK,        FORBID,    FORBID),
    # --- agents: control (people only) -------------------------------------------------------
    "spawnAgent":          (UNAUTH,   NOPE,       OK,    OK,        FORBID,    FORBID),
    "pauseAgent":          (UNAUTH,   NOPE,       OK,    OK,        FORBID,    FORBID),
    "resumeAgent":         (UNAUTH,   NOPE,       OK,    OK,        FORBID,    FORBID),
    "terminateAgent":      (UNAUTH,   NOPE,       OK,    OK,        FORBID,    FORBID),
    "recoverAgent":        (UNAUTH,   NOPE,       OK,    OK,        FORBID,    FORBID),
    "deleteAgent":         (UNAUTH,   NOPE,       OK,    OK,        FORBID,    FORBID),
    "setAgentConfig":      (UNAUTH,   NOPE,       OK,    OK,        FORBID,    FORBID),
    "deleteAgentConfig":   (UNAUTH,   NOPE,       OK,    OK,        FORBID,    FORBID),
    "registerCapability":  (UNAUTH,   NOPE,       OK,    OK,        FORBID,    FORBID),
    "setCapabilityEnabled": (UNAUTH,  NOPE,       OK,    OK,        FORBID,    FORBID),
    "approve":             (UNAUTH,   NOPE,       OK,    OK,        FORBID,    FORBID),
    "reject":              (UNAUTH,   NOPE,       OK,    OK,        FORBID,    FORBID),
    # --- agents: runtime (people and the agent's own token) ----------------------------------
    "reportAgentError":    (UNAUTH,   NOPE,       OK,    OK,        OK,        NOPE),
    "heartbeat":           (UNAUTH,   NOPE,       OK,    OK,        OK,        NOPE),
    "heartbeats":          (UNAUTH,   NOPE,       OK,    OK,        OK,        NOPE),
    "recordMetrics":       (UNAUTH,   NOPE,       OK,    OK,        OK,        NOPE),
    "updateAgentState":    (UNAUTH,   NOPE,       OK,    OK,        OK,        NOPE),
    "startExecution":      (UNAUTH,   NOPE,       OK,    OK,        OK,        NOPE),
    "submitPlan":          (UNAUTH,   NOPE,       OK,    OK,        OK,        NOPE),
    "reportStepResult":    (UNAUTH,   NOPE,       OK,    OK,        OK,        NOPE),
    "completeExecution":   (UNAUTH,   NOPE,       OK,    OK,        OK,        NOPE),
    "failExecution":       (UNAUTH,   NOPE,       OK,    OK,        OK,        NOPE),
    "cancelExecution":     (UNAUTH,   NOPE,       OK,    OK,        OK,        NOPE),
    "resumeExecution":     (UNAUTH,   NOPE,       OK,    OK,        OK,        NOPE),
    "saveCheckpoint":      (UNAUTH,   NOPE,       OK,    OK,        OK,        NOPE),
}
# fmt: on

MATRIX: dict[str, dict[str, str | None]] = {
    name: dict(zip(ACTORS, row, strict=True)) for name, row in _TABLE.items()
}


# --- what each cell sends ----------------------------------------------------------------------

Build = Callable[[Scenario], Target | Awaitable[Target]]


@dataclass(frozen=True)
class Case:
    document: str
    target: Build  # called once per cell: a fresh target where a success changes it


def _fresh_agent(status: str, variables: Callable[[str], dict[str, Any]]) -> Build:
    async def build(s: Scenario) -> Target:
        agent_id = await s.fresh_agent(status)
        return Target(variables(agent_id), agent_id)

    return build


def _fresh_execution(stage: str, variables: Callable[[dict[str, Any]], dict[str, Any]]) -> Build:
    async def build(s: Scenario) -> Target:
        made = await s.fresh_execution(stage)
        return Target(variables(made.variables), made.agent_id)

    return build


def _transition(name: str, status: str) -> Case:
    return Case(
        f"mutation($input: AgentTransitionInput!) {{ {name}(input: $input) {{ agent {{ id }} }} }}",
        _fresh_agent(status, lambda a: {"input": {"id": a, "reason": "matrix"}}),
    )


def _on_execution(call: str, stage: str, **extra: Any) -> Case:
    """An execution mutation taking ``executionId``; ``call`` is its argument list."""
    declared = ", ".join(f"${k}: {t}" for k, (t, _) in extra.items())
    head = "$executionId: ID!" + (f", {declared}" if declared else "")
    values = {k: v for k, (_, v) in extra.items()}
    return Case(
        f"mutation({head}) {{ {call} {{ id }} }}",
        _fresh_execution(stage, lambda e: {"executionId": e["executionId"], **values}),
    )


async def _refresh(s: Scenario) -> Target:
    return s.on_a(token=await s.fresh_refresh_token())


async def _spare_token(s: Scenario) -> Target:
    return s.on_a(id=await s.fresh_spare_token_of_a())


async def _config_key(s: Scenario) -> Target:
    return s.on_a(agentId=s.agent_a, key=await s.fresh_config_key_of_a())


def _approval(s: Scenario) -> Awaitable[Target]:
    return s.fresh_execution("WAITING_APPROVAL")


CASES: dict[str, Case] = {
    # queries
    "node": Case("query($id: ID!) { node(id: $id) { id } }", lambda s: s.on_a(id=s.agent_a)),
    "nodes": Case(
        "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", lambda s: s.on_a(ids=[s.agent_a])
    ),
    "me": Case("{ me { id } }", lambda s: s.on_a()),
    "agentTypes": Case("{ agentTypes { totalCount } }", lambda s: s.on_a()),
    "agentType": Case(
        "query($id: ID!) { agentType(id: $id) { id } }", lambda s: s.on_a(id=s.world.type_id)
    ),
    "agentTypeBySlug": Case(
        "query($slug: String!) { agentTypeBySlug(slug: $slug) { id } }",
        lambda s: s.on_a(slug=s.type_slug),
    ),
    "projects": Case("{ projects { totalCount } }", lambda s: s.on_a()),
    "project": Case(
        "query($id: ID!) { project(id: $id) { id } }", lambda s: s.on_a(id=s.world.project_id)
    ),
    "projectBySlug": Case(
        "query($slug: String!) { projectBySlug(slug: $slug) { id } }",
        lambda s: s.on_a(slug=s.project_slug),
    ),
    "agents": Case(
        "query($projectId: ID) { agents(projectId: $projectId) { totalCount } }",
        lambda s: s.on_a(projectId=s.world.project_id),
    ),
    "agent": Case("query($id: ID!) { agent(id: $id) { id } }", lambda s: s.on_a(id=s.agent_a)),
    "execution": Case(
        "query($id: ID!) { execution(id: $id) { id } }", lambda s: s.on_a(id=s.execution_a)
    ),
    "approvals": Case(
        "query($projectId: ID) { approvals(projectId: $projectId) { totalCount } }",
        lambda s: s.on_a(projectId=s.world.project_id),
    ),
    # identity
    "register": Case(
        "mutation($input: RegisterInput!) { register(input: $input) { accessToken } }",
        lambda s: s.on_a(
            input={"email": f"{unique('matrix')}@example.com", "password": DEFAULT_PASSWORD}
        ),
    ),
    "login": Case(
        "mutation($input: LoginInput!) { login(input: $input) { accessToken } }",
        lambda s: s.on_a(input=s.owner_credentials),
    ),
    "refreshToken": Case(
        "mutation($token: String!) { refreshToken(refreshToken: $token) { accessToken } }",
        _refresh,
    ),
    "logout": Case(
        "mutation($token: String!) { logout(refreshToken: $token) }",
        _refresh,
    ),
    "createAgentToken": Case(
        "mutation($agentId: ID!) { createAgentToken(agentId: $agentId) { id } }",
        lambda s: s.on_a(agentId=s.agent_a),
    ),
    "revokeAgentToken": Case(
        "mutation($id: ID!) { revokeAgentToken(id: $id) { id } }", _spare_token
    ),
    # catalog
    "createAgentType": Case(
        "mutation($input: CreateAgentTypeInput!) { createAgentType(input: $input) { id } }",
        lambda s: s.on_a(
            input={
                "name": "Matrix",
                "slug": unique("type"),
                "personalityPrompt": "Be brief.",
                "primaryModel": "claude-3-sonnet",
            }
        ),
    ),
    "updateAgentType": Case(
        "mutation($id: ID!, $input: UpdateAgentTypeInput!) {"
        " updateAgentType(id: $id, input: $input) { id } }",
        lambda s: s.on_a(id=s.world.type_id, input={"description": "Updated by the matrix."}),
    ),
    "createProject": Case(
        "mutation($input: CreateProjectInput!) { createProject(input: $input) { id } }",
        lambda s: s.on_a(input={"name": "Matrix", "slug": unique("project")}),
    ),
    # agents: control
    "spawnAgent": Case(
        "mutation($input: SpawnAgentInput!) { spawnAgent(input: $input) { id } }",
        lambda s: s.on_a(
            input={
                "projectId": s.world.project_id,
                "agentTypeId": s.world.type_id,
                "name": unique("spawned"),
            }
        ),
    ),
    "pauseAgent": _transition("pauseAgent", "IDLE"),
    "resumeAgent": _transition("resumeAgent", "PAUSED"),
    "terminateAgent": _transition("terminateAgent", "IDLE"),
    "recoverAgent": _transition("recoverAgent", "ERROR"),
    "deleteAgent": Case(
        "mutation($id: ID!) { deleteAgent(id: $id) { id } }",
        _fresh_agent("IDLE", lambda a: {"id": a}),
    ),
    "setAgentConfig": Case(
        "mutation($input: SetAgentConfigInput!) { setAgentConfig(input: $input) { id } }",
        lambda s: s.on_a(input={"agentId": s.agent_a, "key": "matrix", "value": "v"}),
    ),
    "deleteAgentConfig": Case(
        "mutation($agentId: ID!, $key: String!) {"
        " deleteAgentConfig(agentId: $agentId, key: $key) { id } }",
        _config_key,
    ),
    "registerCapability": Case(
        "mutation($input: RegisterCapabilityInput!) { registerCapability(input: $input) { id } }",
        lambda s: s.on_a(
            input={"agentId": s.agent_a, "name": unique("capability"), "version": "1.0.0"}
        ),
    ),
    "setCapabilityEnabled": Case(
        "mutation($id: ID!) { setCapabilityEnabled(id: $id, enabled: true) { id } }",
        lambda s: s.on_a(id=s.capability_a),
    ),
    "approve": Case("mutation($approvalId: ID!) { approve(id: $approvalId) { id } }", _approval),
    "reject": Case(
        'mutation($approvalId: ID!) { reject(id: $approvalId, reason: "no") { id } }',
        _approval,
    ),
    # agents: runtime
    "reportAgentError": Case(
        "mutation($input: ReportAgentErrorInput!) { reportAgentError(input: $input) {"
        " agent { id } } }",
        _fresh_agent("IDLE", lambda a: {"input": {"agentId": a, "error": {"message": "x"}}}),
    ),
    "heartbeat": Case(
        "mutation($input: HeartbeatInput!) { heartbeat(input: $input) { id } }",
        lambda s: s.on_a(input={"agentId": s.agent_a}),
    ),
    "heartbeats": Case(
        "mutation($inputs: [HeartbeatInput!]!) { heartbeats(inputs: $inputs) { accepted } }",
        lambda s: s.on_a(inputs=[{"agentId": s.agent_a}]),
    ),
    "recordMetrics": Case(
        "mutation($agentId: ID!, $metrics: [MetricInput!]!) {"
        " recordMetrics(agentId: $agentId, metrics: $metrics) { accepted } }",
        lambda s: s.on_a(agentId=s.agent_a, metrics=[{"name": "latency_ms", "value": 12.5}]),
    ),
    "updateAgentState": Case(
        "mutation($input: UpdateAgentStateInput!) { updateAgentState(input: $input) { id } }",
        lambda s: s.on_a(input={"agentId": s.agent_a, "metadata": {"by": "matrix"}}),
    ),
    "startExecution": Case(
        "mutation($input: StartExecutionInput!) { startExecution(input: $input) { id } }",
        _fresh_agent("IDLE", lambda a: {"input": {"agentId": a, "description": "matrix"}}),
    ),
    "submitPlan": _on_execution(
        "submitPlan(executionId: $executionId, steps: $steps)",
        "PLANNING",
        steps=("[StepInput!]!", [{"tool": "lookup", "riskLevel": "SAFE"}]),
    ),
    "reportStepResult": Case(
        "mutation($input: StepResultInput!) { reportStepResult(input: $input) { id } }",
        _fresh_execution(
            "RUNNING",
            lambda e: {"input": {"executionId": e["executionId"], "index": 0, "succeeded": True}},
        ),
    ),
    "completeExecution": _on_execution("completeExecution(executionId: $executionId)", "DONE"),
    "failExecution": _on_execution(
        'failExecution(executionId: $executionId, error: "boom")', "PLANNING"
    ),
    "cancelExecution": _on_execution("cancelExecution(executionId: $executionId)", "PLANNING"),
    "resumeExecution": _on_execution("resumeExecution(executionId: $executionId)", "FAILED"),
    "saveCheckpoint": Case(
        "mutation($executionId: ID!, $name: String!) {"
        " saveCheckpoint(executionId: $executionId, name: $name, data: {}) { id } }",
        lambda s: s.on_a(executionId=s.execution_a, name=unique("checkpoint")),
    ),
}


def _root_fields(operation: str) -> set[str]:
    schema = build_schema()._schema
    root = {
        "query": schema.query_type,
        "mutation": schema.mutation_type,
        "subscription": schema.subscription_type,
    }[operation]
    return set(root.fields) if root is not None else set()


def _called_field(document: str) -> tuple[str, list[str]]:
    (definition,) = parse(document).definitions
    assert isinstance(definition, OperationDefinitionNode)
    names = [selection.name.value for selection in definition.selection_set.selections]  # type: ignore[attr-defined]
    return definition.operation.value, names


# --- completeness ------------------------------------------------------------------------------


def test_the_matrix_covers_every_root_field() -> None:
    schema_fields = _root_fields("query") | _root_fields("mutation")
    assert set(MATRIX) == schema_fields, {
        "in the schema, missing from the matrix": sorted(schema_fields - set(MATRIX)),
        "in the matrix, not in the schema": sorted(set(MATRIX) - schema_fields),
    }
    assert set(CASES) == set(MATRIX)


def test_each_case_calls_exactly_its_own_field() -> None:
    queries = _root_fields("query")
    for name, case in CASES.items():
        operation, called = _called_field(case.document)
        assert called == [name], (name, called)
        assert operation == ("query" if name in queries else "mutation"), (name, operation)


# --- the matrix --------------------------------------------------------------------------------


def _outcome(codes: Sequence[str | None]) -> str | None:
    """None for no errors, the code when all errors agree, else every code (a wrong cell)."""
    if not codes:
        return None
    distinct = sorted({str(code) for code in codes})
    return distinct[0] if len(distinct) == 1 else "+".join(distinct)


async def test_every_root_field_answers_every_caller_as_specified(
    api: GraphQLClient, world: World, stranger: dict[str, Any]
) -> None:
    scenario = await Scenario.build(api, world, stranger)
    wrong: list[str] = []
    for name, expected_row in MATRIX.items():
        case = CASES[name]
        for actor, expected in expected_row.items():
            cell = f"{name} by {actor}"
            try:
                built = case.target(scenario)
                target = await built if inspect.isawaitable(built) else built
                token = await scenario.token(actor, target)
            except AssertionError as failure:
                wrong.append(f"{cell}: could not set the cell up: {failure}")
                continue
            result = await api.execute(case.document, target.variables, token=token)
            got = _outcome(result.codes)
            if got is None and (result.data or {}).get(name) is None:
                got = "OK but null"
            if got != expected:
                messages = "; ".join(e.get("message", "") for e in result.errors)
                wrong.append(f"{cell}: expected {expected or 'OK'}, got {got or 'OK'} {messages}")
    assert not wrong, f"{len(wrong)} wrong cell(s):\n" + "\n".join(wrong)


# --- node and nodes, by kind of object ----------------------------------------------------------
# The root matrix aims node/nodes at agent A; every other kind of object can be fetched through
# them too, so each kind gets its row: the object of A (or A's project, A's agent type, the
# project's owner) fetched by node(id) and by nodes([id]), which must agree.

# fmt: off
#                          anonymous  other user  owner  superuser  own agent  other agent
_NODE_TABLE: dict[str, tuple[str | None, ...]] = {
    "Agent":               (UNAUTH,   NOPE,       OK,    OK,        OK,        NOPE),
    "AgentConfig":         (UNAUTH,   NOPE,       OK,    OK,        OK,        NOPE),
    "AgentCapability":     (UNAUTH,   NOPE,       OK,    OK,        OK,        NOPE),
    "AgentMetric":         (UNAUTH,   NOPE,       OK,    OK,        OK,        NOPE),
    "StatusTransition":    (UNAUTH,   NOPE,       OK,    OK,        OK,        NOPE),
    "Execution":           (UNAUTH,   NOPE,       OK,    OK,        OK,        NOPE),
    "Approval":            (UNAUTH,   NOPE,       OK,    OK,        OK,        NOPE),
    "Checkpoint":          (UNAUTH,   NOPE,       OK,    OK,        OK,        NOPE),
    # An agent token reads its agent (and what is below it), nothing else (SPEC §5): its
    # project is context inside agent { project }, never a node of its own.
    "Project":             (UNAUTH,   NOPE,       OK,    OK,        NOPE,      NOPE),
    "AgentType":           (UNAUTH,   OK,         OK,    OK,        NOPE,      NOPE),
    "User":                (UNAUTH,   NOPE,       OK,    OK,        NOPE,      NOPE),  # the owner
}
# fmt: on
NODE_MATRIX: dict[str, dict[str, str | None]] = {
    kind: dict(zip(ACTORS, row, strict=True)) for kind, row in _NODE_TABLE.items()
}
NODE_TARGETS: dict[str, Callable[[Scenario], str]] = {
    "Agent": lambda s: s.agent_a,
    "AgentConfig": lambda s: s.config_a,
    "AgentCapability": lambda s: s.capability_a,
    "AgentMetric": lambda s: s.metric_a,
    "StatusTransition": lambda s: s.transition_a,
    "Execution": lambda s: s.execution_a,
    "Approval": lambda s: s.approval_a,
    "Checkpoint": lambda s: s.checkpoint_a,
    "Project": lambda s: s.world.project_id,
    "AgentType": lambda s: s.world.type_id,
    "User": lambda s: str(s.world.owner["user_id"]),
}
NODE = "query($id: ID!) { node(id: $id) { id } }"
NODES = "query($ids: [ID!]!) { nodes(ids: $ids) { id } }"


def test_the_node_matrix_covers_every_node_type() -> None:
    schema = build_schema()._schema
    node = schema.get_type("Node")
    assert node is not None
    kinds = {t.name for t in schema.get_possible_types(node)}  # type: ignore[arg-type]
    assert set(NODE_MATRIX) == kinds, {
        "missing": sorted(kinds - set(NODE_MATRIX)),
        "unknown": sorted(set(NODE_MATRIX) - kinds),
    }
    assert set(NODE_TARGETS) == set(NODE_MATRIX)


async def test_node_and_nodes_answer_every_caller_as_specified_for_every_kind(
    api: GraphQLClient, world: World, stranger: dict[str, Any]
) -> None:
    scenario = await Scenario.build(api, world, stranger)
    target = scenario.on_a()  # "own agent" is A: every object here is A's or above it
    wrong: list[str] = []
    for kind, row in NODE_MATRIX.items():
        ident = NODE_TARGETS[kind](scenario)
        for actor, expected in row.items():
            token = await scenario.token(actor, target)
            for field, document, variables in (
                ("node", NODE, {"id": ident}),
                ("nodes", NODES, {"ids": [ident]}),
            ):
                result = await api.execute(document, variables, token=token)
                got = _outcome(result.codes)
                found = (result.data or {}).get(field)
                if got is None and found in (None, [None]):
                    got = "OK but null"
                if got != expected:
                    wrong.append(
                        f"{field}({kind}) by {actor}: expected {expected or 'OK'}, got {got or 'OK'}"
                    )
    assert not wrong, f"{len(wrong)} wrong cell(s):\n" + "\n".join(wrong)


# --- subscriptions -----------------------------------------------------------------------------
# Anonymous subscribers never get this far: connection_init without a valid token is refused
# (tests/gql/subscriptions/test_access.py). Each cell subscribes to agent A's events and reads the
# first answer: OK is an event of A (replayed from the start of the log where the field takes
# ``after``; a heartbeat of A, sent until one arrives, for agentHeartbeat), a code is the error.

# fmt: off
#                                 other user  owner  superuser  own agent  other agent
_SUBSCRIPTION_TABLE: dict[str, tuple[str | None, ...]] = {
    "agentStateChanged":         (NOPE,       OK,    OK,        OK,        NOPE),
    "agentHeartbeat":            (NOPE,       OK,    OK,        OK,        NOPE),
    "approvalEvents":            (NOPE,       OK,    OK,        OK,        NOPE),
    "agentEvents":               (NOPE,       OK,    OK,        OK,        NOPE),
}
# fmt: on
SUBSCRIBERS = (OTHER_USER, OWNER, SUPERUSER, OWN_AGENT, OTHER_AGENT)
SUBSCRIPTION_MATRIX = {
    name: dict(zip(SUBSCRIBERS, row, strict=True)) for name, row in _SUBSCRIPTION_TABLE.items()
}
SUBSCRIPTIONS = {
    "agentStateChanged": 'agentStateChanged(agentId: $agent, after: "0")',
    "agentHeartbeat": "agentHeartbeat(agentId: $agent)",
    "approvalEvents": 'approvalEvents(agentId: $agent, after: "0")',
    "agentEvents": 'agentEvents(agentId: $agent, after: "0")',
}
HEARTBEAT = "mutation($id: ID!) { heartbeat(input: {agentId: $id}) { id } }"
ANSWER_WITHIN_S = 10.0


def test_the_subscription_matrix_covers_every_subscription_field() -> None:
    assert set(SUBSCRIPTION_MATRIX) == _root_fields("subscription")
    assert set(SUBSCRIPTIONS) == set(SUBSCRIPTION_MATRIX)
    assert ANONYMOUS not in SUBSCRIBERS


def _error_codes(errors: list[dict[str, Any]]) -> str | None:
    return _outcome([e.get("extensions", {}).get("code") for e in errors])


async def _first_answer(
    live_url: str, token: str, call: str, agent_id: str, poke: Callable[[], Awaitable[Any]]
) -> str | None:
    """None when an event of the agent arrives, the error code when the subscription is refused."""
    client = await WSClient.open(live_url, TRANSPORT_WS, token=token)
    try:
        await client.subscribe(
            f"subscription($agent: ID) {{ {call} {{ kind agent {{ id }} }} }}", {"agent": agent_id}
        )
        loop = asyncio.get_running_loop()
        deadline = loop.time() + ANSWER_WITHIN_S
        while True:
            try:
                message = await client.receive(timeout=0.25)
            except TimeoutError:
                if loop.time() > deadline:
                    return "no answer"
                await poke()
                continue
            if message["type"] == "error":
                return _error_codes(message["payload"])
            if message["type"] == "next":
                payload = message["payload"]
                if payload.get("errors"):
                    return _error_codes(payload["errors"])
                event = next(iter(payload["data"].values()))
                return None if event["agent"]["id"] == agent_id else "an event of another agent"
            return f"unexpected {message['type']}"
    finally:
        await client.close()


async def test_every_subscription_answers_every_subscriber_as_specified(
    api: GraphQLClient, world: World, stranger: dict[str, Any], live_url: str
) -> None:
    scenario = await Scenario.build(api, world, stranger)
    target = scenario.on_a()
    tokens = {actor: str(await scenario.token(actor, target)) for actor in SUBSCRIBERS}

    async def heartbeat_of_a() -> None:
        await api.ok(HEARTBEAT, {"id": scenario.agent_a}, token=world.owner["token"])

    cells = [
        (name, actor, expected)
        for name, row in SUBSCRIPTION_MATRIX.items()
        for actor, expected in row.items()
    ]
    outcomes = await asyncio.gather(
        *(
            _first_answer(
                live_url, tokens[actor], SUBSCRIPTIONS[name], scenario.agent_a, heartbeat_of_a
            )
            for name, actor, _ in cells
        )
    )
    wrong = [
        f"{name} by {actor}: expected {expected or 'OK'}, got {got or 'OK'}"
        for (name, actor, expected), got in zip(cells, outcomes, strict=True)
        if got != expected
    ]
    assert not wrong, f"{len(wrong)} wrong cell(s):\n" + "\n".join(wrong)
