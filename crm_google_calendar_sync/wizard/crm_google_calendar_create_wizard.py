# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models
from odoo.exceptions import UserError

from .. import sync_texts
from ..sync import errors


class CrmGoogleCalendarCreateWizard(models.TransientModel):
    _name = "crm.google.calendar.create.wizard"
    _description = "Create a Google Calendar for Odoo Events"

    name = fields.Char(
        "Calendar Name",
        required=True,
        default=lambda self: self.env._("Odoo CRM"),
        help="A separate Google calendar for your CRM meetings can be hidden in Google "
        "with one click, for example during holidays.",
    )

    def action_create(self):
        self.ensure_one()
        user = self.env.user
        token = user._google_token()
        if not token:
            raise UserError(sync_texts.not_connected_text(self.env))
        name = (self.name or "").strip()
        if not name:
            raise UserError(self.env._("Please enter a name for the new calendar."))
        try:
            client = token._google_client()
            created = client.insert_calendar(name[:255], time_zone=user.tz or None)
            google_calendars = client.list_calendars()
        except errors.GoogleSyncError as exc:
            raise UserError(user._google_sync_error_text(exc)) from None
        if not any(cal.get("id") == created.get("id") for cal in google_calendars):
            # Google's calendar list can lag right after an insert: show it anyway.
            google_calendars.append(dict(created, accessRole="owner"))
        calendars = self.env["crm.google.calendar"]._sync_calendar_list(user, google_calendars)
        target = calendars.filtered(lambda cal: cal.google_id == created.get("id"))
        user.sudo().google_sync_target_calendar_id = target
        return user.action_google_sync_open_settings()
