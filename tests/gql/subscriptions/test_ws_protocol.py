"""The WebSocket protocols as a client lives them: connection_init deadline."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed

from agentgraph.bootstrap import create_app
from agentgraph.settings import Settings
from tests.support.servers import serving
from tests.support.ws import PROTOCOLS, WSClient


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_connection_without_connection_init_is_closed_with_4408(
    settings: Settings, database_url: str, tmp_path: Path, protocol: str
) -> None:
    quick = settings.model_copy(update={"ws_init_timeout_s": 0.5, "data_dir": tmp_path})
    app = create_app(quick, database_url=database_url)
    async with serving(app) as url:
        client = await WSClient.open(url, protocol, init=False)
        opened = time.monotonic()
        with pytest.raises(ConnectionClosed) as closed:
            await client.receive(timeout=5)
        waited = time.monotonic() - opened
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 4408
        assert closed.value.rcvd.reason == "Connection initialisation timeout"
        assert 0.4 < waited < 3
