"""A clock that tests can move forward (token expiry, sync-token horizon, quota windows)."""

import datetime as dt
import threading
import time


class Clock:
    """Real time plus an offset that tests can advance."""

    def __init__(self):
        self._offset = 0.0
        self._lock = threading.Lock()

    def time(self):
        """Seconds since the epoch, like time.time()."""
        with self._lock:
            return time.time() + self._offset

    def now(self):
        """Aware UTC datetime."""
        return dt.datetime.fromtimestamp(self.time(), tz=dt.timezone.utc)

    def advance(self, seconds):
        """Move the clock forward (or backward with a negative value)."""
        with self._lock:
            self._offset += float(seconds)

    def reset(self):
        with self._lock:
            self._offset = 0.0
