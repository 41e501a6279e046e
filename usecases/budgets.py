"""Each caller's budget over time, as GitHub's API has one: points per window, shared by every
server process.

An operation spends its cost (``gql/limits.py``, at least 1 point) from its caller's budget —
a user's, or one agent token's; anonymous calls (``register``, ``login``, ``refreshToken``) are
the login throttle's. Past the budget it is refused, RATE_LIMITED, with ``retryAfterSeconds``:
when the window ends. Windows are fixed and aligned to the epoch, so every process agrees on
them without asking.

Shared without a statement per request: a process counts what it admits in memory and adds it
to the callers' rows (``caller_budgets``, UNLOGGED) in one statement for all of them — every
``FLUSH_INTERVAL_S``, as soon as a caller's unflushed points reach a tenth of the budget, and
before it admits the first operation of a caller it has not seen in the window (so it starts
from what the other processes spent). The statement returns each caller's total, which the
process decides on until the next. So a caller can overspend a window by at most a tenth of the
budget per process. While the database is unreachable, each process decides on its own count.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from domain.access import Viewer
from domain.errors import RateLimited
from store import budgets as store
from store.database import Database

logger = logging.getLogger("agentgraph.budgets")

BUDGET_TASK = "agentgraph-budget-flush"
FLUSH_INTERVAL_S = 1.0
# A caller's unflushed points that make a flush due at once, as a share of the budget.
FLUSH_SHARE = 0.1


class BudgetSpent(RateLimited):
    def __init__(self, points: int, window_s: int, retry_after_s: float) -> None:
        super().__init__(
            f"Rate limit: this caller has spent its {points} points of the current "
            f"{window_s}-second window; retry in {math.ceil(retry_after_s)} s.",
            retry_after_s=retry_after_s,
            limit="pointsPerWindow",
        )


@dataclass
class _Account:
    window: int
    shared: int = 0  # the caller's total in the window, every process, as of the last flush
    pending: int = 0  # admitted here since
    known: bool = False  # the shared total has been read in this window


class Budgets:
    def __init__(
        self,
        database: Database,
        *,
        points: int,
        window_s: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.database = database
        self.points = points
        self.window_s = max(1, window_s)
        self._clock = clock
        self._slice = max(1, int(points * FLUSH_SHARE))
        self._accounts: dict[str, _Account] = {}
        self._lock = asyncio.Lock()
        self._due = asyncio.Event()

    @property
    def enabled(self) -> bool:
        return self.points > 0

    async def spend(self, viewer: Viewer, cost: int) -> None:
        """Spend an operation's ``cost`` from its caller's budget; ``BudgetSpent`` when the
        budget of the current window cannot pay for it (nothing is spent then)."""
        caller = viewer.caller_key
        if caller is None or not self.enabled:
            return
        points = max(1, cost)
        window = self._window()
        account = self._account(caller, window)
        if not account.known:
            # In a task of its own: bookkeeping, not the request's statements.
            await asyncio.shield(asyncio.create_task(self._learn(caller), name=BUDGET_TASK))
            window = self._window()
            account = self._account(caller, window)
            account.known = True  # (a window that turned meanwhile starts from here)
        if account.shared + account.pending + points > self.points:
            raise BudgetSpent(self.points, self.window_s, self._retry_after(window))
        account.pending += points
        if account.pending >= self._slice:
            self._due.set()

    async def run(self) -> None:
        """Flush every FLUSH_INTERVAL_S, or sooner when a caller's points are due."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._due.wait(), FLUSH_INTERVAL_S)
            self._due.clear()
            await self.flush()

    async def flush(self) -> None:
        """Add what this process admitted to the shared totals, and read them back."""
        async with self._lock:
            await self._flush()

    async def _learn(self, caller: str) -> None:
        async with self._lock:
            account = self._accounts.get(caller)
            if account is not None and not account.known:
                await self._flush()  # the others who wait to learn come along

    async def _flush(self) -> None:
        window = self._window()
        for caller in [c for c, a in self._accounts.items() if a.window != window]:
            del self._accounts[caller]  # a window that ended: its points no longer matter
        due = [(c, a) for c, a in self._accounts.items() if a.pending or not a.known]
        if not due:
            return
        amounts = [a.pending for _, a in due]
        try:
            # One statement, committed on its own (an autocommitting connection).
            async with self.database.read() as conn:
                totals = await store.add_spending(
                    conn, window * self.window_s, [c for c, _ in due], amounts
                )
        except Exception as error:
            logger.warning("could not share rate-limit budgets (%s)", type(error).__name__)
            for _, account in due:
                account.known = True  # decide on this process's count until the next flush
            return
        for (caller, account), flushed in zip(due, amounts, strict=True):
            account.pending -= flushed
            account.shared = totals.get(caller, account.shared + flushed)
            account.known = True

    def _account(self, caller: str, window: int) -> _Account:
        account = self._accounts.get(caller)
        if account is None or account.window != window:
            account = self._accounts[caller] = _Account(window)
        return account

    def _window(self) -> int:
        return int(self._clock() // self.window_s)

    def _retry_after(self, window: int) -> float:
        return max(0.1, (window + 1) * self.window_s - self._clock())
