"""Running a plan: one statement, then the data of each root field, in order."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import orjson

from domain.access import Viewer
from gql.compiled.planner import Plan
from store.database import Database
from store.reads.compiler import compile_roots
from store.reads.scope import Scope


async def run_plan(
    plan: Plan, database: Database, viewer: Viewer, heartbeat_timeout: timedelta
) -> dict[str, Any] | None:
    """The response's ``data``; None when a root came back empty (the resolvers then answer,
    with the NOT_FOUND the reference path gives)."""
    items = plan.items()
    values: list[Any] = []
    if items:
        scope = Scope(viewer, heartbeat_timeout)
        statement = compile_roots(items, scope)
        row = await database.fetch_row(statement, scope.params)
        values = list(row or ())
    columns = iter(values)
    data: dict[str, Any] = {}
    for root in plan.roots:
        if root.constant is not None:
            data[root.key] = root.constant
            continue
        texts = [next(columns) for _ in (root.items if root.items is not None else (root.item,))]
        if any(text is None for text in texts):
            return None
        parsed = [orjson.loads(text) for text in texts]
        data[root.key] = parsed if root.items is not None else parsed[0]
    return data
