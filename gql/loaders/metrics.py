"""Loaders of metric points: by id, pages, counts, series and summaries per agent."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from domain.records import AgentMetric, MetricBucket, MetricSummary
from gql.loaders.base import KeyLoader, ParamLoader, by_id
from store import metrics
from store.database import DatabaseConnection
from store.keyset import Keyset, Page
from store.metrics import MetricFilter, SeriesQuery


class MetricByIdLoader(KeyLoader[int, AgentMetric]):
    async def fetch(self, conn: DatabaseConnection, ids: Sequence[int]) -> dict[int, AgentMetric]:
        return by_id(await metrics.metrics_by_ids(conn, ids))


class MetricPageByAgentIdLoader(
    ParamLoader[uuid.UUID, tuple[MetricFilter, Keyset], Page[AgentMetric]]
):
    async def fetch(
        self,
        conn: DatabaseConnection,
        ids: Sequence[uuid.UUID],
        params: tuple[MetricFilter, Keyset],
    ) -> dict[uuid.UUID, Page[AgentMetric]]:
        return await metrics.pages_for_agents(conn, ids, *params)


class MetricCountByAgentIdLoader(ParamLoader[uuid.UUID, MetricFilter, int]):
    async def fetch(
        self, conn: DatabaseConnection, ids: Sequence[uuid.UUID], flt: MetricFilter
    ) -> dict[uuid.UUID, int]:
        return await metrics.counts_for_agents(conn, ids, flt)


class MetricSeriesByAgentIdLoader(ParamLoader[uuid.UUID, SeriesQuery, list[MetricBucket]]):
    async def fetch(
        self, conn: DatabaseConnection, ids: Sequence[uuid.UUID], query: SeriesQuery
    ) -> dict[uuid.UUID, list[MetricBucket]]:
        return await metrics.series_for_agents(conn, ids, query)


class MetricSummaryByAgentIdLoader(ParamLoader[uuid.UUID, MetricFilter, MetricSummary | None]):
    async def fetch(
        self, conn: DatabaseConnection, ids: Sequence[uuid.UUID], flt: MetricFilter
    ) -> dict[uuid.UUID, MetricSummary | None]:
        return await metrics.summaries_for_agents(conn, ids, flt)
