"""The two shapes of dataloader every aggregate uses, created per request.

``KeyLoader``: one value per key. ``ParamLoader``: one value per (parent key, parameters), for
fields with arguments (a page of metrics with filters): keys sharing parameters are fetched in
one statement, so a request costs one statement per distinct argument set, never per object.
Both return results in key order, as DataLoader requires, and retry reads while the database
restarts (a subscription resolving an event at that moment waits rather than failing).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from typing import Any, Generic, TypeVar

from strawberry.dataloader import DataLoader

from domain.errors import NotFound
from store.database import Database, DatabaseConnection

K = TypeVar("K", bound=Hashable)
P = TypeVar("P", bound=Hashable)
V = TypeVar("V")

Fetch = Callable[[DatabaseConnection, Sequence[K]], Awaitable[Mapping[K, V]]]
ParamFetch = Callable[[DatabaseConnection, Sequence[K], P], Awaitable[Mapping[K, V]]]


class KeyLoader(DataLoader[K, V | None], Generic[K, V]):
    """Loads ``fetch(conn, keys)`` (a mapping); keys it does not return resolve to None."""

    def __init__(self, database: Database, fetch: Fetch[K, V]) -> None:
        async def load(keys: list[K]) -> list[V | None]:
            found = await database.read_retrying(lambda conn: fetch(conn, keys))
            return [found.get(key) for key in keys]

        super().__init__(load_fn=load)


class ParamLoader(DataLoader[tuple[K, P], V], Generic[K, P, V]):
    """Loads ``fetch(conn, parent_keys, params)`` once per distinct ``params``."""

    def __init__(self, database: Database, fetch: ParamFetch[K, P, V]) -> None:
        async def load(keys: list[tuple[K, P]]) -> list[V]:
            parents_by_params: dict[P, list[K]] = {}
            for parent, params in keys:
                parents_by_params.setdefault(params, []).append(parent)

            async def fetch_all(conn: DatabaseConnection) -> dict[tuple[K, P], V]:
                results: dict[tuple[K, P], V] = {}
                for params, parents in parents_by_params.items():
                    unique = list(dict.fromkeys(parents))
                    found = await fetch(conn, unique, params)
                    for parent in unique:
                        results[(parent, params)] = found[parent]
                return results

            results = await database.read_retrying(fetch_all)
            return [results[key] for key in keys]

        super().__init__(load_fn=load)


def by_attribute(rows: Sequence[Any], attribute: str = "id") -> dict[Any, Any]:
    """Index rows by one of their columns."""
    return {getattr(row, attribute): row for row in rows}


async def load_required(loader: DataLoader[Any, Any], key: Any, what: str) -> Any:
    """The row behind ``key``; NOT_FOUND (naming ``what``) when it is missing or not visible."""
    row = await loader.load(key)
    if row is None:
        raise NotFound(what)
    return row
