"""Loaders of executions (visibility-checked by id; pages per agent), their steps, checkpoints
and log."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from domain.records import Checkpoint, Execution, ExecutionEvent, ExecutionStep
from gql.loaders.base import KeyLoader, ParamLoader, by_id
from store import checkpoints, execution_log, executions, steps
from store.database import DatabaseConnection
from store.keyset import Keyset, Page


class ExecutionByIdLoader(KeyLoader[uuid.UUID, Execution]):
    async def fetch(
        self, conn: DatabaseConnection, ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, Execution]:
        return by_id(await executions.executions_by_ids(conn, self.scope.viewer, ids))


class ExecutionPageByAgentIdLoader(
    ParamLoader[uuid.UUID, tuple[str | None, Keyset], Page[Execution]]
):
    """Params: (status or None, keyset)."""

    async def fetch(
        self,
        conn: DatabaseConnection,
        ids: Sequence[uuid.UUID],
        params: tuple[str | None, Keyset],
    ) -> dict[uuid.UUID, Page[Execution]]:
        return await executions.pages_for_agents(conn, ids, *params)


class ExecutionCountByAgentIdLoader(ParamLoader[uuid.UUID, str | None, int]):
    async def fetch(
        self, conn: DatabaseConnection, ids: Sequence[uuid.UUID], status: str | None
    ) -> dict[uuid.UUID, int]:
        return await executions.counts_for_agents(conn, ids, status)


class StepsByExecutionIdLoader(KeyLoader[uuid.UUID, list[ExecutionStep]]):
    async def fetch(
        self, conn: DatabaseConnection, ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, list[ExecutionStep]]:
        return await steps.steps_for_executions(conn, ids)


class StepByIdLoader(KeyLoader[uuid.UUID, ExecutionStep]):
    async def fetch(
        self, conn: DatabaseConnection, ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, ExecutionStep]:
        return by_id(await steps.steps_by_ids(conn, ids))


class CheckpointsByExecutionIdLoader(KeyLoader[uuid.UUID, list[Checkpoint]]):
    async def fetch(
        self, conn: DatabaseConnection, ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, list[Checkpoint]]:
        return await checkpoints.checkpoints_for_executions(conn, ids)


class CheckpointByIdLoader(KeyLoader[uuid.UUID, Checkpoint]):
    async def fetch(
        self, conn: DatabaseConnection, ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, Checkpoint]:
        return by_id(await checkpoints.checkpoints_by_ids(conn, ids))


class EventPageByExecutionIdLoader(ParamLoader[uuid.UUID, Keyset, Page[ExecutionEvent]]):
    async def fetch(
        self, conn: DatabaseConnection, ids: Sequence[uuid.UUID], keyset: Keyset
    ) -> dict[uuid.UUID, Page[ExecutionEvent]]:
        return await execution_log.pages_for_executions(conn, ids, keyset)


class EventCountByExecutionIdLoader(KeyLoader[uuid.UUID, int]):
    async def fetch(
        self, conn: DatabaseConnection, ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, int]:
        return await execution_log.counts_for_executions(conn, ids)
