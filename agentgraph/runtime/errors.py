"""Typed errors of the agent runtime, mapped once from the server's ``extensions.code``.

Every error the API can answer has a class here, so an agent catches what it can handle
(``InvalidTransition``, ``Conflict``) and lets the rest stop it. ``Unauthenticated`` means the
agent token is no longer valid (revoked, or never was): nothing the runtime does can fix that,
so every part of the SDK stops on it instead of retrying.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agentgraph.runtime.control import StatusChange


class AgentgraphError(Exception):
    """Base of every error the runtime raises; ``code`` is the server's ``extensions.code``."""

    code: str | None = None

    def __init__(self, message: str, extensions: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.extensions: dict[str, Any] = dict(extensions or {})

    @property
    def transient(self) -> bool:
        """True when the same call may succeed later without anything changing on our side."""
        return False


class Unauthenticated(AgentgraphError):
    """The agent token was refused: revoked, or not a valid token. The agent must stop."""

    code = "UNAUTHENTICATED"


class Forbidden(AgentgraphError):
    code = "FORBIDDEN"


class NotFound(AgentgraphError):
    code = "NOT_FOUND"


class ValidationError(AgentgraphError):
    """Bad input; ``field`` names it (``input.index``, ``steps[2].riskLevel``)."""

    code = "VALIDATION_ERROR"

    @property
    def field(self) -> str | None:
        value = self.extensions.get("field")
        return str(value) if value is not None else None


class InvalidTransition(AgentgraphError):
    """The agent's lifecycle does not allow the move from where it is now."""

    code = "INVALID_TRANSITION"

    @property
    def current_status(self) -> str | None:
        value = self.extensions.get("currentStatus")
        return str(value) if value is not None else None

    @property
    def allowed_moves(self) -> list[str]:
        return [str(move) for move in self.extensions.get("allowedMoves") or []]


class Conflict(AgentgraphError):
    """The object is not in a state that allows this (decided approval, finished execution…)."""

    code = "CONFLICT"


class RateLimited(AgentgraphError):
    """Too many requests, or a subscription fell behind (``cursor`` says where to resume)."""

    code = "RATE_LIMITED"

    @property
    def retry_after(self) -> float | None:
        value = self.extensions.get("retryAfterSeconds")
        return float(value) if value is not None else None

    @property
    def cursor(self) -> str | None:
        value = self.extensions.get("cursor")
        return str(value) if value is not None else None

    @property
    def transient(self) -> bool:
        return True


class QueryTooComplex(AgentgraphError):
    code = "QUERY_TOO_COMPLEX"


class ServerError(AgentgraphError):
    """INTERNAL (the server failed), TIMEOUT or UNAVAILABLE (its database was slow or away,
    ``extensions.retryable``): it wrote nothing. Any code this SDK does not know lands here."""

    code = "INTERNAL"

    @property
    def transient(self) -> bool:
        return True


class ServerUnavailable(AgentgraphError):
    """The server could not be reached, or the answer was lost on the way.

    ``maybe_applied`` is True when the request was sent but no answer came back: a mutation may
    or may not have been applied, and the caller has to look before trying it again.
    """

    def __init__(self, message: str, *, maybe_applied: bool = False) -> None:
        super().__init__(message)
        self.maybe_applied = maybe_applied

    @property
    def transient(self) -> bool:
        return True


class ProtocolError(AgentgraphError):
    """The server answered something this SDK does not understand (a version mismatch)."""


_CODED: tuple[type[AgentgraphError], ...] = (
    Unauthenticated,
    Forbidden,
    NotFound,
    ValidationError,
    InvalidTransition,
    Conflict,
    RateLimited,
    QueryTooComplex,
    ServerError,
)
_BY_CODE = {cls.code: cls for cls in _CODED if cls.code is not None}


class Terminated(Unauthenticated):
    """An operator terminated the agent: it must stop (its open execution was cancelled), and a
    new token would not help. Raised when the runtime sees the move on its subscription, or when
    the server refuses the token because its agent is TERMINATED."""

    def __init__(
        self,
        change: StatusChange | None = None,
        message: str | None = None,
        extensions: Mapping[str, Any] | None = None,
    ) -> None:
        if message is None:
            why = f": {change.reason}" if change and change.reason else ""
            who = f" by {change.actor}" if change and change.actor else ""
            message = f"The agent was terminated{who}{why}."
        super().__init__(message, extensions)
        self.change = change


# How the server words a refusal of a terminated agent's token (in a 4403 close's reason).
_TERMINATED = "agent is TERMINATED"


def error_from_graphql(error: Mapping[str, Any]) -> AgentgraphError:
    """The typed exception for one entry of a GraphQL response's ``errors``."""
    extensions = dict(error.get("extensions") or {})
    message = str(error.get("message") or "unknown error")
    if (
        extensions.get("code") == "UNAUTHENTICATED"
        and extensions.get("agentStatus") == "TERMINATED"
    ):
        return Terminated(message=message, extensions=extensions)
    cls = _BY_CODE.get(str(extensions.get("code")), ServerError)
    return cls(message, extensions)


def first_error(errors: list[Mapping[str, Any]]) -> AgentgraphError:
    """The error to raise for a response with several: a refused token wins over the rest."""
    typed = [error_from_graphql(e) for e in errors]
    for error in typed:
        if isinstance(error, Unauthenticated):
            return error
    return typed[0]


# WebSocket close codes of graphql-transport-ws that are not worth reconnecting for.
CLOSE_FORBIDDEN = 4403  # connection_init refused, or (later) the credential ended
_PROTOCOL_CLOSES = {4400, 4401, 4406, 4409, 4429, 4500}


def error_from_close(code: int | None, reason: str) -> AgentgraphError | None:
    """What a closed subscription socket means: None when reconnecting may help."""
    if code == CLOSE_FORBIDDEN:
        # The reason is the server's own words, as an HTTP request would have been told.
        message = reason or "The server refused the agent token (close 4403)."
        if _TERMINATED in reason:
            extensions = {"agentStatus": "TERMINATED", "closeCode": code}
            return Terminated(message=message, extensions=extensions)
        return Unauthenticated(message, {"closeCode": code})
    if code in _PROTOCOL_CLOSES:
        return ProtocolError(f"The server closed the subscription socket ({code} {reason}).")
    return None
