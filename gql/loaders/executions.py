"""Loaders of executions, their steps, checkpoints and log."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from domain.access import Viewer
from gql.loaders.base import KeyLoader, ParamLoader, by_attribute
from store import checkpoints, execution_log, executions, steps
from store.database import Database, DatabaseConnection
from store.keyset import Keyset, Page


class ExecutionByIdLoader(KeyLoader[uuid.UUID, Any]):
    def __init__(self, database: Database, viewer: Viewer) -> None:
        async def fetch(conn: DatabaseConnection, ids: Sequence[uuid.UUID]) -> dict[Any, Any]:
            return by_attribute(await executions.executions_by_ids(conn, viewer, ids))

        super().__init__(database, fetch)


class ExecutionPageByAgentIdLoader(ParamLoader[uuid.UUID, tuple[str | None, Keyset], Page]):
    def __init__(self, database: Database) -> None:
        async def fetch(
            conn: DatabaseConnection, ids: Sequence[uuid.UUID], params: tuple[str | None, Keyset]
        ) -> dict[uuid.UUID, Page]:
            return await executions.pages_for_agents(conn, ids, *params)

        super().__init__(database, fetch)


class ExecutionCountByAgentIdLoader(ParamLoader[uuid.UUID, str | None, int]):
    def __init__(self, database: Database) -> None:
        super().__init__(database, executions.counts_for_agents)


class StepsByExecutionIdLoader(KeyLoader[uuid.UUID, list[Any]]):
    def __init__(self, database: Database) -> None:
        super().__init__(database, steps.steps_for_executions)


class StepByIdLoader(KeyLoader[uuid.UUID, Any]):
    def __init__(self, database: Database) -> None:
        async def fetch(conn: DatabaseConnection, ids: Sequence[uuid.UUID]) -> dict[Any, Any]:
            return by_attribute(await steps.steps_by_ids(conn, ids))

        super().__init__(database, fetch)


class CheckpointsByExecutionIdLoader(KeyLoader[uuid.UUID, list[Any]]):
    def __init__(self, database: Database) -> None:
        super().__init__(database, checkpoints.checkpoints_for_executions)


class CheckpointByIdLoader(KeyLoader[uuid.UUID, Any]):
    def __init__(self, database: Database) -> None:
        async def fetch(conn: DatabaseConnection, ids: Sequence[uuid.UUID]) -> dict[Any, Any]:
            return by_attribute(await checkpoints.checkpoints_by_ids(conn, ids))

        super().__init__(database, fetch)


class EventPageByExecutionIdLoader(ParamLoader[uuid.UUID, Keyset, Page]):
    def __init__(self, database: Database) -> None:
        super().__init__(database, execution_log.pages_for_executions)


class EventCountByExecutionIdLoader(KeyLoader[uuid.UUID, int]):
    def __init__(self, database: Database) -> None:
        super().__init__(database, execution_log.counts_for_executions)
