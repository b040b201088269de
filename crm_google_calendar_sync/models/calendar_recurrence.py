# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, models

from .calendar_event import RECURRENCE_RULE_FIELDS, REVISION_SEQUENCE, is_sync_write

# calendar.recurrence fields that change the rule Google gets for the series.
RULE_FIELDS = frozenset({"rrule", *RECURRENCE_RULE_FIELDS})
# Recurrences the sync created or changed in the current transaction.
SYNCED_KEY = "crm_google_calendar_sync.recurrences_from_google"


class CalendarRecurrence(models.Model):
    _inherit = "calendar.recurrence"

    def _written_by_sync(self):
        """Ids the sync wrote in this transaction (cleared at commit/rollback)."""
        return self.env.cr.precommit.data.setdefault(SYNCED_KEY, set())

    @api.model_create_multi
    def create(self, vals_list):
        recurrences = super().create(vals_list)
        if is_sync_write(self.env):
            recurrences._written_by_sync().update(recurrences.ids)
        return recurrences

    def write(self, vals):
        from_sync = is_sync_write(self.env)
        if from_sync:
            self._written_by_sync().update(self.ids)
        result = super().write(vals)
        if not from_sync and RULE_FIELDS & set(vals):
            # Odoo changes a rule on the recurrence alone (e.g. "this and following"
            # ends the old series): the series' base event must be pushed again.
            # Not when Odoo only recomputes the rule text of a series the sync has
            # just written (recomputation runs without the sync's context).
            synced = self._written_by_sync()
            bases = self.filtered(lambda rec: rec.id not in synced).base_event_id
            if bases:
                # Odoo lets any employee write any recurrence; its rule reaches
                # Google only for series the user may change.
                bases.check_access("write")
                bases.flush_recordset()
                self.env.cr.execute(
                    "UPDATE calendar_event SET google_sync_revision = nextval(%s) WHERE id IN %s",
                    [REVISION_SEQUENCE, tuple(bases.ids)],
                )
                bases.invalidate_recordset(["google_sync_revision"])
        return result
