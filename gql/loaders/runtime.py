"""Loaders of what hangs below an agent: configs, state, capabilities, metrics, history."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from gql.loaders.base import KeyLoader, ParamLoader, by_attribute
from store import history, metrics, runtime
from store.database import Database
from store.keyset import Keyset, Page


class ConfigsByAgentIdLoader(KeyLoader[uuid.UUID, list[Any]]):
    def __init__(self, database: Database) -> None:
        super().__init__(database, runtime.configs_for_agents)


class StateByAgentIdLoader(KeyLoader[uuid.UUID, Any]):
    def __init__(self, database: Database) -> None:
        super().__init__(database, runtime.states_for_agents)


class CapabilitiesByAgentIdLoader(KeyLoader[uuid.UUID, list[Any]]):
    def __init__(self, database: Database) -> None:
        super().__init__(database, runtime.capabilities_for_agents)


class ConfigByIdLoader(KeyLoader[uuid.UUID, Any]):
    def __init__(self, database: Database) -> None:
        async def fetch(conn: AsyncConnection, ids: Sequence[uuid.UUID]) -> dict[Any, Any]:
            return by_attribute(await runtime.configs_by_ids(conn, ids))

        super().__init__(database, fetch)


class CapabilityByIdLoader(KeyLoader[uuid.UUID, Any]):
    def __init__(self, database: Database) -> None:
        async def fetch(conn: AsyncConnection, ids: Sequence[uuid.UUID]) -> dict[Any, Any]:
            return by_attribute(await runtime.capabilities_by_ids(conn, ids))

        super().__init__(database, fetch)


class MetricByIdLoader(KeyLoader[int, Any]):
    def __init__(self, database: Database) -> None:
        async def fetch(conn: AsyncConnection, ids: Sequence[int]) -> dict[Any, Any]:
            return by_attribute(await metrics.metrics_by_ids(conn, ids))

        super().__init__(database, fetch)


class MetricPageByAgentIdLoader(ParamLoader[uuid.UUID, tuple[metrics.MetricFilter, Keyset], Page]):
    def __init__(self, database: Database) -> None:
        async def fetch(
            conn: AsyncConnection,
            ids: Sequence[uuid.UUID],
            params: tuple[metrics.MetricFilter, Keyset],
        ) -> dict[uuid.UUID, Page]:
            return await metrics.pages_for_agents(conn, ids, *params)

        super().__init__(database, fetch)


class MetricCountByAgentIdLoader(ParamLoader[uuid.UUID, metrics.MetricFilter, int]):
    def __init__(self, database: Database) -> None:
        super().__init__(database, metrics.counts_for_agents)


class MetricSeriesByAgentIdLoader(ParamLoader[uuid.UUID, metrics.SeriesQuery, list[Any]]):
    def __init__(self, database: Database) -> None:
        super().__init__(database, metrics.series_for_agents)


class MetricSummaryByAgentIdLoader(ParamLoader[uuid.UUID, metrics.MetricFilter, Any]):
    def __init__(self, database: Database) -> None:
        super().__init__(database, metrics.summaries_for_agents)


class TransitionPageByAgentIdLoader(ParamLoader[uuid.UUID, Keyset, Page]):
    def __init__(self, database: Database) -> None:
        super().__init__(database, history.pages_for_agents)


class TransitionCountByAgentIdLoader(KeyLoader[uuid.UUID, int]):
    def __init__(self, database: Database) -> None:
        super().__init__(database, history.counts_for_agents)


class TransitionByIdLoader(KeyLoader[uuid.UUID, Any]):
    def __init__(self, database: Database) -> None:
        async def fetch(conn: AsyncConnection, ids: Sequence[uuid.UUID]) -> dict[Any, Any]:
            return by_attribute(await history.transitions_by_ids(conn, ids))

        super().__init__(database, fetch)


class TransitionBySeqLoader(KeyLoader[int, Any]):
    def __init__(self, database: Database) -> None:
        async def fetch(conn: AsyncConnection, seqs: Sequence[int]) -> dict[Any, Any]:
            return by_attribute(await history.transitions_by_seqs(conn, seqs), "seq")

        super().__init__(database, fetch)
