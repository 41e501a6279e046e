"""The peer sees every relation the bench's documents follow: PostGraphile builds a relation
from a foreign key only, so a reference PostgreSQL enforces with triggers instead (migration
0006: metric points) must be told to it by a smart tag in ``bench.peer.TRIGGER_ENFORCED``;
a new one that is not fails here, not halfway through `make bench`."""

from __future__ import annotations

import asyncpg
from sqlalchemy.engine import make_url

from bench.peer import TRIGGER_ENFORCED, describe_trigger_relations

# Columns that hold an agent's id (the fleet document follows them from the agent).
_AGENT_COLUMNS = """
SELECT c.table_name FROM information_schema.columns c
JOIN information_schema.tables t USING (table_schema, table_name)
WHERE c.table_schema = 'public' AND c.column_name = 'agent_id' AND t.table_type = 'BASE TABLE'
  AND NOT EXISTS (
    SELECT 1 FROM pg_constraint k
    JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = ANY (k.conkey)
    WHERE k.contype = 'f' AND k.conrelid = format('%I', c.table_name)::regclass
      AND a.attname = 'agent_id'
  )
"""


async def test_every_reference_to_an_agent_without_a_foreign_key_has_a_smart_tag(
    database_url: str,
) -> None:
    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(False)
    conn = await asyncpg.connect(dsn)
    try:
        untold = {row["table_name"] for row in await conn.fetch(_AGENT_COLUMNS)}
        assert untold, "no reference is checked by triggers: TRIGGER_ENFORCED has nothing to do"
        assert untold == set(TRIGGER_ENFORCED)
        before = {t: await conn.fetchval("SELECT obj_description($1::regclass)", t) for t in untold}
        await describe_trigger_relations(dsn)
        for table, tag in TRIGGER_ENFORCED.items():
            told = await conn.fetchval("SELECT obj_description($1::regclass)", table)
            assert told == tag
            # Put back what the table said (the test database is shared).
            said = await conn.fetchval("SELECT coalesce(quote_literal($1), 'NULL')", before[table])
            await conn.execute(f"COMMENT ON TABLE {table} IS {said}")
    finally:
        await conn.close()
