# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.exceptions import UserError

# Fields the sync maps to Google: editing them on a read-only Google event
# would be overwritten at the next sync, so the user is told right away.
GOOGLE_MAPPED_FIELDS = frozenset(
    {
        "name",
        "start",
        "stop",
        "allday",
        "start_date",
        "stop_date",
        "description",
        "location",
        "privacy",
        "show_as",
        "rrule",
        "recurrency",
        "rrule_type",
        "interval",
        "count",
        "until",
        "end_type",
        "mon",
        "tue",
        "wed",
        "thu",
        "fri",
        "sat",
        "sun",
        "month_by",
        "day",
        "byday",
        "weekday",
        "event_tz",
        "active",
        "partner_ids",
        "user_id",
    }
)
REVISION_SEQUENCE = "crm_google_calendar_sync_revision_seq"


class CalendarEvent(models.Model):
    _inherit = "calendar.event"

    google_link_ids = fields.One2many(
        "crm.google.event.link", "event_id", string="Google Calendar Links", readonly=True
    )

    google_sync_revision = fields.Integer(
        copy=False,
        readonly=True,
        help="Bumped from a database sequence on every change a user makes to a "
        "synchronised field; the sync pushes events whose revision is newer than "
        "the one it last sent. A sequence, unlike write_date, also orders changes "
        "made within one transaction.",
    )

    def init(self):
        super().init()
        self.env.cr.execute(f"CREATE SEQUENCE IF NOT EXISTS {REVISION_SEQUENCE}")

    def _next_google_revision(self):
        self.env.cr.execute(f"SELECT nextval('{REVISION_SEQUENCE}')")
        return self.env.cr.fetchone()[0]

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.context.get("crm_google_sync"):
            revision = self._next_google_revision()
            vals_list = [dict(vals, google_sync_revision=revision) for vals in vals_list]
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.context.get("crm_google_sync") and GOOGLE_MAPPED_FIELDS & set(vals):
            self._check_google_readonly()
            vals = dict(vals, google_sync_revision=self._next_google_revision())
        return super().write(vals)

    def _check_google_readonly(self):
        """Refuse edits of meetings that Google lets this user only read."""
        user = self.env.user
        links = (
            self.env["crm.google.event.link"]
            .sudo()
            .search(
                [("event_id", "in", self.ids), ("user_id", "=", user.id), ("readonly", "=", True)]
            )
        )
        for link in links:
            raise UserError(
                self.env._(
                    "“%(name)s” comes from the Google calendar “%(calendar)s”, where you "
                    "may not change it. Ask the organiser, or change it in Google.",
                    name=link.event_id.name,
                    calendar=link.calendar_id.name,
                )
            )
