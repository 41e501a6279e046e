"""What one request tells its log record: its id, the operation it ran, the kind of caller and
the error codes it answered. The request-logging middleware (agentgraph/request_logs.py) opens
one per HTTP request or WebSocket connection; the GraphQL layer fills it in as it learns.

A context variable carries it, so every log line written while the request runs (in any layer)
can name the request (agentgraph/logs.py adds ``request_id`` to each record).
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field

from domain.access import Viewer


@dataclass(slots=True)
class RequestLog:
    request_id: str
    operation: str | None = None
    caller: str | None = None
    error_codes: list[str] = field(default_factory=list)


CURRENT: ContextVar[RequestLog | None] = ContextVar("agentgraph_request_log", default=None)


def caller_kind(viewer: Viewer) -> str:
    """anonymous, user, superuser or agent (a runtime holding an agent token)."""
    if viewer.is_agent:
        return "agent"
    if viewer.is_user:
        return "superuser" if viewer.is_superuser else "user"
    return "anonymous"


def note_caller(viewer: Viewer) -> None:
    """The request's caller is ``viewer``."""
    entry = CURRENT.get()
    if entry is not None:
        entry.caller = caller_kind(viewer)


def note_operation(name: str | None, codes: list[str]) -> None:
    """The request ran the operation ``name`` and answered errors with ``codes``."""
    entry = CURRENT.get()
    if entry is not None:
        entry.operation = name
        entry.error_codes.extend(codes)
