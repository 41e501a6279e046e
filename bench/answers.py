"""The row check before measuring: Agentgraph, PostGraphile and the floor must answer with the same
rows, or the numbers compare different work. Each answer is reduced to the rows it holds (names,
configs, capabilities, metric points), in a form shared by all three."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class AnswersDiffer(Exception):
    """Two servers answered the same question with different rows."""


@dataclass(frozen=True)
class AgentRows:
    name: str
    status: str
    state: tuple[Any, ...]
    configs: tuple[tuple[str, str, str], ...]  # sorted: natural order differs between servers
    capabilities: tuple[tuple[str, str, bool], ...]  # sorted, likewise
    metrics: tuple[tuple[str, float, str], ...]  # in the answer's order: latest first


@dataclass(frozen=True)
class FleetRows:
    total: int
    agents: tuple[AgentRows, ...]


def _agent(
    node: dict[str, Any],
    state: dict[str, Any] | None,
    configs: list[dict[str, Any]],
    capabilities: list[dict[str, Any]],
    metrics: list[dict[str, Any]],
) -> AgentRows:
    return AgentRows(
        name=node["name"],
        status=str(node["status"]).lower(),
        state=(state["currentWorkflow"], state["errorCount"]) if state else (),
        configs=tuple(sorted((c["key"], c["value"], c["valueType"].lower()) for c in configs)),
        capabilities=tuple(sorted((c["name"], c["version"], c["enabled"]) for c in capabilities)),
        metrics=tuple((m["name"], float(m["value"]), m["unit"]) for m in metrics),
    )


def _data(body: dict[str, Any], server: str) -> dict[str, Any]:
    if body.get("errors") or not body.get("data"):
        raise AnswersDiffer(f"{server} answered with errors: {body.get('errors')}")
    data: dict[str, Any] = body["data"]
    return data


def ours_fleet(body: dict[str, Any]) -> FleetRows:
    """The rows of Agentgraph's answer to the fleet query."""
    page = _data(body, "Agentgraph")["project"]["agents"]
    agents = []
    for edge in page["edges"]:
        node = edge["node"]
        points = [e["node"] for e in node["metrics"]["edges"]]
        agents.append(_agent(node, node["state"], node["configs"], node["capabilities"], points))
    return FleetRows(page["totalCount"], tuple(agents))


def peer_fleet(body: dict[str, Any]) -> FleetRows:
    """The rows of PostGraphile's answer to its fleet query."""
    page = _data(body, "PostGraphile")["allAgents"]
    agents = []
    for edge in page["edges"]:
        node = edge["node"]
        agents.append(
            _agent(
                node,
                node["agentStateByAgentId"],
                node["agentConfigsByAgentId"]["nodes"],
                node["agentCapabilitiesByAgentId"]["nodes"],
                [e["node"] for e in node["agentMetricsByAgentId"]["edges"]],
            )
        )
    return FleetRows(page["totalCount"], tuple(agents))


def floor_fleet(document: dict[str, Any]) -> FleetRows:
    """The rows of the floor's JSON (see bench/floor.py)."""
    agents = [
        _agent(a, a["state"], a["configs"], a["capabilities"], a["metrics"])
        for a in document["agents"]
    ]
    return FleetRows(document["totalCount"], tuple(agents))


def check_same_rows(expected: FleetRows, actual: FleetRows, what: str) -> None:
    """Raise AnswersDiffer naming the first difference between two fleet answers."""
    if not expected.agents:
        raise AnswersDiffer(f"{what}: the reference answer holds no agents")
    if expected.total != actual.total:
        raise AnswersDiffer(f"{what}: totalCount {actual.total}, expected {expected.total}")
    if len(expected.agents) != len(actual.agents):
        raise AnswersDiffer(
            f"{what}: {len(actual.agents)} agents on the page, expected {len(expected.agents)}"
        )
    for index, (mine, theirs) in enumerate(zip(expected.agents, actual.agents, strict=True)):
        for field in ("name", "status", "state", "configs", "capabilities", "metrics"):
            if getattr(mine, field) != getattr(theirs, field):
                raise AnswersDiffer(
                    f"{what}: agent #{index} ({mine.name}) differs in {field}: "
                    f"{getattr(theirs, field)!r}, expected {getattr(mine, field)!r}"
                )


def check_fleet_shape(rows: FleetRows, size: int) -> None:
    """The reference answer holds what the loader wrote (bench/fleet_data.py)."""
    from_loader = (min(size, 100), 12, 3, 10)
    first = rows.agents[0] if rows.agents else None
    found = (
        len(rows.agents),
        len(first.configs) if first else 0,
        len(first.capabilities) if first else 0,
        len(first.metrics) if first else 0,
    )
    if rows.total != size or found != from_loader:
        raise AnswersDiffer(
            f"the fleet of {size} reads as {rows.total} agents; page, configs, capabilities, "
            f"metrics: {found}, expected {from_loader}"
        )


def check_signed_in(ours: dict[str, Any], email: str) -> None:
    """Our one-row read names the bench user."""
    found = _data(ours, "Agentgraph")["me"]["email"]
    if found != email:
        raise AnswersDiffer(f"one-row read: Agentgraph's me is {found}, expected {email}")


def check_same_user(ours: dict[str, Any], peer: dict[str, Any]) -> None:
    """The one-row reads must return the same user."""
    mine = _data(ours, "Agentgraph")["me"]["email"]
    nodes = _data(peer, "PostGraphile")["allUsers"]["nodes"]
    if len(nodes) != 1 or nodes[0]["email"] != mine:
        raise AnswersDiffer(f"one-row read: PostGraphile returned {nodes}, expected {mine}")
