"""Is the browser there? Without /usr/bin/chromium the other browser tests are not collected
(see conftest.py) and this module says so in one line; under CI=true it fails instead."""

from __future__ import annotations

import os

import pytest
from playwright.async_api import Browser

from tests.web.conftest import CHROMIUM

if not CHROMIUM.exists():
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI must run the browser tests, but {CHROMIUM} is missing", pytrace=False)
    pytest.skip(
        f"browser tests skipped: no Chromium at {CHROMIUM} (apt-get install -y chromium)",
        allow_module_level=True,
    )

# The dashboard uses private class fields, <dialog>, :focus-visible and ResizeObserver.
OLDEST_MAJOR = 110


async def test_chromium_is_recent_enough_for_the_dashboard(browser: Browser) -> None:
    assert int(browser.version.split(".")[0]) >= OLDEST_MAJOR, browser.version
