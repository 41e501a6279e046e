"""A selection tree becomes one SELECT whose columns are the JSON of each root field.

Objects are ``json_build_object``; lists are ordered ``json_agg`` over a correlated subquery;
a page reads ``limit + 1`` rows of its keyset ordering (the extra one tells whether more
follow), numbers them, and builds edges, cursors and page info from that one scan. Every value
a client sent is a bound parameter, so the text of a statement depends only on the shape of
the selection and on who reads: PostgreSQL and asyncpg prepare it once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from store.reads.entities import ENTITIES, Entity, Key, Relation
from store.reads.scope import Scope
from store.reads.spelling import cursor, global_id, isoformat, spelled
from store.reads.tree import (
    Constant,
    EdgeCursor,
    EdgeNode,
    Edges,
    GlobalId,
    Item,
    Many,
    One,
    Page,
    Paged,
    PageInfo,
    PageItem,
    PagePosition,
    Position,
    TotalCount,
    Value,
)

# json_build_object takes at most 100 arguments (PostgreSQL's FUNC_MAX_ARGS).
MAX_KEYS = 50


class NotCompilable(Exception):
    """The selection asks for something the compiled path does not build."""


def compile_roots(items: Sequence[Item], scope: Scope) -> str:
    """One statement: a column of JSON text (or NULL) per root item, in order."""
    root = ENTITIES["query"]
    return "SELECT " + ", ".join(f"{_value(item, root, '', scope)}::text" for item in items)


def _object(entity: Entity, items: Sequence[Item], r: str, scope: Scope) -> str:
    if len(items) > MAX_KEYS:
        raise NotCompilable(f"more than {MAX_KEYS} fields in one object")
    pairs = ", ".join(f"{_literal(item.key)}, {_value(item, entity, r, scope)}" for item in items)
    return f"json_build_object({pairs})"


def _value(item: Item, entity: Entity, r: str, scope: Scope) -> str:
    if isinstance(item, Value):
        return spelled(_attribute(entity, item.attribute, r, scope), item.format)
    if isinstance(item, Constant):
        return _literal(item.value)
    if isinstance(item, GlobalId):
        return global_id(item.type_name, _attribute(entity, "id", r, scope))
    relation = _relation(entity, item.relation)
    target = ENTITIES[relation.target]
    if isinstance(item, One):
        value = _one(relation, target, item, r, scope)
    elif isinstance(item, Many):
        value = _many(relation, target, item, r, scope)
    else:
        value = _paged(relation, target, item, r, scope)
    guard = relation.guard(scope, item.args)
    return value if guard is None else f"CASE WHEN {guard} THEN {value} END"


def _attribute(entity: Entity, name: str, r: str, scope: Scope) -> str:
    try:
        attribute = entity.attributes[name]
    except KeyError:
        raise NotCompilable(f"no attribute {name}") from None
    return attribute.format(r=r) if isinstance(attribute, str) else attribute(scope, r)


def _relation(entity: Entity, name: str) -> Relation:
    try:
        return entity.relations[name]
    except KeyError:
        raise NotCompilable(f"no relation {name}") from None


def _rows(relation: Relation, target: Entity, p: str, args: object, scope: Scope) -> str:
    """The target's rows for parent row ``p``: its row query with the relation's conditions."""
    t = scope.alias()
    conditions = relation.where(scope, t, p, args)  # type: ignore[arg-type]
    rows = (relation.rows or target.rows).format(t=t, p=p)
    return f"{rows} WHERE {' AND '.join(conditions)}" if conditions else rows


def _order(keys: Sequence[Key], over: str, *, descending: bool) -> str:
    direction = " DESC" if descending else ""
    return ", ".join(key.expr.format(x=over) + direction for key in keys)


def _one(relation: Relation, target: Entity, item: One, p: str, scope: Scope) -> str:
    r = scope.alias()
    rows = _rows(relation, target, p, item.args, scope)
    keys, descending = relation.keys(item.args)
    if keys:  # the first row of an ordering (the latest approval of a step)
        first = f"{r}first"
        order = _order(keys, first, descending=descending)
        rows = f"SELECT {first}.* FROM ({rows}) {first} ORDER BY {order} LIMIT 1"
    return f"(SELECT {_object(target, item.items, r, scope)} FROM ({rows}) {r})"


def _many(relation: Relation, target: Entity, item: Many, p: str, scope: Scope) -> str:
    r = scope.alias()
    rows = _rows(relation, target, p, item.args, scope)
    keys, descending = relation.keys(item.args)
    order = f" ORDER BY {_order(keys, r, descending=descending)}" if keys else ""
    agg = f"json_agg({_object(target, item.items, r, scope)}{order})"
    return f"(SELECT coalesce({agg}, '[]'::json) FROM ({rows}) {r})"


def _paged(relation: Relation, target: Entity, item: Paged, p: str, scope: Scope) -> str:
    keys, descending = relation.keys(item.args)
    page = item.page
    r, n = scope.alias(), scope.alias()
    rows = _rows(relation, target, p, item.args, scope)
    bounds = _bounds(keys, page, r, scope, descending=descending)
    scan = _order(keys, r, descending=descending != page.backward)
    # Whether more rows follow is only read when the page's position is asked for: then the
    # scan reads one row more, numbered, and the page leaves it out.
    probing = _asks_for_more(item)
    limited = (
        f"SELECT {r}.* FROM ({rows}) {r}{' WHERE ' + bounds if bounds else ''} "
        f"ORDER BY {scan} LIMIT {page.limit + 1 if probing else page.limit}"
    )
    if probing:
        limited = (
            f"SELECT {r}.*, row_number() OVER (ORDER BY {scan}) AS row_number_ FROM ({limited}) {r}"
        )
    shape = _Shape(
        item=item,
        keys=keys,
        n=n,
        # Items come out in the ordering the client asked for, whichever way the scan ran.
        order=_order(keys, n, descending=descending),
        reverse=_order(keys, n, descending=not descending),
        included=f" FILTER (WHERE {n}.row_number_ <= {page.limit})" if probing else "",
    )
    parts = ", ".join(
        f"{_literal(part.key)}, {_page_part(part, relation, target, shape, p, scope)}"
        for part in item.items
    )
    # HAVING makes it one group: one row even when the page is empty.
    return f"(SELECT json_build_object({parts}) FROM ({limited}) {n} HAVING TRUE)"


@dataclass(frozen=True)
class _Shape:
    """How one page's rows are read back: in which order, and which of them are on the page."""

    item: Paged
    keys: Sequence[Key]
    n: str
    order: str
    reverse: str
    included: str


def _asks_for_more(item: Paged) -> bool:
    wanted = Position.HAS_PREVIOUS if item.page.backward else Position.HAS_NEXT
    return any(
        isinstance(part, PageInfo)
        and any(isinstance(info, PagePosition) and info.position is wanted for info in part.items)
        for part in item.items
    )


def _bounds(keys: Sequence[Key], page: Page, r: str, scope: Scope, *, descending: bool) -> str:
    """store.keyset.apply_keyset's after/before conditions."""
    found = []
    row = "(" + ", ".join(key.expr.format(x=r) for key in keys) + ")"
    for values, above in ((page.after, not descending), (page.before, descending)):
        if values is None:
            continue
        if len(values) != len(keys):
            raise NotCompilable("a cursor of another ordering")
        bound = (
            "("
            + ", ".join(scope.bind(v, k.sql_type) for v, k in zip(values, keys, strict=True))
            + ")"
        )
        found.append(f"{row} {'>' if above else '<'} {bound}")
    return " AND ".join(found)


def _page_part(
    part: PageItem, relation: Relation, target: Entity, shape: _Shape, p: str, scope: Scope
) -> str:
    item = shape.item
    if isinstance(part, Constant):
        return _literal(part.value)
    if isinstance(part, TotalCount):
        rows = _rows(relation, target, p, item.args, scope)
        return f"(SELECT count(*) FROM ({rows}) {scope.alias()})"
    if isinstance(part, Edges):
        edge = _edge(part, target, item, shape.keys, shape.n, scope)
        return f"coalesce(json_agg({edge} ORDER BY {shape.order}){shape.included}, '[]'::json)"
    assert isinstance(part, PageInfo)
    pairs = ", ".join(f"{_literal(info.key)}, {_position(info, shape)}" for info in part.items)
    return f"json_build_object({pairs})"


def _position(info: PagePosition | Constant, shape: _Shape) -> str:
    if isinstance(info, Constant):
        return _literal(info.value)
    page = shape.item.page
    more = f"count(*) > {page.limit}"
    if info.position is Position.HAS_NEXT:
        return _bool(page.before is not None) if page.backward else more
    if info.position is Position.HAS_PREVIOUS:
        return more if page.backward else _bool(page.after is not None)
    order = shape.order if info.position is Position.START_CURSOR else shape.reverse
    value = _cursor(shape.item.tag, shape.keys, shape.n)
    return f"(array_agg({value} ORDER BY {order}){shape.included})[1]"


def _edge(
    part: Edges, target: Entity, item: Paged, keys: Sequence[Key], n: str, scope: Scope
) -> str:
    pairs = []
    for edge_item in part.items:
        if isinstance(edge_item, Constant):
            value = _literal(edge_item.value)
        elif isinstance(edge_item, EdgeCursor):
            value = _cursor(item.tag, keys, n)
        else:
            assert isinstance(edge_item, EdgeNode)
            value = _object(target, edge_item.items, n, scope)
        pairs.append(f"{_literal(edge_item.key)}, {value}")
    return f"json_build_object({', '.join(pairs)})"


def _cursor(tag: str, keys: Sequence[Key], r: str) -> str:
    values = []
    for key in keys:
        expr = (key.cursor_expr or key.expr).format(x=r).removesuffix(' COLLATE "C"')
        if key.cursor == "datetime":
            values.append((isoformat(expr), False))
        else:
            values.append((expr, key.cursor == "number"))
    return cursor(tag, values)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _bool(value: bool) -> str:
    return "TRUE" if value else "FALSE"
