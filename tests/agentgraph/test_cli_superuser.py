"""`agentgraph create-superuser`: one clear line on bad input, idempotent on good input."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from starlette.applications import Starlette

from tests.support import factories
from tests.support.api import GraphQLClient
from usecases.accounts import create_superuser

AGENTGRAPH = Path(sys.executable).with_name("agentgraph")
ME = "{ me { email isSuperuser } }"


async def _run(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url}
    return await asyncio.to_thread(
        subprocess.run,
        [str(AGENTGRAPH), "create-superuser", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _error_lines(stderr: str) -> list[str]:
    # Progress lines ("migrating …") come first; the failure is one line of its own.
    return [line for line in stderr.splitlines() if "migrat" not in line]


async def test_bad_input_fails_with_one_line(database_url: str) -> None:
    short = await _run(database_url, "--email", "ops@example.com", "--password", "short")
    assert short.returncode != 0
    assert _error_lines(short.stderr) == ["agentgraph: --password: must be at least 10 characters"]
    assert "Traceback" not in short.stderr and short.stdout == ""

    bad_email = await _run(database_url, "--email", "x", "--password", "long enough password")
    assert bad_email.returncode != 0
    assert _error_lines(bad_email.stderr) == [
        "agentgraph: --email: 'x' is not a valid email address"
    ]
    assert "long enough password" not in bad_email.stderr


async def test_creates_then_updates(database_url: str, api: GraphQLClient) -> None:
    first = await _run(database_url, "--email", "Ops@Example.com", "--password", "first password!")
    assert first.returncode == 0, first.stderr
    assert "created" in first.stderr.splitlines()[-1]
    assert "first password!" not in first.stderr + first.stdout

    second = await _run(database_url, "--email", "ops@example.com", "--password", "second password")
    assert second.returncode == 0, second.stderr
    assert "updated" in second.stderr.splitlines()[-1]

    session = await factories.login(api, "ops@example.com", "second password")
    assert (await api.ok(ME, token=session["token"]))["me"] == {
        "email": "ops@example.com",
        "isSuperuser": True,
    }
    old_password = {"input": {"email": "ops@example.com", "password": "first password!"}}
    assert (await api.error(factories.LOGIN, old_password)).code == "UNAUTHENTICATED"


async def test_promotes_an_existing_user(app: Starlette, api: GraphQLClient) -> None:
    # In process (the command is a thin wrapper over this use case; subprocesses are slow).
    user = await factories.register(api)
    created = await create_superuser(app.state.services.database, user["email"], "a new password")
    assert created is False
    # Flags are read from the database on every request: the old token is now a superuser's.
    assert (await api.ok(ME, token=user["token"]))["me"]["isSuperuser"] is True
