"""Rate limiting: each caller's points spent in the current window, shared by every process.

UNLOGGED: no WAL for a counter that is rewritten many times a minute; after a crash the table
is empty, which only gives every caller a fresh window.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "caller_budgets",
        sa.Column("caller", sa.Text(), nullable=False),
        sa.Column("window_start", sa.BigInteger(), nullable=False),
        sa.Column("spent", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("caller", name=op.f("pk_caller_budgets")),
        prefixes=["UNLOGGED"],
    )


def downgrade() -> None:
    op.drop_table("caller_budgets")
