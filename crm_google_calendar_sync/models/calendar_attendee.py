# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import models
from odoo.tools.sql import create_index

from .calendar_event import is_sync_write


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

    def _subscribe_partner(self):
        # The sync creates the syncing user's own attendance, as that user, and Odoo
        # never subscribes the current user: the per-event follower check would
        # subscribe nobody, yet costs about a tenth of a first import.
        if is_sync_write(self.env) and self.partner_id == self.env.user.partner_id:
            return
        super()._subscribe_partner()
