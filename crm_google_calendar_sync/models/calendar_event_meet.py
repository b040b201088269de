# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A Google Meet asked for from Odoo (R8 of docs/attendees.md): the organiser's button
on the meeting form; his next push sends Google a create request, and the link Google
answers with becomes the meeting's video link."""

from odoo import api, fields, models
from odoo.exceptions import UserError

from .. import sync_texts
from ..store.marks import SYNC_MARK_CONTEXT
from ..sync import conference


class CalendarEvent(models.Model):
    _inherit = "calendar.event"

    google_meet_request = fields.Char(
        "Google Meet Request",
        copy=False,
        readonly=True,
        groups="base.group_user",
        help="The request for a Google Meet made with the button on the meeting: sent "
        "to Google with the organiser's next synchronisation until Google answers "
        "with the link. Written by the addon only.",
    )
    google_meet_available = fields.Boolean(
        "Google Meet Can Be Added",
        compute="_compute_google_meet_available",
        groups="base.group_user",
    )

    @api.depends_context("uid")
    @api.depends("user_id", "videocall_location", "google_meet_request", "recurrency")
    def _compute_google_meet_available(self):
        """The button shows for the organiser connected to Google, on a single meeting
        without a video link that Google lets him change."""
        connected = bool(self.env.user._google_token())
        for event in self:
            event.google_meet_available = connected and not event._google_meet_refusal()

    def _google_meet_refusal(self):
        """Why this user may not ask Google for a Meet here ("" when he may)."""
        user = self.env.user
        if user.share or self.user_id != user:
            return self.env._("Only the organiser of a meeting can add a Google Meet.")
        if self.recurrency:
            return self.env._("A Google Meet can be added to single meetings only.")
        if self.videocall_location or self.google_meet_request:
            return self.env._("This meeting already has a video link.")
        readonly = self.env["crm.google.event.link"].sudo().search_count(
            [("event_id", "=", self.id), ("user_id", "=", user.id), ("readonly", "=", True)]
        )
        if readonly:
            return self.env._("Google lets you only read this meeting.")
        return ""

    def action_google_add_meet(self):
        """Ask Google for a Meet: the next synchronisation of the organiser sends the
        request (its id fixed here, so that a retried request makes no second Meet)."""
        self.ensure_one()
        self.check_access("write")
        if not self.env.user._google_token():
            raise UserError(sync_texts.not_connected_text(self.env))
        refusal = self._google_meet_refusal()
        if refusal:
            raise UserError(refusal)
        # A client cannot write the request (sync bookkeeping): marked here, a
        # change for the push like any edit.
        serial = self._next_google_revision()
        self.with_context(**SYNC_MARK_CONTEXT).write(
            {
                "google_meet_request": conference.meet_request_id(self.id, serial),
                "google_sync_revision": serial,
                "google_sync_changed_at": fields.Datetime.now(),
            }
        )
        return True
