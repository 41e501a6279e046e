"""Result rows, as the store hands them on."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)


def per_parent(items: Iterable[T], parent_ids: Sequence[K], parent: str) -> dict[K, list[T]]:
    """``items`` grouped by their ``parent`` attribute, in their order, with an empty list for
    every parent id that has none (a batched read answers for every id it was asked)."""
    grouped: dict[K, list[T]] = {parent_id: [] for parent_id in parent_ids}
    for item in items:
        key: Any = getattr(item, parent)
        grouped[key].append(item)
    return grouped
