# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The engine's SyncStore for Odoo: one instance serves one user's cycle.

It works as superuser on that user's data only (calendars, links, and the events
the user attends or organises).
"""

from ..sync import port, recurrence
from ..sync.scope import SyncScope
from .binder import Binder
from .exporter import Exporter
from .guest_copies import GuestCopies
from .importer import Importer
from .lone_instances import LoneInstances
from .marks import SYNC_MARK_CONTEXT
from .meeting_attendees import MeetingAttendees
from .meeting_extras import MeetingExtras
from .outside_copies import OutsideCopies
from .primary_invitations import PrimaryInvitations
from .private_copies import PrivateCopies
from .series_binder import SeriesBinder
from .series_guests import GuestInstance, SeriesGuests
from .series_importer import SeriesImporter
from .snapshots import Snapshots
from .unit_of_work import UnitOfWork

# Sync writes never e-mail attendees, never log "created" messages and do not
# track fields; a conflict note is posted explicitly instead.
SYNC_CONTEXT = {
    "dont_notify": True,
    "no_mail_to_attendees": True,
    "mail_create_nolog": True,
    "mail_create_nosubscribe": True,
    "mail_notrack": True,
    "tracking_disable": True,
    "active_test": False,
    **SYNC_MARK_CONTEXT,
}


class OdooSyncStore(
    LoneInstances,
    SeriesGuests,
    GuestCopies,
    OutsideCopies,
    PrimaryInvitations,
    PrivateCopies,
    Snapshots,
    Binder,
    SeriesBinder,
    Importer,
    SeriesImporter,
    Exporter,
    UnitOfWork,
    port.SyncStore,
):
    def __init__(self, token):
        """The store of ``token``'s user for one cycle (see :meth:`start`)."""
        self.token = token
        self.env = token.env
        self.user = token.user_id
        self.partner = self.user.partner_id
        self.Event = self.env["calendar.event"].with_context(**SYNC_CONTEXT)
        self.Link = self.env["crm.google.event.link"].with_context(active_test=False)
        self.Calendar = self.env["crm.google.calendar"].with_context(active_test=False)
        self.default_title = self.env._("(No title)")
        self.revisions = {}  # event id -> google_sync_revision as last read
        self.pulled_revision = None  # one new revision for the changes of a page
        self.settings = self.event_id_key = self.scope = None  # see start()
        self.series_revisions = {}  # base event id -> its series' revision as last read
        # Odoo expands the weeks of a series made in Odoo from the user's language.
        week_start = self.env["res.lang"]._get_data(code=self.user.lang or "en_US").week_start
        self.week_start = recurrence.ICAL_DAYS[int(week_start or 1) - 1]
        self.extras = MeetingExtras(self.env, self.user)
        self.attendees = MeetingAttendees(self.env, self.user, token.google_email)
        self._pulled_answers = []  # (calendar, page) whose own answers are due
        self._answer_keys = set()  # outgoing items that carry only his answer

    def start(self, settings):
        """Take the cycle's settings (the engine's: window, event id key) once,
        before the cycle."""
        self.settings = settings
        self.event_id_key = settings.event_id_key
        # The rules of this cycle, remembered with each sync token it saves.
        self.scope = SyncScope(bool(settings.include_private), settings.window_start)

    def calendars(self):
        """His calendars; his primary one read for invitations if none of them (R3)."""
        return self._with_primary_for_invitations(super().calendars())

    def save_sync_token(self, calendar, token):
        if self._save_invitations_token(calendar, token):
            return None
        return super().save_sync_token(calendar, token)

    def load_links(self, calendar, google_events):
        """The page's links, and its attendees matched to contacts at once."""
        self.attendees.prefetch(google_events)
        result = super().load_links(calendar, google_events)
        result.update(self._invitations(calendar, google_events, result))
        self._without_forged_invitations(google_events, result)
        self._series_invitation_instances(calendar, google_events, result)
        self._lone_instance_invitations(calendar, google_events, result)
        return self._lists_of_private_copies(google_events, result)

    def apply_incoming(self, calendar, google_event, decision, linked):
        """Through an invitation only the guest's answer comes (R2)."""
        if isinstance(linked.ref, GuestInstance):
            return self._apply_guest_instance(google_event, linked)
        if self._is_guest(linked):
            return self._apply_invitation(calendar, google_event, linked)
        if self._outside_declined(calendar, google_event, linked):
            return True
        self._note_pulled_answers(calendar, [google_event])
        return super().apply_incoming(calendar, google_event, decision, linked)

    def create_many(self, calendar, entries):
        """His answers come with the new meetings of outside organisers (R4)."""
        self._note_pulled_answers(calendar, [item for item, _decision in entries])
        return super().create_many(calendar, entries)

    def checkpoint(self):
        """A page applied: his answers in his copies of outside meetings (R4)."""
        self._take_pulled_answers()
        return super().checkpoint()

    def outgoing(self, target):
        """No copy of a meeting whose master another user's sync holds (R2)."""
        items = self._without_copies_of_mastered(super().outgoing(target))
        items = self._series_guest_items(items)
        # (through his copy of a meeting organised outside Odoo: his answer, R4)
        return self._private_copy_items(self._with_outside_answers(items))

    def apply_outgoing(self, item, decision, result):
        if self._outside_answer_pushed(item, decision, result):
            return None
        return super().apply_outgoing(item, decision, result)

    def _link_pushed(self, item, decision, event, values, body):
        """A copy Google got as a private copy: its link says so (R4)."""
        if (decision.body or {}).get("privateCopy"):
            values = dict(values, private_copy=True)
        return super()._link_pushed(item, decision, event, values, body)

    def _release_left(self, rows, links):
        """Invitations of meetings he declined stay linked (not released); his
        decline goes through them."""
        kept, rest = self._kept_guest_links(rows, links)
        answers = self._declined_guest_answers(kept, links)
        # (declined outside meetings: kept, his answer goes, R4)
        return answers + super()._release_left(self._declined_outside_rows(rest, links), links)
