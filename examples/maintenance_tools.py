"""The maintenance agent's tools, simulated over a small catalog so the example runs anywhere:
each returns what the real tool would report (rows, fragmentation, indexes rebuilt…), and is
idempotent, so a step run again after a crash does no harm."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Table:
    rows: int
    fragmentation: float  # percent
    indexes: int
    corrupted: bool = False


CATALOG: dict[str, Table] = {
    "users": Table(rows=48_000, fragmentation=12.5, indexes=3),
    "orders": Table(rows=3_200_000, fragmentation=41.0, indexes=5),
    "products": Table(rows=8_400, fragmentation=35.2, indexes=2),
    "audit_log": Table(rows=9_800_000, fragmentation=57.3, indexes=1, corrupted=True),
}


class ToolFailed(Exception):
    """The tool could not do its work (the step fails; it may be retried)."""


def row_counts() -> dict[str, int]:
    return {name: table.rows for name, table in CATALOG.items()}


def _table(name: Any) -> Table:
    if name not in CATALOG:
        raise ToolFailed(f"table {name!r} not found in the database")
    return CATALOG[str(name)]


async def run_tool(
    tool: str, params: Mapping[str, Any], outputs: Mapping[int, Any], *, seconds: float = 0.0
) -> Any:
    """Run one tool, taking ``seconds`` (real tools take a while); ``outputs`` are the results
    of the steps before (for the report)."""
    await asyncio.sleep(seconds)
    tables = params.get("tables") or []
    if tool == "analyze_database_health":
        found = {name: _table(name) for name in tables}
        return {
            "tables": len(found),
            "rows_scanned": sum(t.rows for t in found.values()),
            "healthy": not any(t.corrupted for t in found.values()),
        }
    if tool == "analyze_table_fragmentation":
        table = _table(params.get("table"))
        recommendation = "rebuild" if table.fragmentation > 30 else "none"
        return {
            "fragmentation_percent": table.fragmentation,
            "recommendation": recommendation,
            "rows_scanned": table.rows,
        }
    if tool == "rebuild_fragmented_indexes":
        table = _table(params.get("table"))
        threshold = float(params.get("fragmentation_threshold", 30))
        rebuilt = table.indexes if table.fragmentation > threshold else 0
        return {"indexes_rebuilt": rebuilt, "rows_scanned": table.rows}
    if tool == "optimize_table":
        table = _table(params.get("table"))
        return {
            "optimized": True,
            "reclaimed_percent": round(table.fragmentation * 0.8, 1),
            "rows_scanned": table.rows,
        }
    if tool == "update_table_statistics":
        table = _table(params.get("table"))
        return {"statistics_updated": True, "rows_sampled": min(table.rows, 30_000)}
    if tool == "check_table_corruption":
        corrupted = [name for name in tables if _table(name).corrupted]
        return {"corrupted_tables": corrupted, "rows_scanned": sum(_table(n).rows for n in tables)}
    if tool == "repair_corrupted_tables":
        repaired = list(params.get("tables") or [])
        return {"repaired_tables": repaired, "backup_created": bool(params.get("create_backup"))}
    if tool == "generate_maintenance_report":
        return report(params, outputs)
    raise ToolFailed(f"unknown tool {tool!r}")


def report(params: Mapping[str, Any], outputs: Mapping[int, Any]) -> dict[str, Any]:
    """The seed's aggregated summary, from every earlier step's output."""
    results = [r for r in outputs.values() if isinstance(r, dict)]
    return {
        "maintenance_type": params.get("maintenance_type"),
        "database": params.get("database"),
        "steps_reported": len(results),
        "indexes_rebuilt": sum(int(r.get("indexes_rebuilt", 0)) for r in results),
        "statistics_updated": sum(1 for r in results if r.get("statistics_updated")),
        "tables_optimized": sum(1 for r in results if r.get("optimized")),
        "repaired_tables": sorted({t for r in results for t in r.get("repaired_tables", [])}),
    }
