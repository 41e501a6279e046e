"""What a test needs from outside the repository (a Redis, the shared API contract).

Locally, a missing dependency skips the test with one line saying what is missing. Under
CI=true it fails the test instead: CI provides everything (.ci/run starts Redis), so a skip
there would only hide that a promise went unchecked.
"""

from __future__ import annotations

import os

import pytest


def under_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def require(available: bool, missing: str) -> None:
    """Go on if ``available``; otherwise skip (fail under CI=true), saying what is ``missing``."""
    if available:
        return
    if under_ci():
        pytest.fail(f"{missing} (CI=true: a missing dependency fails the run)", pytrace=False)
    pytest.skip(f"{missing} (set CI=true to make this a failure)")
