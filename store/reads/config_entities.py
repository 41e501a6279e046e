"""Configs (masked for whoever may not read the agent's secrets) and capabilities."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from store.reads.entity import (
    Entity,
    columns,
)
from store.reads.scope import Scope
from store.reads.spelling import json_float


def _masked(scope: Scope, r: str) -> str:
    # Viewer.can_read_secrets_of: whoever may see the agent (its owner, a superuser, its token).
    return f"({r}.is_sensitive AND NOT {scope.sees_agents(f'{r}.agent_id', f'{r}.owner_id')})"


def _config_value(scope: Scope, r: str) -> str:
    return f"CASE WHEN {_masked(scope, r)} THEN NULL ELSE {r}.value END"


def _typed_value(scope: Scope, r: str) -> str:
    """domain.values.parse_config_value, in SQL (values were checked when they were written)."""
    value = f"{r}.value"
    return (
        f"CASE WHEN {_masked(scope, r)} THEN NULL "
        f"WHEN {r}.value_type = 'integer' THEN to_json({value}::numeric) "
        f"WHEN {r}.value_type = 'float' THEN {json_float(value)} "
        f"WHEN {r}.value_type = 'boolean' THEN to_json(lower({value}) IN ('true', '1')) "
        f"WHEN {r}.value_type = 'json' THEN {value}::json "
        f"ELSE to_json({value}) END"
    )


def agent_configs(scope: Scope, t: str, p: str, args: Mapping[str, Any]) -> list[str]:
    conditions = [f"{t}.agent_id = {p}.id"]
    if args.get("keys") is not None:
        conditions.append(f"{t}.key = ANY({scope.bind(list(args['keys']), 'text[]')})")
    return conditions


def agent_capabilities(scope: Scope, t: str, p: str, args: Mapping[str, Any]) -> list[str]:
    conditions = [f"{t}.agent_id = {p}.id"]
    if args.get("name") is not None:
        conditions.append(f"{t}.name = {scope.bind(args['name'], 'text')}")
    if args.get("enabled_only"):
        conditions.append(f"{t}.enabled")
    return conditions


ENTITIES: Mapping[str, Entity] = {
    "config": Entity(
        rows=(
            "SELECT {t}.*, {t}p.owner_id FROM agent_configs {t} "
            "JOIN agents {t}a ON {t}a.id = {t}.agent_id JOIN projects {t}p ON {t}p.id = {t}a.project_id"
        ),
        attributes={
            **columns(
                "id", "key", "value_type", "description", "is_sensitive", "created_at", "updated_at"
            ),
            "value": _config_value,
            "typed_value": _typed_value,
            "masked": _masked,
        },
    ),
    "capability": Entity(
        rows="SELECT {t}.* FROM agent_capabilities {t}",
        attributes=columns(
            "id",
            "name",
            "version",
            "enabled",
            "parameters",
            "description",
            "created_at",
            "updated_at",
        ),
    ),
}
