"""What a write means by "now".

Use cases stamp product timestamps (an execution's ``completed_at``, a step's ``started_at``, a
state's ``last_activity_at``) with ``NOW`` rather than with a time of their own: the store writes
it as the database's ``now()``, the instant the transaction began. So every timestamp one
transaction writes is the same instant, whichever server process ran it, and it compares
exactly with what the database itself stamps and checks (defaults, approval expiry).
"""

from __future__ import annotations

from enum import Enum


class Clock(Enum):
    """Where a written timestamp comes from when it is not a value the caller holds."""

    DATABASE = "the database's clock"


NOW = Clock.DATABASE
"""The database's clock, at the start of the writing transaction."""
