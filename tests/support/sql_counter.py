"""Counts the SQL statements a database is sent (the N+1 guard of the read API): through the
engine, and the compiled read path's statements that go to the driver directly."""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Any

from sqlalchemy import event

from store.database import Database


class StatementCounter:
    """Statements sent while counting, except by background tasks named in ``ignore_tasks``
    (the sweeper and the hub's tail check run on their own clocks)."""

    def __init__(self, database: Database, ignore_tasks: frozenset[str] = frozenset()) -> None:
        self._database = database
        self._engine = database.engine.sync_engine
        self._ignore = ignore_tasks
        self.statements: list[str] = []

    def _record(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self._count(statement)

    def _count(self, statement: str) -> None:
        task = asyncio.current_task()
        if task is not None and task.get_name() in self._ignore:
            return
        self.statements.append(statement)

    def reset(self) -> None:
        self.statements.clear()

    @property
    def count(self) -> int:
        return len(self.statements)

    def __enter__(self) -> StatementCounter:
        event.listen(self._engine, "before_cursor_execute", self._record)
        self._database.statement_listeners.append(self._count)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        event.remove(self._engine, "before_cursor_execute", self._record)
        self._database.statement_listeners.remove(self._count)
