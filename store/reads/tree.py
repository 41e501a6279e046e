"""What JSON to build: a selection as the store compiles it, in the product's terms.

Every item names the response key it fills. Values are attributes of the entity being read
(``Value``), constants (``Constant``, e.g. ``__typename``) or the entity's global id; relations
lead to one object (``One``), a list (``Many``) or a page of a keyset ordering (``Paged``),
whose parts are the total count, the page's position and its edges.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from store.keyset import Keyset as Page


class Format(StrEnum):
    """How a value is spelled in the response (the GraphQL type of its field)."""

    TEXT = "text"
    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    ENUM = "enum"  # the stored lowercase value, spelled as the enum's name
    DATETIME = "datetime"  # ISO 8601 as Python's isoformat() spells it
    JSON = "json"
    TEXT_LIST = "text_list"


@dataclass(frozen=True, slots=True)
class Value:
    key: str
    attribute: str
    format: Format


@dataclass(frozen=True, slots=True)
class Constant:
    key: str
    value: str


@dataclass(frozen=True, slots=True)
class GlobalId:
    """The entity's Relay global id: base64 of "Type:uuid"."""

    key: str
    type_name: str


@dataclass(frozen=True, slots=True)
class One:
    """A related object, or null when there is none."""

    key: str
    relation: str
    items: tuple[Item, ...]
    args: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Many:
    """A list of related objects, in the relation's order."""

    key: str
    relation: str
    items: tuple[Item, ...]
    args: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Paged:
    """A page of related objects (a Relay connection)."""

    key: str
    relation: str
    page: Page
    tag: str  # the cursor's ordering tag
    items: tuple[PageItem, ...]
    args: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TotalCount:
    key: str


class Position(StrEnum):
    HAS_NEXT = "has_next"
    HAS_PREVIOUS = "has_previous"
    START_CURSOR = "start_cursor"
    END_CURSOR = "end_cursor"


@dataclass(frozen=True, slots=True)
class PagePosition:
    key: str
    position: Position


@dataclass(frozen=True, slots=True)
class PageInfo:
    key: str
    items: tuple[PagePosition | Constant, ...]


@dataclass(frozen=True, slots=True)
class EdgeCursor:
    key: str


@dataclass(frozen=True, slots=True)
class EdgeNode:
    key: str
    items: tuple[Item, ...]


@dataclass(frozen=True, slots=True)
class Edges:
    key: str
    items: tuple[EdgeCursor | EdgeNode | Constant, ...]


Item = Value | Constant | GlobalId | One | Many | Paged
PageItem = TotalCount | PageInfo | Edges | Constant
