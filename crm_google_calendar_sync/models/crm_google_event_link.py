# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Link of an Odoo calendar.event to one Google event in one Google calendar."""

from odoo import fields, models


class CrmGoogleEventLink(models.Model):
    _name = "crm.google.event.link"
    _description = "Google Calendar Event Link"
    _rec_name = "google_event_id"
    # Never changed through x2many commands written as superuser.
    _allow_sudo_commands = False

    event_id = fields.Many2one(
        "calendar.event",
        ondelete="set null",
        index=True,
        readonly=True,
        help="Empty once the Odoo event was deleted and the deletion still has to reach Google.",
    )
    user_id = fields.Many2one(
        "res.users", required=True, ondelete="cascade", index=True, readonly=True
    )
    calendar_id = fields.Many2one(
        "crm.google.calendar", required=True, ondelete="cascade", index=True, readonly=True
    )
    google_event_id = fields.Char(required=True, readonly=True)
    ical_uid = fields.Char("iCalUID", index=True, readonly=True)
    etag = fields.Char(readonly=True)
    fingerprint = fields.Char(readonly=True)
    attempted_fingerprint = fields.Char(
        readonly=True,
        help="Fingerprint of the last version sent to Google whose answer never came: "
        "when Google shows it later, it is Odoo's own write, not a newer change.",
    )
    google_updated = fields.Datetime(readonly=True)
    odoo_synced_at = fields.Datetime(
        readonly=True, help="write_date of the Odoo event when it was last in sync."
    )
    odoo_revision = fields.Integer(
        readonly=True, help="google_sync_revision of the Odoo event when it was last in sync."
    )
    readonly = fields.Boolean(
        "Read-only in Google",
        readonly=True,
        help="Google does not let this user change the event (other organizer, "
        "read-only calendar or special event type).",
    )
    state = fields.Selection(
        [
            ("synced", "Synchronised"),
            ("pending", "Pending"),
            ("error", "Error"),
        ],
        default="synced",
        required=True,
        readonly=True,
    )
    error_message = fields.Char(readonly=True)

    _sql_constraints = [
        (
            "calendar_google_event_uniq",
            "unique(calendar_id, google_event_id)",
            "A Google event can be linked only once per calendar.",
        ),
        (
            "event_calendar_uniq",
            "unique(event_id, calendar_id)",
            "An Odoo event can be linked only once per Google calendar.",
        ),
    ]
