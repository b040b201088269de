"""The engine's port: the store interface and the data crossing it.

The engine (:mod:`.engine`) drives a :class:`SyncStore`, which the Odoo side
implements; everything passed between them is defined here. Plain data: this
module imports nothing of the engine at run time.
"""

from __future__ import annotations

import abc
import contextlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .google_client import BatchResult
    from .pacing import CallBudget
    from .planner import IncomingDecision, OutgoingDecision

# Days before today the sync reaches back, unless the database says otherwise.
DEFAULT_WINDOW_DAYS = 30
# Changed meetings a report names (the counts cover all): a first import of
# thousands of events must not carry thousands of titles around.
NAMED_CHANGES_KEPT = 50


def window_start_for(now, days=DEFAULT_WINDOW_DAYS):
    """Start of the sync window for ``now`` (naive UTC)."""
    return now - timedelta(days=days)


@dataclass(frozen=True)
class LinkState:
    """What ``crm.google.event.link`` remembers about the last successful sync."""

    google_id: str
    calendar_id: str
    etag: str | None = None
    fingerprint: str | None = None
    google_updated: datetime | None = None  # naive UTC
    # Odoo changed the event since the last sync (unknown counts as changed).
    odoo_changed: bool = True
    readonly: bool = False
    guest: bool = False  # Google's invitation of an attendee: only his answer travels
    attempted_fingerprint: str | None = None  # of a write whose answer never came


@dataclass
class CalendarState:
    """A Google calendar of the user, as the store knows it."""

    key: int  # the store's id for it
    google_id: str
    access_role: str = "owner"
    time_zone: str | None = None
    sync_token: str | None = None
    is_source: bool = False
    is_target: bool = False
    # Read for invitations to meetings Odoo ties the user to, nothing else: the
    # primary calendar when he syncs other calendars (R3 of docs/attendees.md).
    invitations_only: bool = False
    # Events that failed unexpectedly: {google_id: [etag, attempts]}.
    failures: dict = field(default_factory=dict)


@dataclass
class SyncSettings:
    """The rules of one user's cycle, given to the engine and the store once."""

    user_tz: str
    self_email: str | None
    include_private: bool
    window_start: datetime  # naive UTC
    event_id_key: str  # the user's secret for deterministic event ids
    deadline: float | None = None  # time.monotonic() value; None = no limit
    calls: CallBudget | None = None  # Google calls this cycle may make; None = no limit
    page_size: int | None = None  # events per list page; None = Google's maximum


@dataclass
class Linked:
    """What the store knows about one Google event id: its link and Odoo event."""

    link: LinkState | None
    odoo: object | None  # mapping.OdooEvent or None
    ref: object = None  # store-private reference (e.g. the link record id)
    # An instance without a link of its own: the fingerprint of what the user's
    # copy of its series showed for it (see series.instance_base).
    base: str | None = None


@dataclass
class OutgoingItem:
    """One Odoo change to send: new/changed event or deletion of a linked one."""

    key: object  # store-private reference
    link: LinkState | None
    odoo: object | None  # mapping.OdooEvent or None when deleted in Odoo
    calendar: CalendarState | None = None  # where the link lives (None: target)
    series_link: LinkState | None = None


@dataclass
class SyncReport:
    """What one cycle did, for the user's status and the sync log."""

    pulled_created: int = 0
    pulled_updated: int = 0
    pulled_deleted: int = 0
    pushed_inserted: int = 0
    pushed_updated: int = 0
    pushed_deleted: int = 0
    conflicts: int = 0
    skipped: list = field(default_factory=list)  # (google or odoo id, reason)
    errors: list = field(default_factory=list)  # plain-language codes for the user
    incomplete: bool = False  # stopped by the deadline, the rest follows next cycle
    waiting_outgoing: int = 0  # Odoo changes left for later cycles by the call budget
    unavailable_calendars: list = field(default_factory=list)  # CalendarState keys
    full_resyncs: int = 0
    # (side changed: "odoo"/"google", "created"/"updated"/"deleted"/"conflict",
    # title, private), at most NAMED_CHANGES_KEPT
    changes: list = field(default_factory=list)

    def note_change(self, side, action, title, private):
        if len(self.changes) < NAMED_CHANGES_KEPT:
            # Google's data is untrusted: a title may be anything, of any size.
            title = title[:200] if isinstance(title, str) else ""
            self.changes.append((side, action, title, bool(private)))

    @property
    def pulled(self):
        return self.pulled_created + self.pulled_updated + self.pulled_deleted

    @property
    def pushed(self):
        return self.pushed_inserted + self.pushed_updated + self.pushed_deleted

    @property
    def changed_anything(self):
        return bool(
            self.pulled
            or self.pushed
            or self.conflicts
            or self.skipped
            or self.errors
            or self.unavailable_calendars
        )


class SyncStore(abc.ABC):
    """The Odoo side of a sync cycle, as the engine needs it."""

    settings: SyncSettings | None = None

    def start(self, settings: SyncSettings) -> None:
        """Called once before the cycle with its settings (window, event-id key,
        deadline); the default keeps them as ``self.settings``."""
        self.settings = settings

    @abc.abstractmethod
    def calendars(self) -> Sequence[CalendarState]:
        """The calendars to read (sources and the target), target flagged."""

    @abc.abstractmethod
    def save_sync_token(self, calendar: CalendarState, token: str | None) -> None:
        """Remember ``token`` for the next incremental list (None: full sync next)."""

    @abc.abstractmethod
    def load_links(self, calendar: CalendarState, google_events: list) -> dict:
        """``{google_id: Linked}`` for the events of one page (one query, not N)."""

    @abc.abstractmethod
    def apply_incoming(
        self, calendar: CalendarState, google_event: dict, decision: IncomingDecision, linked
    ) -> None:
        """Apply a decision of :func:`planner.plan_incoming` to Odoo and the link.

        Returns False when Odoo needed no change after all (not counted)."""

    @abc.abstractmethod
    def outgoing(self, target: CalendarState | None) -> Iterable[OutgoingItem]:
        """Odoo events changed since their last sync, and deletions to send."""

    @abc.abstractmethod
    def apply_outgoing(
        self, item: OutgoingItem, decision: OutgoingDecision, result: BatchResult | None
    ) -> None:
        """Record the outcome of a push (result None: decision needed no call)."""

    @abc.abstractmethod
    def checkpoint(self) -> None:
        """Make everything applied so far durable (commit)."""

    def known_series(self, calendar: CalendarState, series_ids: set) -> set:
        """The ids of ``series_ids`` that are series in Odoo for ``calendar``."""
        return set()

    def save_failures(self, calendar: CalendarState) -> None:  # noqa: B027
        """Remember ``calendar.failures`` for the next cycles (made durable with the
        next checkpoint). Optional: the default keeps them for this cycle only."""

    def calendar_unavailable(self, calendar: CalendarState, error: Exception) -> None:  # noqa: B027
        """Google refused to list ``calendar`` (404/403); remember it for the user.

        Optional: the default does nothing."""

    def create_many(self, calendar: CalendarState, entries: list) -> None:
        """Apply several CREATE decisions ``[(google_event, decision)]`` at once.

        All or nothing: the engine wraps it in :meth:`isolate` and falls back to
        one by one when it raises. The default simply applies them in turn."""
        for google_event, decision in entries:
            self.apply_incoming(calendar, google_event, decision, Linked(None, None))

    def isolate(self):
        """Context manager around one event's changes: a failure inside undoes
        only that event's changes (a savepoint), never the page's others."""
        return contextlib.nullcontext()
