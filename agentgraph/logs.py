"""Logging for the server: JSON lines or text (AGENTGRAPH_LOG_FORMAT; text by default in
development, JSON in production), each record naming the request it belongs to, and no
sensitive configuration value in any line (each is replaced with ``[redacted]``)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from typing import IO, Any

from pythonjsonlogger.json import JsonFormatter
from sqlalchemy.engine import make_url

from agentgraph.console import OUR_HANDLER
from agentgraph.settings import Settings
from gql.request_log import CURRENT

REDACTED = "[redacted]"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
JSON_FIELDS = "%(levelname)s %(name)s %(message)s"


class RequestContext(logging.Filter):
    """Adds the current request's id (or "-" outside a request) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.__dict__.pop("color_message", None)  # uvicorn's copy of the message, with ANSI
        if not hasattr(record, "request_id"):
            entry = CURRENT.get()
            record.request_id = entry.request_id if entry is not None else "-"
        return True


class Redactor:
    """The sensitive values of the configuration, to be kept out of every line."""

    def __init__(self, values: Iterable[str | None] = ()) -> None:
        self.values: set[str] = set()
        for value in values:
            self.add(value)

    def add(self, value: str | None) -> None:
        # Short values would redact ordinary words; no secret worth the name is that short.
        if value and len(value) >= 6:
            self.values.add(value)

    def redact(self, line: str) -> str:
        for value in self.values:
            if value in line:
                line = line.replace(value, REDACTED)
        return line


class _RedactingJson(JsonFormatter):
    def __init__(self, redactor: Redactor) -> None:
        super().__init__(
            JSON_FIELDS,
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp="time",  # ISO 8601, UTC
            json_ensure_ascii=False,
        )
        self.redactor = redactor

    def format(self, record: logging.LogRecord) -> str:
        return self.redactor.redact(super().format(record))


class _RedactingText(logging.Formatter):
    def __init__(self, redactor: Redactor) -> None:
        super().__init__(TEXT_FORMAT)
        self.redactor = redactor

    def format(self, record: logging.LogRecord) -> str:
        return self.redactor.redact(super().format(record))


def sensitive_values(settings: Settings) -> list[str | None]:
    """The secret key, the metrics token and the passwords in the database and Redis URLs."""
    values: list[str | None] = [settings.secret_key, settings.metrics_token]
    for url in (settings.database_url, settings.broadcast_url):
        values.append(url_password(url))
    return values


def url_password(url: str | None) -> str | None:
    if not url:
        return None
    try:
        return make_url(url).password  # type: ignore[return-value]
    except Exception:
        return None


def log_format(settings: Settings) -> str:
    return settings.log_format or ("json" if settings.is_production else "text")


def handler(settings: Settings, redactor: Redactor, stream: IO[str] | None = None) -> Any:
    """A handler writing the settings' format to ``stream`` (stderr), redacting ``redactor``'s
    values and naming each record's request."""
    out = logging.StreamHandler(stream or sys.stderr)
    json = log_format(settings) == "json"
    out.setFormatter(_RedactingJson(redactor) if json else _RedactingText(redactor))
    out.addFilter(RequestContext())
    setattr(out, OUR_HANDLER, True)
    return out


def configure_logging(settings: Settings) -> Redactor:
    """The root logger (uvicorn's included) writes through ``handler``; returns the redactor,
    to which values resolved later (a generated secret key) are added."""
    redactor = Redactor(sensitive_values(settings))
    root = logging.getLogger()
    root.handlers = [handler(settings, redactor)]
    root.setLevel(settings.log_level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
    return redactor
