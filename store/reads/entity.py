"""What the compiled read path reads, in general: an entity (its rows and attributes) and the
relations between entities, with the orderings, filters and visibility the store's other reads
use (store/agents.py, store/catalog.py, store/work.py, store/scopes.py). The entities
themselves are in the modules beside this one, by aggregate; ``store.reads.entities`` gathers
them.

Templates use ``{t}`` for the table inside a relation's row query and ``{r}`` for the row alias
its attributes are read from; ``{p}`` is the parent's row alias.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from store.reads.scope import Scope

Attribute = str | Callable[[Scope, str], str]
Conditions = Callable[[Scope, str, str, Mapping[str, Any]], list[str]]


@dataclass(frozen=True)
class Key:
    """One expression of a keyset ordering and how its value travels in a cursor."""

    expr: str  # over {x}: the table inside the row query, or the row alias outside it
    sql_type: str
    cursor: Literal["text", "number", "datetime"]
    # What the cursor carries, when it is not the key itself.
    cursor_expr: str | None = None


@dataclass(frozen=True)
class Relation:
    target: str
    kind: Literal["one", "many", "page"]
    where: Conditions
    # many: the list's order; page: the keyset ordering (unique tie-breaker last)
    keys: Callable[[Mapping[str, Any]], tuple[list[Key], bool]] = lambda args: ([], False)
    # The target's rows when the parent holds what they need (else the entity's own rows).
    rows: str | None = None
    # A condition the whole value depends on (else it is NULL): what a resolver checks first.
    guard: Callable[[Scope, Mapping[str, Any]], str | None] = lambda scope, args: None


@dataclass(frozen=True)
class Entity:
    rows: str  # SELECT … FROM … over {t}: the columns the attributes read
    attributes: Mapping[str, Attribute]
    relations: Mapping[str, Relation] = field(default_factory=dict)


def columns(*names: str) -> dict[str, Attribute]:
    return {name: f"{{r}}.{name}" for name in names}


def child_of(column: str, parent: str = "id") -> Conditions:
    return lambda scope, t, p, args: [f"{t}.{column} = {p}.{parent}"]


def fixed(*keys: Key, descending: bool) -> Callable[[Mapping[str, Any]], tuple[list[Key], bool]]:
    return lambda args: (list(keys), descending)


ID_KEY = Key("{x}.id", "uuid", "text")
