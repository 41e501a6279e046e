"""Without AGENTGRAPH_SECRET_KEY the server generates a key once, keeps it in the data
directory, and uses it again after a restart: tokens issued before the restart stay valid."""

from __future__ import annotations

import stat
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from agentgraph.bootstrap import create_app
from agentgraph.settings import Settings
from tests.support import factories
from tests.support.api import GraphQLClient

ME = "{ me { id email } }"


@asynccontextmanager
async def _server(data_dir: Path, database_url: str) -> AsyncIterator[GraphQLClient]:
    """One start of the app on ``data_dir``, with no secret key configured."""
    app = create_app(Settings(data_dir=data_dir, secret_key=None), database_url=database_url)
    try:
        async with GraphQLClient.for_app(app) as api:
            yield api
    finally:
        await app.state.services.database.dispose()


async def test_the_generated_key_is_kept_and_reused_across_restarts(
    database_url: str, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    async with _server(data_dir, database_url) as first:
        session = await factories.register(first)
        assert (await first.ok(ME, token=session["token"]))["me"]["email"] == session["email"]
    key_file = data_dir / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_text()

    async with _server(data_dir, database_url) as restarted:
        me = await restarted.ok(ME, token=session["token"])
        assert me["me"] == {"id": session["user_id"], "email": session["email"]}
    assert key_file.read_text() == key

    # A server with a data directory of its own has a key of its own: the token means nothing.
    async with _server(tmp_path / "elsewhere", database_url) as other:
        assert (await other.execute(ME, token=session["token"])).code == "UNAUTHENTICATED"
