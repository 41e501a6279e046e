"""Relay connections over keyset pages: argument checks, opaque cursors, PageInfo.

A cursor is base64url(JSON [ordering tag, key values…]). The tag names the ordering it was made
for, so a cursor from another ordering or list is refused instead of silently misread.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import strawberry

from domain.errors import ValidationFailed
from gql.input_guard import holds_nul
from store.database import DatabaseConnection
from store.keyset import Keyset, Page

T = TypeVar("T")


@strawberry.type(description="Where a page sits in its list (Relay cursor connections).")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More items follow this page.")
    has_previous_page: bool = strawberry.field(description="Items precede this page.")
    start_cursor: str | None = strawberry.field(description="Cursor of the first item.")
    end_cursor: str | None = strawberry.field(description="Cursor of the last item.")


@strawberry.type(description="One item of a page and its cursor.")
class Edge(Generic[T]):
    cursor: str = strawberry.field(
        description="Opaque position of this item; pass as after/before."
    )
    node: T = strawberry.field(description="The item.")


@strawberry.type(description="A page of a list, with its position and the list's total size.")
class Connection(Generic[T]):
    edges: list[Edge[T]] = strawberry.field(description="The items of this page, in order.")
    page_info: PageInfo = strawberry.field(description="Whether more items exist before or after.")
    count_fn: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="Number of items in the whole list (with the same filters).")
    async def total_count(self) -> int:
        return await self.count_fn()


def encode_cursor(tag: str, values: Sequence[Any]) -> str:
    # Unescaped non-ASCII: the compiled read path writes cursors as PostgreSQL's to_json does.
    raw = json.dumps([tag, *values], separators=(",", ":"), default=str, ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, tag: str, field: str) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        decoded = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as error:
        raise ValidationFailed(field, "is not a valid cursor") from error
    if not isinstance(decoded, list) or not decoded or decoded[0] != tag:
        raise ValidationFailed(field, "is a cursor of another list or ordering")
    if holds_nul(decoded):
        # Never one of ours (no key holds a NUL) and PostgreSQL cannot take it as text.
        raise ValidationFailed(field, "is not a valid cursor")
    return decoded[1:]


@dataclass(frozen=True)
class PageArgs:
    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None


class CursorKind(Protocol):
    """How one list's cursors are made from records and read back into keyset keys."""

    @property
    def tag(self) -> str: ...

    def cursor(self, item: Any) -> str: ...

    def key(self, values: list[Any]) -> tuple[Any, ...]: ...


@dataclass(frozen=True)
class Cursors:
    """A CursorKind for an ordering fixed by the list (newest first, by name, …)."""

    tag: str
    values: Callable[[Any], list[Any]]
    decode: Callable[[list[Any]], tuple[Any, ...]]

    def cursor(self, item: Any) -> str:
        return encode_cursor(self.tag, self.values(item))

    def key(self, values: list[Any]) -> tuple[Any, ...]:
        return self.decode(values)


def page_keyset(info: Any, args: PageArgs, kind: CursorKind) -> Keyset:
    """``keyset_for`` with the server's page sizes."""
    config = info.context.config
    return keyset_for(
        args, kind.tag, kind.key,
        default_size=config.default_page_size, max_size=config.max_page_size,
    )  # fmt: skip


def keyset_for(
    args: PageArgs,
    tag: str,
    decode_key: Callable[[list[Any]], tuple[Any, ...]],
    *,
    default_size: int,
    max_size: int,
) -> Keyset:
    """Check Relay arguments and turn them into a keyset (VALIDATION_ERROR names the argument)."""
    for name in ("first", "last"):
        value = getattr(args, name)
        if value is not None and value < 0:
            raise ValidationFailed(name, "must not be negative")
        if value is not None and value > max_size:
            raise ValidationFailed(name, f"must be at most {max_size}")
    if args.first is not None and args.last is not None:
        raise ValidationFailed("last", "cannot be combined with first")

    def key(cursor: str | None, field: str) -> tuple[Any, ...] | None:
        if cursor is None:
            return None
        try:
            return decode_key(decode_cursor(cursor, tag, field))
        except ValidationFailed:
            raise
        except (TypeError, ValueError, IndexError) as error:
            raise ValidationFailed(field, "is not a valid cursor") from error

    backward = args.last is not None
    size = args.last if backward else args.first
    return Keyset(
        limit=default_size if size is None else size,
        after=key(args.after, "after"),
        before=key(args.before, "before"),
        backward=backward,
    )


def connection(
    page: Page,
    keyset: Keyset,
    *,
    node: Callable[[Any], T],
    cursor: Callable[[Any], str],
    count: Callable[[], Awaitable[int]],
) -> Connection[T]:
    edges = [Edge(cursor=cursor(item), node=node(item)) for item in page.items]
    if keyset.backward:
        has_next, has_previous = keyset.before is not None, page.has_more
    else:
        has_next, has_previous = page.has_more, keyset.after is not None
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=has_next,
            has_previous_page=has_previous,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        count_fn=count,
    )


async def root_connection(
    info: Any,
    keyset: Keyset,
    kind: CursorKind,
    *,
    node: Callable[[Any], T],
    page: Callable[[DatabaseConnection], Awaitable[Page]],
    count: Callable[[DatabaseConnection], Awaitable[int]],
) -> Connection[T]:
    """A root field's connection: its page read now, its totalCount only if asked for."""
    database = info.context.database
    found = await database.read_retrying(page)

    async def total() -> int:
        return int(await database.read_retrying(count))

    return connection(found, keyset, node=node, cursor=kind.cursor, count=total)


async def count_of(pending: Awaitable[int | None]) -> int:
    """A totalCount from a loader that answers None for parents without rows."""
    return int(await pending or 0)
