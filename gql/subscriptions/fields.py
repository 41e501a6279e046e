"""The Subscription type of the contract."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from domain.events import DURABLE_KINDS, EventKind
from gql.context import Info
from gql.permissions import AgentRuntime
from gql.subscriptions.scope import parse_cursor, resolve_scope
from gql.subscriptions.streams import agent_event_stream
from gql.types.event import AgentEvent

STATE_KINDS = (EventKind.STATUS_CHANGED, EventKind.STATE_UPDATED)
APPROVAL_KINDS = (EventKind.APPROVAL_REQUESTED, EventKind.APPROVAL_DECIDED)


@strawberry.type(
    description=(
        "Live events over WebSocket (graphql-transport-ws or graphql-ws) or as server-sent "
        "events (graphql-sse, POST /graphql/stream). Durable events carry a cursor; pass it as "
        "`after` (or Last-Event-ID) to resume without gap or duplicate."
    )
)
class Subscription:
    @strawberry.subscription(
        description=(
            "Status transitions and state updates. With after, replays every durable event after "
            "that cursor first."
        ),
        permission_classes=[AgentRuntime],
    )
    async def agent_state_changed(
        self,
        info: Info,
        agent_id: strawberry.ID | None = None,
        project_id: strawberry.ID | None = None,
        after: str | None = None,
    ) -> AsyncGenerator[AgentEvent, None]:
        cursor = parse_cursor(after)
        scope = await resolve_scope(
            info.context, agent_id=agent_id, project_id=project_id, kinds=STATE_KINDS
        )
        async for event in agent_event_stream(info.context, scope, cursor):
            yield event

    @strawberry.subscription(
        description="Heartbeats, live only (not kept); a slow client gets the latest per agent.",
        permission_classes=[AgentRuntime],
    )
    async def agent_heartbeat(
        self,
        info: Info,
        agent_id: strawberry.ID | None = None,
        project_id: strawberry.ID | None = None,
    ) -> AsyncGenerator[AgentEvent, None]:
        scope = await resolve_scope(
            info.context, agent_id=agent_id, project_id=project_id, kinds=(EventKind.HEARTBEAT,)
        )
        async for event in agent_event_stream(info.context, scope, None):
            yield event

    @strawberry.subscription(
        description="Approval requests and decisions. With after, replays from that cursor first.",
        permission_classes=[AgentRuntime],
    )
    async def approval_events(
        self,
        info: Info,
        project_id: strawberry.ID | None = None,
        agent_id: strawberry.ID | None = None,
        after: str | None = None,
    ) -> AsyncGenerator[AgentEvent, None]:
        cursor = parse_cursor(after)
        scope = await resolve_scope(
            info.context, agent_id=agent_id, project_id=project_id, kinds=APPROVAL_KINDS
        )
        async for event in agent_event_stream(info.context, scope, cursor):
            yield event

    @strawberry.subscription(
        description=(
            "Every event of the given kinds (default: all, heartbeats included). With after, "
            "replays durable events after that cursor first."
        ),
        permission_classes=[AgentRuntime],
    )
    async def agent_events(
        self,
        info: Info,
        project_id: strawberry.ID | None = None,
        agent_id: strawberry.ID | None = None,
        kinds: list[EventKind] | None = None,
        after: str | None = None,
    ) -> AsyncGenerator[AgentEvent, None]:
        cursor = parse_cursor(after)
        wanted = tuple(kinds) if kinds else (*DURABLE_KINDS, EventKind.HEARTBEAT)
        scope = await resolve_scope(
            info.context, agent_id=agent_id, project_id=project_id, kinds=wanted
        )
        async for event in agent_event_stream(info.context, scope, cursor):
            yield event
