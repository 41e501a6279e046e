"""The bench's fleet, its floor and our fleet document agree on a real database: what the loader
writes is what the floor reads, row for row what Agentgraph answers (so a schema change that
breaks the bench's document, or the floor drifting from it, fails here and not in `make bench`)."""

from __future__ import annotations

import asyncpg
from sqlalchemy.engine import make_url

from bench.answers import check_fleet_shape, check_same_rows, floor_fleet, ours_fleet
from bench.fleet_data import load_fleet, project_slug
from bench.floor import floor_answer
from bench.scenarios import FLEET, PROJECT_BY_SLUG, REGISTER
from tests.support.api import GraphQLClient


async def test_the_floor_and_our_fleet_query_read_the_same_rows(
    api: GraphQLClient, database_url: str
) -> None:
    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(False)
    email = "fleet-owner@bench.example"
    registered = await api.ok(REGISTER, {"email": email, "password": "a-long-password-1"})
    token = registered["register"]["accessToken"]
    conn = await asyncpg.connect(dsn)
    try:
        owner = await conn.fetchval("SELECT id FROM users WHERE email = $1", email)
        project = await load_fleet(conn, owner, 120)  # more than a page of 100
    finally:
        await conn.close()

    found = await api.ok(PROJECT_BY_SLUG, {"slug": project_slug(120)}, token=token)
    ours = await api.ok(FLEET, {"project": found["projectBySlug"]["id"]}, token=token)
    floor = floor_fleet(await floor_answer(dsn, project))

    check_fleet_shape(floor, 120)
    check_same_rows(floor, ours_fleet({"data": ours}), "Agentgraph vs floor")
