"""The peer: PostGraphile v5 serving the bench database, started with `../shared/peers/postgraphile
URL PORT` (relative to the repository; the script installs Node 22, PostGraphile and autocannon
into ~/.cache/agentgraph-peers on first use)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import asyncpg
import httpx

from bench.load import peers_home
from bench.servers import REPO, ServerProcess, free_port, spawn, wait_ready

PEER = Path("shared") / "peers" / "postgraphile"


def peer_script() -> Path:
    """`../shared/peers/postgraphile` beside the repository or, from a linked git worktree,
    beside its main checkout (the first that exists; else the first)."""
    candidates = [REPO.parent / PEER]
    common = subprocess.run(
        ["git", "rev-parse", "--path-format=absolute", "--git-common-dir"],
        cwd=REPO,
        capture_output=True,
        text=True,
    ).stdout.strip()
    if common:
        candidates.append(Path(common).parent.parent / PEER)
    return next((path for path in candidates if path.exists()), candidates[0])


def peer_unavailable() -> str | None:
    """Why the peer cannot run here, or None when it can."""
    script = peer_script()
    if not script.exists():
        return f"{script} is missing (the shared/ directory beside the repository)"
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if missing:
        return f"{' and '.join(missing)} not found"
    return None


# Relations PostgreSQL enforces with triggers, not a constraint PostGraphile could read
# (migration 0006: a metric point's agent is checked once per statement), told to it with its
# `@foreignKey` smart tag, so it offers the same relation as before.
TRIGGER_ENFORCED = {"agent_metrics": "@foreignKey (agent_id) references agents (id)"}


async def describe_trigger_relations(dsn: str) -> None:
    """Smart tags for ``TRIGGER_ENFORCED`` on the bench database (migrated, before the peer
    reads its schema)."""
    conn = await asyncpg.connect(dsn)
    try:
        for table, tag in TRIGGER_ENFORCED.items():
            await conn.execute(f"COMMENT ON TABLE {table} IS '{tag}'")
    finally:
        await conn.close()


def spawn_postgraphile(dsn: str, workdir: Path) -> ServerProcess:
    """PostGraphile on ``dsn`` (a postgresql:// URL; the Unix socket as ?host=), starting; wait
    for it with ``postgraphile_ready``. It reads the schema as it starts, so the database must
    be migrated, but need not hold the fleet yet."""
    port = free_port()
    return spawn(
        "postgraphile",
        [str(peer_script()), dsn, str(port)],
        {},
        workdir / "postgraphile.log",
        f"http://127.0.0.1:{port}/graphql",
    )


async def postgraphile_ready(server: ServerProcess) -> None:
    """Wait until PostGraphile answers; its first run installs it, which can take minutes."""

    async def ready(http: httpx.AsyncClient) -> bool:
        response = await http.post(server.url, json={"query": "{ __typename }"})
        return response.status_code == 200 and "data" in response.json()

    await wait_ready(server, ready, timeout_s=600)


def postgraphile_version() -> str | None:
    """The installed PostGraphile's version, for the record."""
    package = peers_home() / "pgl" / "node_modules" / "postgraphile" / "package.json"
    if not package.exists():
        return None
    version: str = json.loads(package.read_text())["version"]
    return version
