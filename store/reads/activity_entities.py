"""What agents do and report: metric points, status transitions, executions (steps,
checkpoints, events) and approvals."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from store.reads.entity import (
    ID_KEY,
    Conditions,
    Entity,
    Key,
    Relation,
    child_of,
    columns,
    fixed,
)
from store.reads.scope import Scope
from store.reads.spelling import metric_uuid


def agent_metrics(scope: Scope, t: str, p: str, args: Mapping[str, Any]) -> list[str]:
    """store.metrics._filtered, in SQL text."""
    flt = args["filter"]
    conditions = [f"{t}.agent_id = {p}.id"]
    if flt.name is not None:
        conditions.append(f"{t}.name = {scope.bind(flt.name, 'text')}")
    if flt.since is not None:
        conditions.append(f"{t}.recorded_at >= {scope.bind(flt.since, 'timestamptz')}")
    if flt.until is not None:
        conditions.append(f"{t}.recorded_at <= {scope.bind(flt.until, 'timestamptz')}")
    if flt.tags_json is not None:
        conditions.append(f"{t}.tags @> {scope.bind(flt.tags_json, 'text')}::jsonb")
    return conditions


def with_status(column: str = "agent_id") -> Conditions:
    def conditions(scope: Scope, t: str, p: str, args: Mapping[str, Any]) -> list[str]:
        found = [f"{t}.{column} = {p}.id"]
        if args.get("status") is not None:
            found.append(f"{t}.status = {scope.bind(args['status'], 'text')}")
        return found

    return conditions


def agent_approvals(scope: Scope, t: str, p: str, args: Mapping[str, Any]) -> list[str]:
    """store.work.agent_approvals: a pending approval past its expiry counts as expired."""
    found = [f"{t}.agent_id = {p}.id"]
    status = args.get("status")
    if status == "pending":
        found.append(f"{t}.status = 'pending' AND {t}.expires_at > now()")
    elif status == "expired":
        found.append(
            f"({t}.status = 'expired' OR ({t}.status = 'pending' AND {t}.expires_at <= now()))"
        )
    elif status is not None:
        found.append(f"{t}.status = {scope.bind(status, 'text')}")
    return found


def _approval_status(scope: Scope, r: str) -> str:
    return (
        f"CASE WHEN {r}.status = 'pending' AND {r}.expires_at <= now() THEN 'expired' "
        f"ELSE {r}.status END"
    )


def _decider(scope: Scope, t: str, p: str, args: Mapping[str, Any]) -> list[str]:
    # Viewer.can_see_user(…, within_own_project=True): any person, never an agent runtime.
    return [f"{t}.id = {p}.decided_by", "FALSE" if scope.viewer.is_agent else "TRUE"]


ENTITIES: Mapping[str, Entity] = {
    "metric": Entity(
        rows="SELECT {t}.* FROM agent_metrics {t}",
        attributes={
            **columns("name", "value", "metric_type", "unit", "tags", "recorded_at"),
            "id": lambda scope, r: metric_uuid(f"{r}.id"),
        },
    ),
    "transition": Entity(
        rows="SELECT {t}.* FROM status_transitions {t}",
        attributes={
            **columns("id", "from_status", "to_status", "reason", "actor", "at"),
            "cursor": "{r}.seq::text",
        },
    ),
    "execution": Entity(
        rows="SELECT {t}.* FROM executions {t}",
        attributes=columns(
            "id",
            "description",
            "input",
            "status",
            "dry_run",
            "started_at",
            "completed_at",
            "result",
            "error",
            "recovery_strategy",
            "tokens_used",
            "cost",
        ),
        relations={
            "agent": Relation("agent", "one", child_of("id", "agent_id")),
            "steps": Relation(
                "step",
                "many",
                child_of("execution_id"),
                fixed(Key('{x}."index"', "int", "number"), descending=False),
            ),
            "checkpoints": Relation(
                "checkpoint",
                "many",
                child_of("execution_id"),
                fixed(Key("{x}.seq", "int", "number"), descending=False),
            ),
            "events": Relation(
                "execution_event",
                "page",
                child_of("execution_id"),
                fixed(Key("{x}.id", "bigint", "number"), descending=False),
            ),
        },
    ),
    "step": Entity(
        rows="SELECT {t}.* FROM execution_steps {t}",
        attributes={
            **columns(
                "id",
                "tool",
                "params",
                "rationale",
                "risk_level",
                "requires_approval",
                "safe",
                "risks",
                "mitigations",
                "status",
                "result",
                "error",
                "attempts",
                "started_at",
                "completed_at",
            ),
            "index": '{r}."index"',
        },
        relations={
            # The latest request of the step (a resumed execution may ask again).
            "approval": Relation(
                "approval",
                "one",
                child_of("step_id"),
                fixed(Key("{x}.requested_at", "timestamptz", "datetime"), ID_KEY, descending=True),
            ),
        },
    ),
    "checkpoint": Entity(
        rows="SELECT {t}.* FROM checkpoints {t}",
        attributes=columns("id", "name", "data", "created_at"),
    ),
    "execution_event": Entity(
        rows="SELECT {t}.* FROM execution_events {t}",
        attributes=columns("event_type", "data", "at"),
    ),
    "approval": Entity(
        rows="SELECT {t}.* FROM approvals {t}",
        attributes={
            **columns("id", "requested_at", "expires_at", "decided_at", "reason"),
            "status": _approval_status,
        },
        relations={
            "agent": Relation("agent", "one", child_of("id", "agent_id")),
            "execution": Relation("execution", "one", child_of("id", "execution_id")),
            "step": Relation("step", "one", child_of("id", "step_id")),
            "decided_by": Relation("user", "one", _decider),
        },
    ),
}
