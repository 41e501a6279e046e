"""Running a plan: compiled once for a caller into one statement, then the data of each root
field, in order."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import orjson

from domain.access import Viewer
from gql.compiled.planner import Plan, Root
from store.database import Database, StatementFailed
from store.reads.compiler import compile_roots
from store.reads.scope import Scope

logger = logging.getLogger("agentgraph.compiled")


@dataclass(frozen=True)
class Statement:
    """A plan compiled for one caller: the SQL (None when every root is a constant), its
    parameters, and the roots its columns fill."""

    sql: str | None
    params: Sequence[Any]
    roots: tuple[Root, ...]


def compile_plan(plan: Plan, viewer: Viewer, heartbeat_timeout: timedelta) -> Statement:
    items = plan.items()
    if not items:
        return Statement(None, (), plan.roots)
    scope = Scope(viewer, heartbeat_timeout)
    return Statement(compile_roots(items, scope), tuple(scope.params), plan.roots)


async def run_statement(statement: Statement, database: Database) -> dict[str, Any] | None:
    """The response's ``data``; None when a root came back empty or the statement failed (the
    resolvers then answer, with the NOT_FOUND or error the reference path gives)."""
    values: Sequence[Any] = ()
    if statement.sql is not None:
        try:
            values = await database.fetch_row(statement.sql, statement.params) or ()
        except StatementFailed:
            # A value the checks let through and PostgreSQL refuses: the resolvers answer,
            # with the error the reference path gives (never a 500 from here).
            logger.warning("compiled statement failed; the resolvers answer", exc_info=True)
            return None
    columns = iter(values)
    data: dict[str, Any] = {}
    for root in statement.roots:
        if root.constant is not None:
            data[root.key] = root.constant
            continue
        texts = [next(columns) for _ in (root.items if root.items is not None else (root.item,))]
        if any(text is None for text in texts):
            return None
        parsed = [orjson.loads(text) for text in texts]
        data[root.key] = parsed if root.items is not None else parsed[0]
    return data
