# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A neutralized copy of the database (staging, tests) cannot write into the
production Google calendars, and still works once someone connects it to Google
on purpose. Neutralized through Odoo's own mechanism, as ``odoo-bin neutralize``
does it."""

from odoo.modules.neutralize import neutralize_database
from odoo.tests import tagged

from .common import CLIENT_ID, CLIENT_SECRET
from .test_reliability import ReliabilityCase

CLIENT_KEYS = ("crm_google_calendar_sync.client_id", "crm_google_calendar_sync.client_secret")


@tagged("post_install", "-at_install")
class TestRobustNeutralize(ReliabilityCase):
    def test_neutralized_copy_cannot_write_into_production_calendars(self):
        email = "production@example.com"
        user, token = self.connect_user("gcal_neutral", email)
        meeting = self.meeting(user, "Board meeting", self.future(2))
        self.sync(token)
        production_id = meeting.google_link_ids.google_event_id
        production_copy = self.emulator.get_event_raw(email, production_id)

        neutralize_database(self.env.cr)
        self.env.invalidate_all()
        self.registry.clear_cache()

        params = self.env["ir.config_parameter"].sudo()
        self.assertEqual([params.get_param(key) for key in CLIENT_KEYS], [False, False])
        for model in ("crm.google.token", "crm.google.event.link", "crm.google.calendar"):
            records = self.env[model].sudo().with_context(active_test=False).search([])
            self.assertFalse(records, f"{model} left in the copy")
        # Not broken: the user reads "not connected", the settings "not set up".
        status = user.with_user(user).read(["google_sync_state", "google_sync_configured"])[0]
        self.assertEqual(status["google_sync_state"], "not_connected")
        self.assertFalse(status["google_sync_configured"])
        self.assertTrue(meeting.exists())

        # Someone sets up an OAuth client in the copy and connects the same Google
        # account on purpose, then edits the copied meeting.
        params.set_param(CLIENT_KEYS[0], CLIENT_ID)
        params.set_param(CLIENT_KEYS[1], CLIENT_SECRET)
        token = self.reconnect(user, email)
        calendars = self.env["crm.google.calendar"]._sync_calendar_list(
            user, token._google_client().list_calendars()
        )
        user._google_sync_apply_default_choices(calendars)
        meeting.with_user(user).write({"location": "Staging room"})
        self.emulator.reset_requests()
        self.sync(token)
        self.sync(token)
        writes = [
            (r.method, r.path)
            for r in self.emulator.requests
            if r.method in ("PATCH", "PUT", "DELETE") and production_id in r.path
        ]
        self.assertEqual(writes, [], "the copy wrote into production's event")
        self.assertEqual(self.emulator.get_event_raw(email, production_id), production_copy)
        # The copy's own events get ids of their own.
        copy_link = meeting.google_link_ids
        self.assertTrue(copy_link)
        self.assertNotEqual(copy_link.google_event_id, production_id)
