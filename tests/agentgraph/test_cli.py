"""The CLI: one clear line and a non-zero exit for bad input, never a traceback."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from gql.schema import export_sdl

AGENTGRAPH = Path(sys.executable).with_name("agentgraph")


async def _run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(
        subprocess.run,
        [str(AGENTGRAPH), *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_unknown_command_is_one_line() -> None:
    result = await _run("frobnicate")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "frobnicate" in result.stderr and "Traceback" not in result.stderr


async def test_an_unreachable_database_is_one_line() -> None:
    result = await _run("migrate", DATABASE_URL="postgresql://nobody@127.0.0.1:1/nowhere")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("agentgraph: cannot reach the database at postgresql")
    bad_scheme = await _run("migrate", DATABASE_URL="mysql://localhost/x")
    assert bad_scheme.returncode == 1
    assert len(bad_scheme.stderr.strip().splitlines()) == 1, bad_scheme.stderr


async def test_bad_credentials_fail_before_any_database_work() -> None:
    result = await _run(
        "create-superuser",
        "--email",
        "x",
        "--password",
        "long enough",
        DATABASE_URL="postgresql://nobody@127.0.0.1:1/nowhere",
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "agentgraph: --email: 'x' is not a valid email address"
    ]


async def test_export_schema_prints_the_committed_schema() -> None:
    result = await _run("export-schema")
    assert result.returncode == 0
    assert result.stdout == export_sdl()


async def test_migrate_and_downgrade_through_the_cli(database_url: str) -> None:
    name = f"agentgraph_cli_{uuid.uuid4().hex[:8]}"
    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    admin = await asyncpg.connect(dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = make_url(database_url).set(database=name).render_as_string(hide_password=False)
    try:
        up = await _run("migrate", DATABASE_URL=url)
        assert up.returncode == 0, up.stderr
        assert "migrations done" in up.stderr
        down = await _run("downgrade", "base", DATABASE_URL=url)
        assert down.returncode == 0, down.stderr
        again = await _run("migrate", "--revision", "head", DATABASE_URL=url)
        assert again.returncode == 0, again.stderr
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
