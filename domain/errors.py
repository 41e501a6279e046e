"""Typed domain errors. The GraphQL surface maps each one, once, to an ``extensions.code``."""

from __future__ import annotations

from collections.abc import Sequence


class DomainError(Exception):
    """Base of every error a client may see; ``code`` is its ``extensions.code``."""

    code = "INTERNAL"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def extensions(self) -> dict[str, object]:
        """Extra, client-safe details carried next to ``code``."""
        return {}


class Unauthenticated(DomainError):
    code = "UNAUTHENTICATED"

    def __init__(
        self, message: str = "Authentication required: send a valid Bearer token."
    ) -> None:
        super().__init__(message)


class AgentTerminated(Unauthenticated):
    """An agent token whose agent was terminated: it authenticates nothing any more, and says
    why, so the runtime holding it knows to stop rather than to ask for a new token."""

    def __init__(self) -> None:
        super().__init__("This agent is TERMINATED: its tokens no longer work.")

    def extensions(self) -> dict[str, object]:
        return {"agentStatus": "TERMINATED"}


class Forbidden(DomainError):
    code = "FORBIDDEN"

    def __init__(self, message: str = "You are not allowed to do this.") -> None:
        super().__init__(message)


class NotFound(DomainError):
    code = "NOT_FOUND"

    def __init__(self, what: str, ident: object | None = None) -> None:
        suffix = f" {ident}" if ident is not None else ""
        super().__init__(f"{what}{suffix} not found.")
        self.what = what


class ValidationFailed(DomainError):
    """Bad input. ``field`` names the offending argument or input field (dotted path)."""

    code = "VALIDATION_ERROR"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.reason = message

    def extensions(self) -> dict[str, object]:
        return {"field": self.field}

    def within(self, prefix: str) -> ValidationFailed:
        """The same error with its field nested under ``prefix`` (``input`` → ``input.name``)."""
        return ValidationFailed(f"{prefix}.{self.field}" if prefix else self.field, self.reason)


class InvalidTransition(DomainError):
    code = "INVALID_TRANSITION"

    def __init__(self, current: str, attempted: str, allowed: Sequence[str]) -> None:
        allowed_text = ", ".join(allowed) if allowed else "none (the status is final)"
        super().__init__(
            f"Cannot {attempted} an agent that is {current}. Allowed from {current}: {allowed_text}."
        )
        self.current = current
        self.attempted = attempted
        self.allowed = list(allowed)

    def extensions(self) -> dict[str, object]:
        return {"currentStatus": self.current, "allowedMoves": self.allowed}


class Conflict(DomainError):
    code = "CONFLICT"

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.details = details

    def extensions(self) -> dict[str, object]:
        return dict(self.details)


class RateLimited(DomainError):
    code = "RATE_LIMITED"

    def __init__(self, message: str, retry_after_s: float | None = None, **details: object) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
        self.details = details

    def extensions(self) -> dict[str, object]:
        ext: dict[str, object] = dict(self.details)
        if self.retry_after_s is not None:
            ext["retryAfterSeconds"] = round(self.retry_after_s, 1)
        return ext


class QueryTooComplex(DomainError):
    code = "QUERY_TOO_COMPLEX"


class Unavailable(DomainError):
    """A dependency (the database) is unreachable right now; retrying later may succeed."""

    code = "UNAVAILABLE"

    def __init__(
        self, message: str = "The database is unavailable right now; retry shortly."
    ) -> None:
        super().__init__(message)

    def extensions(self) -> dict[str, object]:
        return {"retryable": True}


class Timeout(DomainError):
    """A statement ran past the statement timeout and was cancelled: nothing was written, and
    the same request may succeed when the database is less busy."""

    code = "TIMEOUT"

    def __init__(
        self, message: str = "The database took too long to answer; nothing was written."
    ) -> None:
        super().__init__(message)

    def extensions(self) -> dict[str, object]:
        return {"retryable": True}
