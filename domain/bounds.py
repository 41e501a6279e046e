"""The most items each list of the API may hold, refused on write past them (pure).

A list that is not a connection comes back whole, so its bound is what the query cost model
(``gql/limits.py``) counts it at: a response then never holds more objects than its cost says.
"""

from __future__ import annotations

from domain.errors import ValidationFailed
from domain.metrics import MAX_SERIES_BUCKETS
from domain.plans import MAX_PLAN_STEPS

MAX_CONFIGS_PER_AGENT = 50
MAX_CAPABILITIES_PER_AGENT = 50
MAX_STEPS_PER_PLAN = MAX_PLAN_STEPS
# The plan's checkpoint, one per step that succeeds, and the runtime's own; a resume re-runs
# steps, which add theirs again (usecases/executions.py keeps room for them).
MAX_CHECKPOINTS_PER_EXECUTION = 200
MAX_POINTS_PER_SERIES = MAX_SERIES_BUCKETS
MAX_NODES_PER_CALL = 100


def require_room(count: int, bound: int, field: str, what: str) -> None:
    """``ValidationFailed`` on ``field`` when ``count`` items would pass ``bound``."""
    if count > bound:
        raise ValidationFailed(field, f"at most {bound} {what} (this would make {count})")
