"""What the bench asks, as each server spells it: the fleet query, `{ __typename }` and a one-row
read, in Agentgraph's schema and in PostGraphile's (names checked by introspection against
PostGraphile v5's amber preset on this database)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# SPEC §10's dashboard page: a project's first 100 agents with state, configs, capabilities and
# the last 10 metric points of each.
FLEET = """
query Fleet($project: ID!) {
  project(id: $project) {
    agents(first: 100) {
      totalCount
      edges { node {
        id name status health revision lastHeartbeatAt
        state { currentWorkflow workflowData resourceUsage errorCount }
        configs { key value valueType typedValue }
        capabilities { name version enabled parameters }
        metrics(first: 10) { edges { node { name value unit tags recordedAt } } }
      } }
    }
  }
}
"""

# The same rows through PostGraphile. Two fields have no column behind them there: `health`
# (ours derives it from the heartbeat's age) reads the stored `reportedHealth`, and `typedValue`
# (ours parses the value by its type) has no counterpart. Configs and capabilities come in
# PostGraphile's natural order; the row check compares them sorted.
PEER_FLEET = """
query Fleet($project: UUID!) {
  allAgents(condition: {projectId: $project}, first: 100, orderBy: [CREATED_AT_ASC, PRIMARY_KEY_ASC]) {
    totalCount
    edges { node {
      id name status reportedHealth revision lastHeartbeatAt
      agentStateByAgentId { currentWorkflow workflowData resourceUsage errorCount }
      agentConfigsByAgentId { nodes { key value valueType } }
      agentCapabilitiesByAgentId { nodes { name version enabled parameters } }
      agentMetricsByAgentId(first: 10, orderBy: [RECORDED_AT_DESC, PRIMARY_KEY_DESC]) {
        edges { node { name value unit tags recordedAt } }
      }
    } }
  }
}
"""

TYPENAME = "{ __typename }"
ME = "{ me { id email } }"
# PostGraphile has no viewer: the nearest one-row read is the first user (the only one here).
PEER_ONE_ROW = "{ allUsers(first: 1) { nodes { id email } } }"

PROJECT_BY_SLUG = "query Project($slug: String!) { projectBySlug(slug: $slug) { id } }"
REGISTER = """
mutation Register($email: String!, $password: String!) {
  register(input: {email: $email, password: $password}) { accessToken }
}
"""
LOGIN = """
mutation Login($email: String!, $password: String!) {
  login(input: {email: $email, password: $password}) { accessToken }
}
"""


@dataclass(frozen=True)
class Scenario:
    """One thing to measure: a request body per server (None: that side does not run it)."""

    name: str  # key in latest.json, e.g. "fleet_1000"
    label: str  # the table's words
    ours: dict[str, Any]
    peer: dict[str, Any] | None
    signed_in: bool = False  # ours sends the bench user's Bearer token
    fleet_size: int | None = None  # fleet scenarios: the floor runs beside them


def fleet_scenario(size: int, our_project_id: str, project_uuid: str) -> Scenario:
    """The fleet query on the project holding ``size`` agents."""
    return Scenario(
        name=f"fleet_{size}",
        label=f"fleet query, N={size:,}",
        ours={"query": FLEET, "variables": {"project": our_project_id}},
        peer={"query": PEER_FLEET, "variables": {"project": project_uuid}},
        signed_in=True,
        fleet_size=size,
    )


def small_scenarios() -> list[Scenario]:
    """The cost of a request with (next to) nothing to read."""
    return [
        Scenario("typename", "{ __typename }", {"query": TYPENAME}, {"query": TYPENAME}),
        Scenario(
            "one_row",
            "one-row read, signed in",
            {"query": ME},
            {"query": PEER_ONE_ROW},
            signed_in=True,
        ),
    ]
