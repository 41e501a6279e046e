"""Every entity the compiled read path reads, by name (``store.reads.entity`` says what one is)."""

from __future__ import annotations

from collections.abc import Mapping

from store.reads import (
    activity_entities,
    agent_entities,
    catalog_entities,
    config_entities,
    project_entities,
    root_entities,
)
from store.reads.entity import Entity, Key, Relation

__all__ = ["ENTITIES", "Entity", "Key", "Relation"]

ENTITIES: Mapping[str, Entity] = {
    **root_entities.ENTITIES,
    **catalog_entities.ENTITIES,
    **project_entities.ENTITIES,
    **agent_entities.ENTITIES,
    **config_entities.ENTITIES,
    **activity_entities.ENTITIES,
}
