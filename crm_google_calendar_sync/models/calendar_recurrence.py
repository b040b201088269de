# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import models

from .calendar_event import RECURRENCE_RULE_FIELDS, REVISION_SEQUENCE

# calendar.recurrence fields that change the rule Google gets for the series.
RULE_FIELDS = frozenset({"rrule", *RECURRENCE_RULE_FIELDS})


class CalendarRecurrence(models.Model):
    _inherit = "calendar.recurrence"

    def write(self, vals):
        result = super().write(vals)
        if not self.env.context.get("crm_google_sync") and RULE_FIELDS & set(vals):
            # Odoo changes a rule on the recurrence alone (e.g. "this and following"
            # ends the old series): the series' base event must be pushed again.
            bases = self.base_event_id
            if bases:
                bases.flush_recordset()
                self.env.cr.execute(
                    "UPDATE calendar_event SET google_sync_revision = nextval(%s) WHERE id IN %s",
                    [REVISION_SEQUENCE, tuple(bases.ids)],
                )
                bases.invalidate_recordset(["google_sync_revision"])
        return result
