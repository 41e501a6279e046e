"""The README's "Connecting an agent" example is run as written, against a real server, with
the operator approving its risky step: the documentation cannot drift from the SDK."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

from tests.runtime.conftest import Operator, http_url
from tests.support.ws import TRANSPORT_WS, WSClient

README = Path(__file__).resolve().parents[2] / "README.md"
REQUESTS = """
subscription($project: ID!) {
  approvalEvents(projectId: $project, after: "0") { kind approval { id step { tool } } }
}
"""


def _example() -> str:
    section = README.read_text().split("## Connecting an agent", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match, "the section has a python example"
    return match.group(1)


async def test_the_readme_example_runs_the_whole_loop(operator: Operator, live_url: str) -> None:
    spawned = await operator.spawn()
    done: list[tuple[str, dict[str, Any]]] = []

    async def do(tool: str, params: dict[str, Any]) -> dict[str, Any]:
        done.append((tool, params))
        return {"tool": tool}

    namespace: dict[str, Any] = {"do": do}
    exec(compile(_example(), str(README), "exec"), namespace)
    watcher = await WSClient.open(live_url, TRANSPORT_WS, token=operator.token)
    try:
        await watcher.subscribe(REQUESTS, {"project": operator.project_id})
        agent = asyncio.create_task(namespace["run"](http_url(live_url), spawned["token"]))
        requested = await watcher.next_event("approvalEvents", timeout=30)
        assert requested["kind"] == "APPROVAL_REQUESTED"
        assert requested["approval"]["step"]["tool"] == "vacuum_full"
        await operator.approve(requested["approval"]["id"])
        await agent
    finally:
        await watcher.close()
    assert [tool for tool, _ in done] == ["analyze_table", "vacuum_full"]
    seen = await operator.agent(spawned["id"])
    assert seen["tasksCompleted"] == 1 and seen["metricSummary"]["count"] == 2
