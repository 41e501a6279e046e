"""What every input shares: telling a field the client left out from one it set to null."""

from __future__ import annotations

from typing import Any

import strawberry

SLUG_DESCRIPTION = (
    "Unique key: 2-63 lowercase letters, digits and dashes, not starting with a dash."
)


def given(value: Any) -> Any:
    """``value``, or None when the client left the field out."""
    return None if value is strawberry.UNSET else value
