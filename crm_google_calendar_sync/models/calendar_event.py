# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..sync import recurrence

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

    google_original_start = fields.Datetime(
        copy=False,
        readonly=True,
        help="Start of this occurrence as its series' rule placed it. Google names "
        "occurrences by it, and Odoo forgets it once the occurrence is moved.",
    )

    def init(self):
        result = super().init()
        # The name is a module constant, never user input; DDL takes no parameters.
        self.env.cr.execute(
            SQL("CREATE SEQUENCE IF NOT EXISTS %s", SQL.identifier(REVISION_SEQUENCE))
        )
        return result

    def _next_google_revision(self):
        self.env.cr.execute("SELECT nextval(%s)", [REVISION_SEQUENCE])
        return self.env.cr.fetchone()[0]

    @api.model_create_multi
    def create(self, vals_list):
        vals_list = [
            dict(vals, google_original_start=vals["start"])
            if vals.get("recurrence_id") and vals.get("start")
            else vals
            for vals in vals_list
        ]
        if not self.env.context.get("crm_google_sync"):
            revision = self._next_google_revision()
            vals_list = [
                # Occurrences that Odoo generates from a rule travel with their
                # series; only a later edit of one makes it a change of its own.
                vals
                if vals.get("recurrence_id") and vals.get("follow_recurrence")
                else dict(vals, google_sync_revision=revision)
                for vals in vals_list
            ]
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.context.get("crm_google_sync") and GOOGLE_MAPPED_FIELDS & set(vals):
            self._check_google_readonly()
            vals = dict(vals, google_sync_revision=self._next_google_revision())
        result = super().write(vals)
        if vals.get("recurrence_id"):
            # The base event joins its series: remember where the rule put it.
            for event in self.filtered(lambda e: not e.google_original_start):
                event.with_context(crm_google_sync=True).google_original_start = event.start
        return result

    def unlink(self):
        if not self.env.context.get("crm_google_sync"):
            self._google_tombstones_for_occurrences()
        return super().unlink()

    def _google_tombstones_for_occurrences(self):
        """Deleting one occurrence of a synced series must cancel that instance
        in Google: leave a link without event, which the next push deletes."""
        occurrences = self.filtered(
            lambda e: e.recurrence_id and e.recurrence_id.base_event_id not in self
        )
        if not occurrences:
            return
        Link = self.env["crm.google.event.link"].sudo()
        series_links = Link.search(
            [
                ("event_id", "in", occurrences.recurrence_id.base_event_id.ids),
                ("readonly", "=", False),
            ]
        )
        own_links = Link.search([("event_id", "in", occurrences.ids)])
        values = []
        for occurrence in occurrences:
            if own_links.filtered(lambda link, o=occurrence: link.event_id == o):
                continue  # its own link (a modified instance) carries the deletion
            original = occurrence.google_original_start or occurrence.start
            for series in series_links.filtered(
                lambda link, o=occurrence: link.event_id == o.recurrence_id.base_event_id
            ):
                google_id = recurrence.instance_id(
                    series.google_event_id, original, occurrence.allday
                )
                values.append(
                    {
                        "user_id": series.user_id.id,
                        "calendar_id": series.calendar_id.id,
                        "google_event_id": google_id,
                        "state": "pending",
                    }
                )
        existing = Link.search([("google_event_id", "in", [v["google_event_id"] for v in values])])
        taken = {(link.calendar_id.id, link.google_event_id) for link in existing}
        Link.create([v for v in values if (v["calendar_id"], v["google_event_id"]) not in taken])

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
