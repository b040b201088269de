"""Pacing of Google API calls under Google's per-user and per-project quotas:
a call budget per cycle and the project's quota shared through the database.
"""

from __future__ import annotations

import time

# The project's quota may be spent in bursts of this share of a minute's calls;
# the rest of the minute is paced evenly.
BURST_SHARE = 1 / 6


class ProjectQuota:
    """Google's per-minute quota of the project, shared through ``take``.

    A generic cell rate algorithm: every call books the next slot of a virtual
    clock running at ``rate`` slots a second, and may book at most ``burst``
    slots ahead of now, so any minute holds at most ``burst + 60 * rate`` =
    ``per_minute`` calls. ``take(count, rate, burst)`` is the shared store's
    atomic step: it books ``count`` slots and returns 0, or books nothing and
    returns how many slots are missing.
    """

    def __init__(self, per_minute: int, take, *, clock=time.monotonic, sleep=time.sleep):
        self.per_minute = max(1, int(per_minute))
        self.burst = max(1, int(self.per_minute * BURST_SHARE))
        self.rate = max(1, self.per_minute - self.burst) / 60.0
        self.clock = clock
        self.sleep = sleep
        self._take = take
        self.waited = 0.0

    def acquire(self, count: int, deadline: float | None = None) -> bool:
        """Take ``count`` calls, waiting for the quota if needed.

        Returns False (taking nothing) when the wait would pass ``deadline``.
        """
        count = min(max(0, int(count)), self.burst)
        while count:
            missing = self._take(count, self.rate, self.burst)
            if missing <= 0:
                break
            wait = missing / self.rate
            if deadline is not None and self.clock() + wait > deadline:
                return False
            self.waited += wait
            self.sleep(wait)
        return True


class CallBudget:
    """One user's calls for one cycle, within the project's window."""

    def __init__(self, user_per_cycle: int, project: ProjectQuota | None = None):
        self.remaining = max(0, int(user_per_cycle))
        self.project = project
        self.spent = 0

    def take(self, count: int, deadline: float | None = None) -> bool:
        """Spend ``count`` calls; False when the user's cycle or the project's
        window has no room (the work then waits for the next cycle)."""
        if count > self.remaining:
            return False
        if self.project is not None and not self.project.acquire(count, deadline):
            return False
        self.remaining -= count
        self.spent += count
        return True

    def room(self) -> int:
        return self.remaining
