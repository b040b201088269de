"""Pacing of Google API calls under Google's quotas.

Google counts every call, also each call inside a batch, per user and per
project (OAuth client) and per minute; going over answers 403/429 and the
calls are lost work. The sync therefore spends from budgets instead of
provoking those errors:

* per user and cycle: at most one minute's worth of calls
  (``user_requests_per_minute``); a larger first push is spread over the
  following cycles, and the user sees how much is still waiting;
* per project: a sliding one-minute window shared by all users of a cron run
  (``project_requests_per_minute``); when it is full the run waits for the
  window to move, within its own deadline.
"""

from __future__ import annotations

import collections
import threading
import time


class QuotaWindow:
    """Sliding one-minute window of calls, shared by the users of one run."""

    def __init__(self, per_minute: int, *, clock=time.monotonic, sleep=time.sleep):
        self.per_minute = max(1, int(per_minute))
        self.clock = clock
        self.sleep = sleep
        self._calls: collections.deque = collections.deque()  # (time, count)
        self._used = 0
        self._lock = threading.Lock()
        self.waited = 0.0

    def _expire(self, now: float) -> None:
        while self._calls and self._calls[0][0] <= now - 60.0:
            _stamp, count = self._calls.popleft()
            self._used -= count

    def acquire(self, count: int, deadline: float | None = None) -> bool:
        """Take ``count`` calls, waiting for the window if needed.

        Returns False (taking nothing) when the wait would pass ``deadline``.
        """
        count = max(0, int(count))
        if count == 0:
            return True
        count = min(count, self.per_minute)
        while True:
            with self._lock:
                now = self.clock()
                self._expire(now)
                if self._used + count <= self.per_minute:
                    self._calls.append((now, count))
                    self._used += count
                    return True
                wait = self._calls[0][0] + 60.0 - now
            if deadline is not None and now + wait > deadline:
                return False
            self.waited += max(wait, 0.0)
            self.sleep(max(wait, 0.01))

    @property
    def used(self) -> int:
        with self._lock:
            self._expire(self.clock())
            return self._used


class CallBudget:
    """One user's calls for one cycle, within the project's window."""

    def __init__(self, user_per_cycle: int, project: QuotaWindow | None = None):
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
