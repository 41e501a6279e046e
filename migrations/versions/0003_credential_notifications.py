"""Credentials that end announce it: pg_notify on the credentials channel, from triggers.

A socket's viewer was settled at connection_init; these notifications let every server process
end the sockets (and forget the cached viewers) of a credential the moment it ends, however it
ended — through the API, an admin's SQL, or a cascade. Each names what changed:
``{"user": id}`` (is_active or is_superuser changed, or the user was deleted),
``{"agentToken": id}`` (revoked or deleted), ``{"agent": id}`` (terminated or deleted).
NOTIFY is delivered on commit only, so a rolled-back change announces nothing. Row triggers
with WHEN clauses: a heartbeat's UPDATE of agents names no status column and fires nothing.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# store/credentials.py listens on this channel.
NOTIFY_FUNCTION = """
CREATE FUNCTION notify_credentials_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('agentgraph_credentials', json_build_object(TG_ARGV[0], OLD.id)::text);
    RETURN NULL;
END
$$
"""

TRIGGERS = {
    "users_credentials_changed": (
        "AFTER UPDATE OF is_active, is_superuser ON users FOR EACH ROW WHEN "
        "(OLD.is_active IS DISTINCT FROM NEW.is_active "
        "OR OLD.is_superuser IS DISTINCT FROM NEW.is_superuser)",
        "user",
    ),
    "users_credentials_deleted": ("AFTER DELETE ON users FOR EACH ROW", "user"),
    "agent_tokens_revoked": (
        "AFTER UPDATE OF revoked_at ON agent_tokens FOR EACH ROW WHEN "
        "(OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL)",
        "agentToken",
    ),
    "agent_tokens_deleted": ("AFTER DELETE ON agent_tokens FOR EACH ROW", "agentToken"),
    "agents_terminated": (
        "AFTER UPDATE OF status ON agents FOR EACH ROW WHEN "
        "(NEW.status = 'terminated' AND OLD.status IS DISTINCT FROM NEW.status)",
        "agent",
    ),
    "agents_deleted": ("AFTER DELETE ON agents FOR EACH ROW", "agent"),
}


def upgrade() -> None:
    op.execute(NOTIFY_FUNCTION)
    for name, (when, kind) in TRIGGERS.items():
        op.execute(
            f"CREATE TRIGGER {name} {when} EXECUTE FUNCTION notify_credentials_changed('{kind}')"
        )


def downgrade() -> None:
    for name, (when, _) in TRIGGERS.items():
        table = when.split(" ON ")[1].split()[0]
        op.execute(f"DROP TRIGGER {name} ON {table}")
    op.execute("DROP FUNCTION notify_credentials_changed()")
