"""What a calendar's sync token has seen, and when the user's rules outgrow it
(the calendar is then listed afresh).
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
