"""Cursor order is commit order: the hole of hasura/graphql-engine#8632 cannot happen here.

Two transactions produce events; the one that takes a sequence number first commits last.
With a plain insert, the later-numbered one commits first: a client that read it and resumes
after its cursor never sees the earlier number. ``eventlog.append`` serializes event writers
until commit, so the second writer waits, numbers after the first, and commits after it.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from sqlalchemy import insert, select, text
from starlette.applications import Starlette

from domain.events import EventKind
from store import eventlog
from store.eventlog import NewEvent
from store.models import Event

events = Event.__table__


async def _agent(app: Starlette) -> tuple[uuid.UUID, uuid.UUID]:
    """An agent row to hang events on (setup only; the behaviour under test is the log)."""
    database = app.state.services.database
    async with database.transaction() as conn:
        user = (await conn.execute(text(
            "INSERT INTO users (email, password_hash) VALUES (:e, 'x') RETURNING id"
        ), {"e": f"{uuid.uuid4().hex}@example.com"})).scalar_one()  # fmt: skip
        agent_type = (await conn.execute(text(
            "INSERT INTO agent_types (name, slug, personality_prompt, primary_model) "
            "VALUES ('t', :s, 'p', 'm') RETURNING id"
        ), {"s": f"t-{uuid.uuid4().hex[:8]}"})).scalar_one()  # fmt: skip
        project = (await conn.execute(text(
            "INSERT INTO projects (name, slug, owner_id) VALUES ('p', :s, :o) RETURNING id"
        ), {"s": f"p-{uuid.uuid4().hex[:8]}", "o": user})).scalar_one()  # fmt: skip
        agent = (await conn.execute(text(
            "INSERT INTO agents (project_id, agent_type_id, name) VALUES (:p, :t, 'a') RETURNING id"
        ), {"p": project, "t": agent_type})).scalar_one()  # fmt: skip
    return agent, project


async def _until_waiting_on_an_advisory_lock(app: Starlette) -> None:
    for _ in range(1000):
        async with app.state.services.database.read() as conn:
            waiting = await conn.scalar(
                text(
                    "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
                    "WHERE l.locktype = 'advisory' AND NOT l.granted "
                    "AND d.datname = current_database()"
                )
            )
        if waiting:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("no session ever waited on the event writers' advisory lock")


async def _committed_after(app: Starlette, cursor: int) -> list[int]:
    async with app.state.services.database.read() as conn:
        rows = await conn.execute(
            select(events.c.seq).where(events.c.seq > cursor).order_by(events.c.seq)
        )
        return [row.seq for row in rows]


async def test_a_plain_insert_would_lose_events_on_resume(app: Starlette) -> None:
    """The control experiment: without append's serialization the hole is real."""
    agent, project = await _agent(app)
    database = app.state.services.database
    row: dict[str, Any] = {
        "kind": "state_updated",
        "agent_id": agent,
        "project_id": project,
        "data": {},
    }
    async with database.transaction() as first:
        first_seq = (
            await first.execute(insert(events).values(**row).returning(events.c.seq))
        ).scalar_one()
        async with database.transaction() as second:
            second_seq = (
                await second.execute(insert(events).values(**row).returning(events.c.seq))
            ).scalar_one()
        # The second committed first; a client reads it and keeps its cursor.
        seen = await _committed_after(app, first_seq - 1)
        assert seen == [second_seq]
    # The first commits later with a LOWER number: resuming after second_seq never shows it.
    assert first_seq < second_seq
    assert first_seq not in await _committed_after(app, second_seq)


async def test_append_numbers_events_in_commit_order(app: Starlette) -> None:
    agent, project = await _agent(app)
    database = app.state.services.database
    event = NewEvent(EventKind.STATE_UPDATED, agent, project, {})
    first_committed = asyncio.Event()

    async with database.transaction() as first:
        [first_seq] = (await eventlog.append(first, [event])).seqs

        async def second_writer() -> int:
            async with database.transaction() as second:
                [seq] = (await eventlog.append(second, [event])).seqs
                assert first_committed.is_set(), "numbered before the first writer committed"
                return seq

        second = asyncio.create_task(second_writer())
        # The second writer is blocked on the advisory lock (PostgreSQL says so), not just slow.
        await _until_waiting_on_an_advisory_lock(app)
        assert not second.done(), "the second writer must wait for the first to commit"
        # A reader sees neither yet: nothing is committed.
        assert await _committed_after(app, first_seq - 1) == []
        first_committed.set()
    second_seq = await asyncio.wait_for(second, 5)
    assert first_seq < second_seq
    assert await _committed_after(app, first_seq - 1) == [first_seq, second_seq]


@pytest.mark.parametrize("size", [1, 3])
async def test_append_writes_transitions_with_the_events_cursor(app: Starlette, size: int) -> None:
    from store.eventlog import TransitionRecord

    agent, project = await _agent(app)
    moves = [
        NewEvent(
            EventKind.STATUS_CHANGED,
            agent,
            project,
            {},
            TransitionRecord("idle", "paused", None, "system"),
        )
        for _ in range(size)
    ]
    async with app.state.services.database.transaction() as conn:
        seqs = (await eventlog.append(conn, moves)).seqs
        rows = (
            (await conn.execute(text("SELECT seq FROM status_transitions ORDER BY seq")))
            .scalars()
            .all()
        )
    assert list(rows) == seqs == sorted(seqs)


async def test_append_is_one_statement_and_its_notifications_carry_what_subscribers_need(
    app: Starlette, database_url: str
) -> None:
    """The lock, the events, their transitions and their NOTIFYs: one statement. Each NOTIFY
    names its event (in seq order) with its transition, and its data unless it is large."""
    import asyncpg
    from sqlalchemy.engine import make_url

    from store.eventlog import EVENTS_CHANNEL, MAX_INLINE_DATA, TransitionRecord
    from tests.support.sql_counter import StatementCounter

    agent, project = await _agent(app)
    database = app.state.services.database
    big = "x" * (MAX_INLINE_DATA + 1)
    new = [
        NewEvent(
            EventKind.STATUS_CHANGED, agent, project, {"from": "idle", "to": "paused"},
            TransitionRecord("idle", "paused", "a reason", "user:1"),
        ),
        NewEvent(EventKind.STATE_UPDATED, agent, project, {"fields": ["big"], "big": big}),
        NewEvent(
            EventKind.STATUS_CHANGED, agent, project, {"from": None, "to": "idle"},
            TransitionRecord(None, "idle", "y" * 3000, "system"),
        ),
    ]  # fmt: skip
    dsn = make_url(database_url).set(drivername="postgresql")
    listening = await asyncpg.connect(dsn.render_as_string(hide_password=False))
    heard: asyncio.Queue[str] = asyncio.Queue()
    await listening.add_listener(EVENTS_CHANNEL, lambda *args: heard.put_nowait(args[-1]))
    try:
        with StatementCounter(database) as counter:
            async with database.transaction() as conn:
                counter.reset()  # BEGIN
                appended = await eventlog.append(conn, new)
                assert counter.count == 1, counter.statements
        payloads = [await asyncio.wait_for(heard.get(), 5) for _ in new]
    finally:
        await listening.close()
    async with database.read() as conn:
        stored = (
            await conn.execute(
                text("SELECT id, seq, reason FROM status_transitions WHERE agent_id = :a"),
                {"a": agent},
            )
        ).all()
    assert appended.seqs == sorted(appended.seqs)
    assert [(t.id, t.seq, t.reason) for t in appended.transitions] == sorted(
        stored, key=lambda r: r.seq
    )
    assert [t.seq for t in appended.transitions] == [appended.seqs[0], appended.seqs[2]]

    first, second, third = (eventlog.parse_notification(p) for p in payloads)
    assert [first.seq, second.seq, third.seq] == appended.seqs
    assert first.complete and first.data == {"from": "idle", "to": "paused"}
    assert first.transition == appended.transitions[0]
    assert not second.complete and second.transition is None  # its data is read by seq
    assert third.complete and third.transition is None  # the long reason is read by seq
