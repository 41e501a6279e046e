"""How the command line talks to its user: one-line failures and progress lines on stderr."""

from __future__ import annotations

import sys


class CommandError(Exception):
    """A failure to report as one line."""


def say(message: str) -> None:
    """Progress output for long steps (stderr, so stdout stays clean for export-schema)."""
    print(f"agentgraph: {message}", file=sys.stderr, flush=True)
