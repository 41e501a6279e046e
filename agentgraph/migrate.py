"""Alembic, driven programmatically (the CLI's migrate/downgrade and `serve`'s first step)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncConnection

import migrations

MIGRATIONS_DIR = Path(migrations.__file__).parent


def alembic_config(url: str) -> Config:
    """An alembic Config for ``url`` without any ini file."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["url"] = url
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Upgrade to ``revision``. Blocking: call it from a thread when an event loop is running."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    """Downgrade to ``revision`` (``base`` removes everything)."""
    command.downgrade(alembic_config(url), revision)


def head_revision() -> str | None:
    return ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()


async def current_revision(conn: AsyncConnection) -> str | None:
    """The revision the connected database is at (None when never migrated)."""
    return await conn.run_sync(lambda sync: MigrationContext.configure(sync).get_current_revision())


async def upgrade_async(url: str, revision: str = "head") -> None:
    """``upgrade`` from inside a running event loop (alembic's env runs its own loop)."""
    await asyncio.to_thread(upgrade, url, revision)
