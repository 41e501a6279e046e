"""A server process's resources (with its children): resident memory, idle and at its peak under
load, and CPU, to wait until it has finished what an ended run left in flight."""

from __future__ import annotations

import contextlib
import threading
import time
from types import TracebackType

import psutil

_MB = 1024 * 1024
SAMPLE_INTERVAL_S = 0.02


def rss_mb(pid: int) -> float:
    """Resident set size of ``pid`` and its descendants, in MiB."""
    total = 0
    for process in _tree(pid):
        with contextlib.suppress(psutil.NoSuchProcess):
            total += process.memory_info().rss
    return float(total) / _MB


def _tree(pid: int) -> list[psutil.Process]:
    process = psutil.Process(pid)
    return [process, *process.children(recursive=True)]


def cpu_seconds(pid: int) -> float:
    """CPU time (user and system) used so far by ``pid`` and its descendants."""
    total = 0.0
    for process in _tree(pid):
        with contextlib.suppress(psutil.NoSuchProcess):
            times = process.cpu_times()
            total += times.user + times.system
    return total


def wait_until_idle(pid: int, timeout_s: float = 15.0) -> float:
    """Wait until ``pid`` uses (almost) no CPU for a moment: a load run that ends leaves requests
    in flight, and the server still works on them; the next side's run must not pay for that.
    Returns the seconds waited."""
    started = time.monotonic()
    quiet_needed, window_s = 2, 0.1
    quiet = 0
    last = cpu_seconds(pid)
    while quiet < quiet_needed and time.monotonic() - started < timeout_s:
        time.sleep(window_s)
        now = cpu_seconds(pid)
        quiet = quiet + 1 if now - last < 0.1 * window_s else 0
        last = now
    return time.monotonic() - started


class PeakRss:
    """Samples ``rss_mb(pid)`` every 20 ms on a thread while the block runs, keeping the highest
    in ``peak_mb`` (which may start from an earlier peak). Without a pid it samples nothing."""

    def __init__(self, pid: int | None, peak_mb: float | None = None) -> None:
        self.pid = pid
        self.peak_mb = None if pid is None else max(peak_mb or 0.0, rss_mb(pid))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while self.pid is not None and not self._stop.wait(SAMPLE_INTERVAL_S):
            try:
                self.peak_mb = max(self.peak_mb or 0.0, rss_mb(self.pid))
            except psutil.NoSuchProcess:
                return

    def __enter__(self) -> PeakRss:
        if self.pid is not None:
            self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
