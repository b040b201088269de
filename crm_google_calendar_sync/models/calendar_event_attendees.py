# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Attendees of a synchronised meeting: Google addresses without a contact, and
answers given in Odoo that the organiser's next push carries to Google."""

from odoo import api, fields, models

from ..store.marks import SYNC_MARK_CONTEXT, is_sync_write

# Addresses the form names before it only counts the rest.
UNMATCHED_SHOWN = 10


class CalendarEvent(models.Model):
    _inherit = "calendar.event"

    google_unmatched_attendees = fields.Json(
        "Google Attendees Without Contact",
        copy=False,
        readonly=True,
        groups="base.group_user",
        help="Attendees of the Google event whose address matches no contact: "
        "[[address, answer], ...], written by the synchronisation only.",
    )
    google_unmatched_attendees_note = fields.Char(
        "Attendees Not Matched",
        compute="_compute_google_unmatched_attendees_note",
        groups="base.group_user",
    )

    @api.depends("google_unmatched_attendees")
    def _compute_google_unmatched_attendees_note(self):
        for event in self:
            unmatched = [
                pair[0]
                for pair in event.google_unmatched_attendees or ()
                if isinstance(pair, list) and pair and isinstance(pair[0], str)
            ]
            if not unmatched:
                event.google_unmatched_attendees_note = False
                continue
            shown = ", ".join(unmatched[:UNMATCHED_SHOWN])
            if len(unmatched) > UNMATCHED_SHOWN:
                shown += ", …"
            event.google_unmatched_attendees_note = self.env._(
                "%(count)s attendees not matched to contacts: %(addresses)s",
                count=len(unmatched),
                addresses=shown,
            )

    def write(self, vals):
        if "google_unmatched_attendees" in vals and not is_sync_write(self.env):
            # What Google holds is the sync's to write: a client's value would be
            # sent to Google as attendees.
            vals = {k: v for k, v in vals.items() if k != "google_unmatched_attendees"}
        return super().write(vals)


class CalendarAttendee(models.Model):
    _inherit = "calendar.attendee"

    def write(self, vals):
        result = super().write(vals)
        if "state" in vals and not is_sync_write(self.env):
            # An answer given in Odoo travels with the organiser's next push.
            events = self.event_id.sudo().with_context(active_test=False, **SYNC_MARK_CONTEXT)
            single = events.filtered(lambda e: not e.recurrence_id)
            if single:
                single.write({"google_sync_revision": single._next_google_revision()})
            events.recurrence_id._bump_google_revision()
        return result
