"""The two shapes of dataloader every aggregate uses, created per request.

``KeyLoader``: one value per key. ``ParamLoader``: one value per (parent key, parameters), for
fields with arguments (a page of metrics with filters): keys sharing parameters are fetched in
one statement, so a request costs one statement per distinct argument set, never per object.
Both return results in key order, as DataLoader requires, and retry reads while the database
restarts (a subscription resolving an event at that moment waits rather than failing).

A loader is its ``fetch``: a subclass answers for a batch of keys from the store, reading with
the request's ``LoaderScope`` (the viewer, for the visibility-checked ones).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Generic, TypeVar

from strawberry.dataloader import DataLoader

from domain.access import Viewer
from domain.errors import NotFound
from store.database import Database, DatabaseConnection, is_transient

K = TypeVar("K", bound=Hashable)
P = TypeVar("P", bound=Hashable)
V = TypeVar("V")


@dataclass(frozen=True)
class LoaderScope:
    """What the loaders of one request read with."""

    database: Database
    viewer: Viewer
    heartbeat_timeout: timedelta


class KeyLoader(DataLoader[K, V | None], Generic[K, V]):
    """Loads ``fetch(conn, keys)`` (a mapping); keys it does not return resolve to None."""

    def __init__(self, scope: LoaderScope) -> None:
        self.scope = scope
        super().__init__(load_fn=self._load)

    async def fetch(self, conn: DatabaseConnection, keys: Sequence[K]) -> Mapping[K, V]:
        raise NotImplementedError

    async def _load(self, keys: list[K]) -> list[V | None]:
        found = await self.scope.database.read_retrying(lambda conn: self.fetch(conn, keys))
        return [found.get(key) for key in keys]


class ParamLoader(DataLoader[tuple[K, P], V], Generic[K, P, V]):
    """Loads ``fetch(conn, parent_keys, params)`` once per distinct ``params``."""

    def __init__(self, scope: LoaderScope) -> None:
        self.scope = scope
        super().__init__(load_fn=self._load)

    async def fetch(
        self, conn: DatabaseConnection, parents: Sequence[K], params: P
    ) -> Mapping[K, V]:
        raise NotImplementedError

    async def _load(self, keys: list[tuple[K, P]]) -> list[V | Exception]:
        parents_by_params: dict[P, list[K]] = {}
        for parent, params in keys:
            parents_by_params.setdefault(params, []).append(parent)

        async def fetch_all(conn: DatabaseConnection) -> dict[tuple[K, P], V | Exception]:
            results: dict[tuple[K, P], V | Exception] = {}
            for params, parents in parents_by_params.items():
                unique = list(dict.fromkeys(parents))
                try:
                    found = await self.fetch(conn, unique, params)
                except Exception as error:
                    if is_transient(error):
                        raise  # the whole batch is read again
                    # What one argument set cannot read fails its own fields, not every field
                    # that happened to share the batch (the connection autocommits: the next
                    # statement runs as if nothing happened).
                    results.update({(parent, params): error for parent in unique})
                    continue
                for parent in unique:
                    results[(parent, params)] = found[parent]
            return results

        results = await self.scope.database.read_retrying(fetch_all)
        return [results[key] for key in keys]


def by_id(records: Iterable[Any], attribute: str = "id") -> dict[Any, Any]:
    """Index records by one of their fields (``id`` unless told)."""
    return {getattr(record, attribute): record for record in records}


async def load_required(loader: DataLoader[Any, Any], key: Any, what: str) -> Any:
    """The record behind ``key``; NOT_FOUND (naming ``what``) when it is missing or not visible."""
    found = await loader.load(key)
    if found is None:
        raise NotFound(what)
    return found
