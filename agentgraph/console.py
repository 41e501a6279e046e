"""How the command line talks to its user: one-line failures and progress lines on stderr."""

from __future__ import annotations

import logging
import sys

# Set by agentgraph/logs.py on the handler it installs: progress lines then go through it.
OUR_HANDLER = "agentgraph_handler"
logger = logging.getLogger("agentgraph.cli")


class CommandError(Exception):
    """A failure to report as one line."""


def say(message: str) -> None:
    """Progress output for long steps (stderr, so stdout stays clean for export-schema); a
    log record once `serve` set up logging (JSON lines stay JSON lines)."""
    if any(getattr(h, OUR_HANDLER, False) for h in logging.getLogger().handlers):
        logger.info(message)
        return
    print(f"agentgraph: {message}", file=sys.stderr, flush=True)
