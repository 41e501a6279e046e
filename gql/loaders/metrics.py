"""Loaders of metric points: by id, pages, counts, series and summaries per agent."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from gql.loaders.base import KeyLoader, ParamLoader, by_attribute
from store import metrics
from store.database import Database, DatabaseConnection
from store.keyset import Keyset, Page


class MetricByIdLoader(KeyLoader[int, Any]):
    def __init__(self, database: Database) -> None:
        async def fetch(conn: DatabaseConnection, ids: Sequence[int]) -> dict[Any, Any]:
            return by_attribute(await metrics.metrics_by_ids(conn, ids))

        super().__init__(database, fetch)


class MetricPageByAgentIdLoader(ParamLoader[uuid.UUID, tuple[metrics.MetricFilter, Keyset], Page]):
    def __init__(self, database: Database) -> None:
        async def fetch(
            conn: DatabaseConnection,
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
