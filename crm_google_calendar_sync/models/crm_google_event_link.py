# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Link of an Odoo calendar.event to one Google event in one Google calendar.

A series has one link for its master (on the series' base event) and one per
instance Google keeps on its own (an exception, on that occurrence; or, without
event, an occurrence deleted in Odoo whose cancellation is still to be sent):
these carry the master's id in ``recurring_event_id``. The first occurrence may
carry both its series' link and its own.
"""

from odoo import fields, models
from odoo.tools import SQL

# One link per event and calendar, besides the instance links of occurrences.
UNIQUE_INDEXES = {
    "crm_google_event_link_event_calendar_own_uniq": "recurring_event_id IS NULL",
    "crm_google_event_link_event_calendar_instance_uniq": "recurring_event_id IS NOT NULL",
}


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
    recurring_event_id = fields.Char(
        "Google Series",
        index="btree_not_null",
        readonly=True,
        help="For an instance of a series: the Google id of the series.",
    )
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
    guest_copy = fields.Boolean(
        "Invitation",
        readonly=True,
        help="Google's invitation of this attendee to a meeting another user organises "
        "and synchronises: only his answer travels through it.",
    )
    private_copy = fields.Boolean(
        readonly=True,
        help="Inserted as Google's private copy, with the attendee list: a meeting "
        "whose organiser has no Google connection (nobody is invited by it).",
    )
    google_answer = fields.Char(
        "Answer in Google",
        readonly=True,
        help="The attendee's own answer to a meeting organised outside Odoo, as both "
        "sides last had it: only his answer travels through his copy.",
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
    ]

    def init(self):
        result = super().init()
        # The first release allowed one link per event and calendar, which left no
        # room for the first occurrence's own link next to its series' link.
        self.env.cr.execute(
            "ALTER TABLE crm_google_event_link "
            "DROP CONSTRAINT IF EXISTS crm_google_event_link_event_calendar_uniq"
        )
        for name, where in UNIQUE_INDEXES.items():
            # Constant names and conditions; DDL takes no parameters.
            self.env.cr.execute(
                SQL(
                    "CREATE UNIQUE INDEX IF NOT EXISTS %s ON crm_google_event_link "
                    "(event_id, calendar_id) WHERE %s",
                    SQL.identifier(name),
                    SQL(where),
                )
            )
        return result
