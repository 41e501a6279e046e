"""The database maintenance agent's planning and safety, as seeds/003 §9 describes them.

Plans vary with the maintenance type: ``quick`` updates statistics; ``standard`` also analyses
fragmentation; ``full`` rebuilds fragmented indexes and optimizes tables too; ``emergency``
checks for corruption and repairs what it finds. Every plan starts with a health analysis and
ends with a report.

Risk levels are the seed's: analyses and the report are safe, statistics updates low, index
rebuilds and table optimization medium, repairs high. The server's safety rules then decide
which steps wait for a person: high always; medium when the agent is ``strict``; any step on a
database whose name contains ``prod``. The seed also asks approval for work on large tables;
the API decides from the risk level alone, so such steps are declared high.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from agentgraph.runtime import PlanStep

MAINTENANCE_TYPES = ("quick", "standard", "full", "emergency")
LARGE_TABLE_ROWS = 1_000_000  # the seed's "large table" (>1M rows)

_REFERENCE = re.compile(r"^\$\{step_(\d+)\.output\.([A-Za-z_][A-Za-z0-9_]*)\}$")


def plan(
    maintenance_type: str,
    database: str,
    tables: Sequence[str],
    *,
    row_counts: Mapping[str, int],
    rebuild_indexes: bool = True,
) -> list[PlanStep]:
    """The steps of one maintenance run (``row_counts``: table → rows, to spot large ones)."""
    if maintenance_type not in MAINTENANCE_TYPES:
        raise ValueError(f"maintenance type must be one of {', '.join(MAINTENANCE_TYPES)}")
    on = {"database": database}
    steps = [
        PlanStep(
            "analyze_database_health",
            {
                **on,
                "tables": list(tables),
                "check_corruption": maintenance_type in ("full", "emergency"),
            },
            "Assess current database health before maintenance",
        )
    ]
    for table in tables if maintenance_type != "emergency" else ():
        large = row_counts.get(table, 0) > LARGE_TABLE_ROWS
        steps.extend(_table_steps(maintenance_type, on, table, large, rebuild_indexes))
    if maintenance_type == "emergency":
        steps.append(
            PlanStep(
                "check_table_corruption",
                {**on, "tables": list(tables)},
                "Check for table corruption",
            )
        )
        steps.append(
            PlanStep(
                "repair_corrupted_tables",
                {**on, "tables": "${step_1.output.corrupted_tables}", "create_backup": True},
                "Repair any corrupted tables found (a backup is created first)",
                risk="high",
            )
        )
    steps.append(
        PlanStep(
            "generate_maintenance_report",
            {**on, "tables": list(tables), "maintenance_type": maintenance_type},
            "Generate summary report of maintenance actions",
        )
    )
    return steps


def _table_steps(
    kind: str, on: dict[str, Any], table: str, large: bool, rebuild_indexes: bool
) -> list[PlanStep]:
    target = {**on, "table": table}
    analyze = PlanStep(
        "analyze_table_fragmentation", target, f"Check fragmentation level for {table}"
    )
    statistics = PlanStep(
        "update_table_statistics",
        target,
        f"Update statistics for {table} to improve query planning",
        risk="low",
    )
    if kind == "quick":
        return [statistics]
    if kind == "standard":
        return [analyze, statistics]
    risky = "high" if large else "medium"
    why = " (large table: approval required)" if large else ""
    steps = [analyze]
    if rebuild_indexes:
        steps.append(
            PlanStep(
                "rebuild_fragmented_indexes",
                {**target, "fragmentation_threshold": 30},
                f"Rebuild indexes of {table} fragmented over 30%{why}",
                risk=risky,
            )
        )
    steps.append(
        PlanStep("optimize_table", target, f"Optimize table structure for {table}{why}", risk=risky)
    )
    steps.append(statistics)
    return steps


def resolve(params: Mapping[str, Any], outputs: Mapping[int, Any]) -> dict[str, Any]:
    """Parameters with ``${step_<i>.output.<key>}`` replaced by what step ``i`` produced."""
    resolved: dict[str, Any] = {}
    for key, value in params.items():
        match = _REFERENCE.match(value) if isinstance(value, str) else None
        if match:
            output = outputs.get(int(match.group(1))) or {}
            value = output.get(match.group(2)) if isinstance(output, dict) else None
        resolved[key] = value
    return resolved
