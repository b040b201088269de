"""What a calendar's sync token has seen, and when the user's rules outgrow it.

An incremental list only returns what changed since its token. Events that the
rules left out when the token was taken (private ones, events before the
window) never come again, so when the rules widen the calendar is listed afresh
(a windowed full list, in which the links make known events no-ops).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class SyncScope:
    include_private: bool
    window_start: datetime | None  # naive UTC; None: not known (older tokens)

    def covers(self, wanted: SyncScope) -> bool:
        """Whether everything ``wanted`` lets in was already seen under this scope."""
        if wanted.include_private and not self.include_private:
            return False
        if self.window_start is None or wanted.window_start is None:
            return True
        return wanted.window_start >= self.window_start
