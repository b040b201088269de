# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from itertools import islice

from odoo import api, fields, models
from odoo.addons.calendar.models.calendar_recurrence import MAX_RECURRENT_EVENT

from ..store.marks import is_sync_write
from .calendar_event import RECURRENCE_RULE_FIELDS, REVISION_SEQUENCE, without_google_bookkeeping

# calendar.recurrence fields that change the rule Google gets for the series.
RULE_FIELDS = frozenset({"rrule", *RECURRENCE_RULE_FIELDS})
# The sync's bookkeeping on a series: written by the addon only.
RECURRENCE_BOOKKEEPING_FIELDS = frozenset(
    {"google_sync_revision", "google_start_revision", "google_dtstart", "google_week_start"}
)
# Recurrences the sync created or changed in the current transaction.
SYNCED_KEY = "crm_google_calendar_sync.recurrences_from_google"


class CalendarRecurrence(models.Model):
    _inherit = "calendar.recurrence"

    google_sync_revision = fields.Integer(
        copy=False,
        readonly=True,
        help="Bumped on every change a user makes to the whole series (its rule, or "
        "all its events at once); the sync sends the series to Google when it is "
        "newer than the one last sent. Changes of single occurrences bump theirs.",
    )
    google_start_revision = fields.Integer(
        "Google Sync Revision at Creation",
        copy=False,
        readonly=True,
        help="The revision the series was made with in Odoo (0: it came from Google). "
        "Its occurrences changed on their own after that are sent to Google as "
        "changed instances.",
    )
    google_dtstart = fields.Datetime(
        "First Start in Google",
        copy=False,
        readonly=True,
        help="The first start of the series' rule as Google knows it. It stays when "
        "Odoo makes another occurrence the series' base (e.g. the first one was "
        "deleted), so the rule Google has does not move.",
    )

    google_week_start = fields.Char(
        "Week Start in Google",
        size=2,
        copy=False,
        readonly=True,
        help="First day of the week (MO..SU) of a series' rule in Google: it decides "
        "which weeks a rule 'every few weeks' takes. Empty for series made in Odoo, "
        "which use the week of the user's language.",
    )

    def _written_by_sync(self):
        """Ids the sync wrote in this transaction (cleared at commit/rollback)."""
        return self.env.cr.precommit.data.setdefault(SYNCED_KEY, set())

    @api.model_create_multi
    def create(self, vals_list):
        if not is_sync_write(self.env):
            revision = self.env["calendar.event"]._next_google_revision()
            vals_list = [
                dict(
                    without_google_bookkeeping(vals, RECURRENCE_BOOKKEEPING_FIELDS),
                    google_sync_revision=revision,
                    google_start_revision=revision,
                )
                for vals in vals_list
            ]
        recurrences = super().create(vals_list)
        if is_sync_write(self.env):
            recurrences._written_by_sync().update(recurrences.ids)
        return recurrences

    def write(self, vals):
        from_sync = is_sync_write(self.env)
        if from_sync:
            self._written_by_sync().update(self.ids)
        else:
            vals = without_google_bookkeeping(vals, RECURRENCE_BOOKKEEPING_FIELDS)
            if not vals:
                return True  # nothing left of a client's write: not even a write date
        old_bases = {rec: rec.base_event_id for rec in self} if "base_event_id" in vals else {}
        result = super().write(vals)
        if not from_sync and RULE_FIELDS & set(vals):
            # Odoo changes a rule on the recurrence alone (e.g. "this and following"
            # ends the old series): the series must be sent again. Not when Odoo
            # only recomputes the rule text of a series the sync has just written
            # (recomputation runs without the sync's context).
            synced = self._written_by_sync()
            changed = self.filtered(lambda rec: rec.id not in synced)
            if changed:
                # Odoo lets any employee write any recurrence; its rule reaches
                # Google only for series the user may change.
                changed.base_event_id.check_access("write")
                changed._bump_google_revision()
        for rec, old_base in old_bases.items():
            if rec.base_event_id and rec.base_event_id != old_base:
                rec._google_rebase_series_links(old_base)
        return result

    def _google_rebase_series_links(self, old_base):
        """The series' links (not the instance links) live on its base event: move
        them there from the former base or any other event of the series."""
        self.ensure_one()
        events = (old_base | self.with_context(active_test=False).calendar_event_ids).exists()
        self.env["crm.google.event.link"].sudo().search(
            [
                ("event_id", "in", (events - self.base_event_id).ids),
                ("recurring_event_id", "=", False),
            ]
        ).write({"event_id": self.base_event_id.id})

    def _bump_google_revision(self):
        """Mark the series as changed by a user as a whole."""
        if not self:
            return
        self.flush_recordset(["google_sync_revision"])
        self.env.cr.execute(
            "UPDATE calendar_recurrence SET google_sync_revision = nextval(%s) WHERE id IN %s",
            [REVISION_SEQUENCE, tuple(self.ids)],
        )
        self.invalidate_recordset(["google_sync_revision"])

    def _google_attended_by(self, partner):
        """Does ``partner`` attend (not declined) any occurrence of this series?"""
        return bool(
            self.env["calendar.attendee"]
            .sudo()
            .search_count(
                [
                    ("event_id.recurrence_id", "=", self.id),
                    ("event_id.active", "=", True),
                    ("partner_id", "=", partner.id),
                    ("state", "!=", "declined"),
                ],
                limit=1,
            )
        )

    def _get_occurrences(self, dtstart):
        # Odoo caps a count or an endless rule at MAX_RECURRENT_EVENT occurrences but
        # not an end date: a Google series "until 9999-12-31" would expand until the
        # memory runs out. Every rule stops at the same cap.
        return islice(super()._get_occurrences(dtstart), MAX_RECURRENT_EVENT)
