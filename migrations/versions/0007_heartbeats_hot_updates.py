"""Heartbeats as HOT updates: no index on ``agents.last_heartbeat_at``.

A heartbeat rewrites ``agents.last_heartbeat_at`` and nothing else of the row; while a column
of an index changes, PostgreSQL writes a new entry into every index of the table for each beat
(five indexes, each with its WAL). Without that index the update is heap-only (HOT): the new
row version stays on its page and no index is touched. ``fillfactor`` 90 leaves room on each
page for the next version of its rows (rows written from now on; a table rewrite applies it to
the old ones).

Nothing needs the index: the sweeper's overdue query (store/sweeps.py) reads the whole table
every few seconds (a sequential scan: about 1 ms for 10,000 agents with none overdue, against
0.01 ms through the index; locking the overdue rows costs the same either way), and the agent
lists filter and sort by heartbeat within a project, through the project's index.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_agents_last_heartbeat_at", table_name="agents")
    op.execute("ALTER TABLE agents SET (fillfactor = 90)")


def downgrade() -> None:
    op.execute("ALTER TABLE agents RESET (fillfactor)")
    op.create_index("ix_agents_last_heartbeat_at", "agents", ["last_heartbeat_at"], unique=False)
