# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models

from ..store.meeting_attendees import CREATE_CONTACTS_PARAM


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    crm_google_create_attendee_contacts = fields.Boolean(
        "Create contacts for unknown attendees",
        config_parameter=CREATE_CONTACTS_PARAM,
        help="When a Google meeting lists an address that matches no contact, create a "
        "contact for it. Off: such addresses are only listed on the meeting.",
    )
