"""Metric points' agents checked once per statement, not once per row.

The foreign key from ``agent_metrics.agent_id`` to ``agents`` ran its check (a lookup and a
KEY SHARE lock of the agent) for every point: a third of a 1,000-point batch insert's time,
for one agent. Triggers with transition tables keep what it meant, per statement:

- an insert or an update of ``agent_id`` fails, with the foreign key's SQLSTATE (23503) and
  name, when any agent it names is missing; the agents it names are locked KEY SHARE, as the
  foreign key locked them, so a concurrent delete of one waits for the insert to commit (and
  then deletes its points) or wins (and the insert fails);
- deleting agents (directly or by a cascade from their project) deletes their points in the
  same statement, as ON DELETE CASCADE did; truncating ``agents`` empties the points.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FOREIGN_KEY = "fk_agent_metrics_agent_id_agents"

CHECK_FUNCTION = f"""
CREATE FUNCTION agent_metrics_check_agents() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    missing uuid;
BEGIN
    SELECT named.agent_id INTO missing
      FROM (SELECT DISTINCT agent_id FROM written_points) AS named
     WHERE NOT EXISTS (
           SELECT FROM agents AS a WHERE a.id = named.agent_id FOR KEY SHARE OF a)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'insert or update on table "agent_metrics" violates foreign key '
                        'constraint "{FOREIGN_KEY}"'
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = '{FOREIGN_KEY}',
                  TABLE = 'agent_metrics',
                  DETAIL = format('Key (agent_id)=(%s) is not present in table "agents".',
                                  missing);
    END IF;
    RETURN NULL;
END
$$
"""

CASCADE_FUNCTION = """
CREATE FUNCTION agents_delete_metric_points() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM agent_metrics WHERE agent_id IN (SELECT id FROM deleted_agents);
    RETURN NULL;
END
$$
"""

TRUNCATE_FUNCTION = """
CREATE FUNCTION agents_truncate_metric_points() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- Not TRUNCATE: the statement that fired this may be truncating agent_metrics itself.
    DELETE FROM agent_metrics;
    RETURN NULL;
END
$$
"""

TRIGGERS = {
    "agent_metrics_agents_inserted": (
        "agent_metrics",
        "AFTER INSERT ON agent_metrics REFERENCING NEW TABLE AS written_points "
        "FOR EACH STATEMENT EXECUTE FUNCTION agent_metrics_check_agents()",
    ),
    "agent_metrics_agents_updated": (
        "agent_metrics",
        "AFTER UPDATE ON agent_metrics REFERENCING NEW TABLE AS written_points "
        "FOR EACH STATEMENT EXECUTE FUNCTION agent_metrics_check_agents()",
    ),
    "agents_metric_points_deleted": (
        "agents",
        "AFTER DELETE ON agents REFERENCING OLD TABLE AS deleted_agents "
        "FOR EACH STATEMENT EXECUTE FUNCTION agents_delete_metric_points()",
    ),
    "agents_metric_points_truncated": (
        "agents",
        "AFTER TRUNCATE ON agents FOR EACH STATEMENT EXECUTE FUNCTION "
        "agents_truncate_metric_points()",
    ),
}

FUNCTIONS = (
    "agent_metrics_check_agents",
    "agents_delete_metric_points",
    "agents_truncate_metric_points",
)


def upgrade() -> None:
    op.drop_constraint(FOREIGN_KEY, "agent_metrics", type_="foreignkey")
    for function in (CHECK_FUNCTION, CASCADE_FUNCTION, TRUNCATE_FUNCTION):
        op.execute(function)
    for name, (_, definition) in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {definition}")


def downgrade() -> None:
    for name, (table, _) in TRIGGERS.items():
        op.execute(f"DROP TRIGGER {name} ON {table}")
    for function in FUNCTIONS:
        op.execute(f"DROP FUNCTION {function}()")
    op.create_foreign_key(
        FOREIGN_KEY, "agent_metrics", "agents", ["agent_id"], ["id"], ondelete="CASCADE"
    )
