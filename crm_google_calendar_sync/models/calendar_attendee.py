# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, models
from odoo.tools.sql import create_index

from ..store.marks import is_sync_write


class CalendarAttendee(models.Model):
    _inherit = "calendar.attendee"

    def init(self):
        result = super().init()
        # Each sync cycle leaves out the meetings the user declined (see
        # OdooSyncStore.outgoing): an index of the declined attendances only.
        create_index(
            self.env.cr,
            "calendar_attendee_declined_partner_idx",
            self._table,
            ["partner_id"],
            where="state = 'declined'",
        )
        return result

    @api.model_create_multi
    def create(self, vals_list):
        attendees = super().create(vals_list)
        if not is_sync_write(self.env):
            attendees._check_meeting_writable()
            # A pending deletion of his instance must not follow his new attendance.
            for partner, events in _events_by_partner(attendees).items():
                events._google_attendance_started(partner, bump=False)
        return attendees

    def write(self, vals):
        if is_sync_write(self.env):
            return super().write(vals)
        self._check_meeting_writable()
        if "state" not in vals:
            return super().write(vals)
        before = self.filtered(lambda a: a.state == "declined")
        result = super().write(vals)
        self.event_id._google_answered()
        # Answered in Odoo: his Google copy of a series shows the occurrence or not.
        after = self.filtered(lambda a: a.state == "declined")
        for partner, events in _events_by_partner(after - before).items():
            events._google_attendance_ended(partner)
        for partner, events in _events_by_partner(before - after).items():
            events._google_attendance_started(partner)
        return result

    def unlink(self):
        if is_sync_write(self.env):
            return super().unlink()
        self._check_meeting_writable()
        left = _events_by_partner(self)
        result = super().unlink()
        for partner, events in left.items():
            events.exists()._google_attendance_ended(partner)
        return result

    def _check_meeting_writable(self):
        """Odoo lets any employee change any attendance; an answer reaches the
        attendee's Google copy, so only someone who may change the meeting (its
        attendees, for a private one) changes its attendances."""
        if not self.env.su:
            self.event_id.check_access("write")

    def _subscribe_partner(self):
        # The sync creates the syncing user's own attendance, as that user, and Odoo
        # never subscribes the current user: the per-event follower check would
        # subscribe nobody, yet costs about a tenth of a first import.
        if is_sync_write(self.env) and self.partner_id == self.env.user.partner_id:
            return
        if is_sync_write(self.env):
            self._subscribe_partners_at_once()
            return
        super()._subscribe_partner()

    def _subscribe_partners_at_once(self):
        """Odoo's follower subscription for the sync's attendances, one call per
        attendee instead of one per meeting: an import of meetings whose attendee
        lists all differ costs the attendees it brings, not the meetings (Odoo's
        subscription skips existing followers and the current user itself)."""
        me = self.env.user.partner_id
        events_by_partner = {}
        for attendee in self:
            if attendee.partner_id and attendee.partner_id != me:
                events = events_by_partner.get(attendee.partner_id, self.env["calendar.event"])
                events_by_partner[attendee.partner_id] = events | attendee.event_id
        for partner, events in events_by_partner.items():
            events.message_subscribe(partner_ids=partner.ids)


def _events_by_partner(attendees):
    """``{partner: events}`` of the occurrences of series among ``attendees``."""
    result = {}
    for attendee in attendees.filtered("event_id.recurrence_id"):
        result[attendee.partner_id] = result.get(attendee.partner_id, attendee.event_id) | (
            attendee.event_id
        )
    return result
