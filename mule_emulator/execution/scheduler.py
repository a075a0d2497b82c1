"""FixedFrequencyScheduler: runs a task every period, the clock behind a ``<poll>`` source.

An engine component of the receiver phase (a message source starts last and stops
first). The clock is one long-running loop on the scheduler's pool (a background task,
as a receiver's poll loop, or a thread of its own when the pool refuses it); each tick
is submitted to the same pool as a counted task, so an idle check sees a run in
progress. A tick that finds the previous run still going is skipped rather than queued
behind it (Mule's fixed-frequency scheduler never overlaps runs of one poll).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from mule_emulator.execution.thread_pool import ThreadPool

log = logging.getLogger(__name__)


class FixedFrequencyScheduler:
    """Call ``task`` every ``period_s`` seconds after ``start_delay_s``, on ``pool``."""

    def __init__(
        self,
        name: str,
        pool: ThreadPool,
        task: Callable[[], object],
        period_s: float,
        start_delay_s: float = 0.0,
    ) -> None:
        if period_s <= 0:
            raise ValueError("the period of a scheduler must be positive")
        self.name = name
        self.pool = pool
        self.task = task
        self.period_s = period_s
        self.start_delay_s = max(0.0, start_delay_s)
        self.runs = 0
        self._stopping = threading.Event()
        self._running = threading.Lock()  # held while a run is in progress
        self._clock_done = threading.Event()
        self._clock_done.set()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if not self._clock_done.is_set():
            return
        self._stopping.clear()
        self._clock_done.clear()
        if not self.pool.try_submit(self._clock, background=True):
            self._thread = threading.Thread(target=self._clock, name=f"{self.name}.clock")
            self._thread.start()

    def signal_stop(self) -> None:
        """Ask the clock to end, without waiting."""
        self._stopping.set()

    def stop(self, timeout: float = 5.0) -> bool:
        """End the clock and wait up to ``timeout`` s for it (a run in progress finishes
        in the pool, which its owner shuts down). True when the clock ended."""
        self._stopping.set()
        done = self._clock_done.wait(max(0.0, timeout))
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(max(0.0, timeout))
        return done

    def run_once(self) -> None:
        """One tick, in this thread; skipped when the previous run has not finished."""
        if not self._running.acquire(blocking=False):
            log.debug("%s: previous run still in progress, tick skipped", self.name)
            return
        try:
            self.runs += 1
            self.task()
        except Exception:  # a failing run must not end the schedule
            log.exception("%s: scheduled run failed", self.name)
        finally:
            self._running.release()

    def _clock(self) -> None:
        try:
            if self._stopping.wait(self.start_delay_s):
                return
            next_tick = time.monotonic()
            while not self._stopping.is_set():
                try:
                    if not self.pool.try_submit(self.run_once):
                        log.debug("%s: the pool refused a run", self.name)
                except Exception as exc:  # the pool is shutting down
                    log.debug("%s: %s", self.name, exc)
                    return
                next_tick += self.period_s
                if self._stopping.wait(max(0.0, next_tick - time.monotonic())):
                    return
        finally:
            self._clock_done.set()


__all__ = ["FixedFrequencyScheduler"]
