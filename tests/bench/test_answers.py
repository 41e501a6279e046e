"""The bench's row check: answers holding the same rows pass, any difference in the rows the
fleet query reads fails loudly and names it."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from bench.answers import (
    AnswersDiffer,
    check_fleet_shape,
    check_same_rows,
    check_same_user,
    floor_fleet,
    ours_fleet,
    peer_fleet,
)


def _agent(index: int) -> dict[str, Any]:
    return {
        "name": f"agent-{index:05d}",
        "status": "idle",
        "state": {"currentWorkflow": "analysis", "errorCount": 0},
        "configs": [
            {"key": f"key_{k:02d}", "value": str(k * 10), "valueType": "integer"} for k in range(12)
        ],
        "capabilities": [
            {"name": "analysis", "version": f"1.{v}.0", "enabled": True} for v in range(3)
        ],
        "metrics": [
            {"name": f"metric_{p % 4}", "value": float(p), "unit": "ms"} for p in range(10)
        ],
    }


def _ours(agents: list[dict[str, Any]], total: int) -> dict[str, Any]:
    edges = [
        {
            "node": {
                "name": a["name"],
                "status": a["status"].upper(),  # our enum
                "state": a["state"],
                "configs": [{**c, "valueType": c["valueType"].upper()} for c in a["configs"]],
                "capabilities": a["capabilities"],
                "metrics": {"edges": [{"node": m} for m in a["metrics"]]},
            }
        }
        for a in agents
    ]
    return {"data": {"project": {"agents": {"totalCount": total, "edges": edges}}}}


def _peer(agents: list[dict[str, Any]], total: int) -> dict[str, Any]:
    edges = [
        {
            "node": {
                "name": a["name"],
                "status": a["status"],
                "agentStateByAgentId": a["state"],
                # PostGraphile's natural order need not be ours
                "agentConfigsByAgentId": {"nodes": list(reversed(a["configs"]))},
                "agentCapabilitiesByAgentId": {"nodes": list(reversed(a["capabilities"]))},
                "agentMetricsByAgentId": {"edges": [{"node": m} for m in a["metrics"]]},
            }
        }
        for a in agents
    ]
    return {"data": {"allAgents": {"totalCount": total, "edges": edges}}}


AGENTS = [_agent(i) for i in range(3)]


def test_the_same_rows_from_all_three_pass() -> None:
    floor = floor_fleet({"totalCount": 3, "agents": AGENTS})
    check_same_rows(floor, ours_fleet(_ours(AGENTS, 3)), "ours")
    check_same_rows(floor, peer_fleet(_peer(AGENTS, 3)), "peer")
    check_fleet_shape(floor, 3)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        pytest.param(lambda a: a[1]["configs"][4].update(value="41"), "configs", id="config value"),
        pytest.param(lambda a: a[2]["capabilities"].pop(), "capabilities", id="capability missing"),
        pytest.param(lambda a: a[0]["metrics"].reverse(), "metrics", id="metrics oldest first"),
        pytest.param(lambda a: a[0]["metrics"][3].update(value=3.5), "metrics", id="metric value"),
        pytest.param(lambda a: a[1].update(name="agent-99999"), "name", id="agent name"),
        pytest.param(lambda a: a.reverse(), "name", id="agents in another order"),
        pytest.param(lambda a: a[2]["state"].update(errorCount=1), "state", id="state"),
    ],
)
def test_any_difference_in_the_rows_fails_and_is_named(change: Any, field: str) -> None:
    changed = copy.deepcopy(AGENTS)
    change(changed)
    with pytest.raises(AnswersDiffer, match=field):
        check_same_rows(ours_fleet(_ours(AGENTS, 3)), peer_fleet(_peer(changed, 3)), "peer")


def test_a_shorter_page_or_another_total_fails() -> None:
    ours = ours_fleet(_ours(AGENTS, 3))
    with pytest.raises(AnswersDiffer, match="agents on the page"):
        check_same_rows(ours, peer_fleet(_peer(AGENTS[:2], 3)), "peer")
    with pytest.raises(AnswersDiffer, match="totalCount"):
        check_same_rows(ours, peer_fleet(_peer(AGENTS, 4)), "peer")


def test_an_answer_with_errors_fails() -> None:
    with pytest.raises(AnswersDiffer, match="errors"):
        ours_fleet({"data": None, "errors": [{"message": "boom"}]})


def test_a_fleet_that_is_not_what_the_loader_wrote_fails() -> None:
    floor = floor_fleet({"totalCount": 3, "agents": AGENTS})
    with pytest.raises(AnswersDiffer, match="expected"):
        check_fleet_shape(floor, 1000)
    empty = floor_fleet({"totalCount": 0, "agents": []})
    with pytest.raises(AnswersDiffer, match="no agents"):
        check_same_rows(empty, empty, "empty")


def test_the_one_row_reads_must_name_the_same_user() -> None:
    ours = {"data": {"me": {"id": "VXNlcjox", "email": "a@bench.example"}}}
    same = {"data": {"allUsers": {"nodes": [{"id": "x", "email": "a@bench.example"}]}}}
    other = {"data": {"allUsers": {"nodes": [{"id": "x", "email": "b@bench.example"}]}}}
    check_same_user(ours, same)
    with pytest.raises(AnswersDiffer):
        check_same_user(ours, other)
