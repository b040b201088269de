# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The preferences dialog in a real browser: connect Google, choose calendars, save."""

from odoo.tests import HttpCase, new_test_user, tagged

from .common import EmulatorMixin

GOOGLE_EMAIL = "tour.user@example.com"  # same as in the tour


@tagged("post_install", "-at_install")
class TestPreferencesTour(EmulatorMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = new_test_user(
            cls.env,
            login="gcal_tour_user",
            name="Tour User",
            groups="base.group_user",
            tz="Europe/Berlin",
        )
        cls.emulator.add_account(GOOGLE_EMAIL, time_zone="Europe/Berlin")
        cls.crm_calendar = cls.emulator.add_calendar(
            GOOGLE_EMAIL, summary="CRM Appointments", access_role="owner"
        )
        cls.shared_calendar = cls.emulator.add_calendar(
            GOOGLE_EMAIL, summary="Shared Team Calendar", access_role="reader"
        )
        # The browser cannot be scripted on the emulator's page (another origin,
        # no tour code there): the emulator approves at once, as Google does for
        # a browser that is signed in and consented before.
        cls.emulator.auto_approve = True
        cls.emulator.oauth.auto_approve_email = GOOGLE_EMAIL

    def test_connect_and_configure_from_preferences(self):
        self.emulator.reset_requests()
        self.start_tour("/odoo", "crm_google_calendar_sync_preferences", login=self.user.login)

        # The browser really went through Google's consent and token endpoints.
        calls = [record.api_call for record in self.emulator.requests]
        self.assertIn("oauth.authorize", calls)
        self.assertEqual(calls.count("oauth.token"), 1)

        self.env.invalidate_all()
        token = self.env["crm.google.token"].sudo().search([("user_id", "=", self.user.id)])
        self.assertEqual(token.google_email, GOOGLE_EMAIL)
        self.assertIn(token.refresh_token, self.emulator.oauth.refresh_tokens)
        self.assertEqual(self.user.google_sync_state, "connected")
        # What the user chose and saved in the dialog.
        self.assertEqual(
            set(self.user.google_sync_source_calendar_ids.mapped("google_id")),
            {GOOGLE_EMAIL, self.shared_calendar},
        )
        self.assertEqual(self.user.google_sync_target_calendar_id.google_id, self.crm_calendar)
        self.assertTrue(self.user.google_sync_private)
        # Saving the settings starts the synchronisation.
        self.assertTrue(token.sync_enabled)
