# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.exceptions import AccessError, UserError
from odoo.tests import TransactionCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestAccess(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.owner = new_test_user(cls.env, login="gcal_owner", groups="base.group_user")
        cls.other = new_test_user(cls.env, login="gcal_other", groups="base.group_user")
        cls.portal = new_test_user(cls.env, login="gcal_portal", groups="base.group_portal")
        cls.admin = new_test_user(
            cls.env, login="gcal_admin", groups="base.group_user,base.group_system"
        )
        cls.token = cls.env["crm.google.token"].create(
            {
                "user_id": cls.owner.id,
                "access_token": "ya29.secret-access",
                "refresh_token": "1//secret-refresh",
                "google_email": "owner@example.com",
            }
        )
        cls.calendar = cls.env["crm.google.calendar"].create(
            {
                "user_id": cls.owner.id,
                "google_id": "owner@example.com",
                "name": "Owner",
                "access_role": "owner",
                "is_primary": True,
            }
        )
        cls.link = cls.env["crm.google.event.link"].create(
            {
                "user_id": cls.owner.id,
                "calendar_id": cls.calendar.id,
                "google_event_id": "abcdef12345",
            }
        )

    def test_tokens_unreadable_for_everyone_but_admins(self):
        for user in (self.owner, self.other, self.portal):
            with self.subTest(user=user.login):
                token_model = self.env["crm.google.token"].with_user(user)
                with self.assertRaises(AccessError):
                    token_model.search([])
                with self.assertRaises(AccessError):
                    self.token.with_user(user).read(["refresh_token"])
                with self.assertRaises(AccessError):
                    self.token.with_user(user).write({"access_token": "forged"})
                with self.assertRaises(AccessError):
                    token_model.create({"user_id": user.id, "access_token": "forged"})
        as_admin = self.token.with_user(self.admin).read(["refresh_token", "access_token"])
        self.assertEqual(as_admin[0]["refresh_token"], "1//secret-refresh")

    def test_owner_sees_status_not_secrets(self):
        owner = self.owner.with_user(self.owner)
        owner.invalidate_recordset()
        self.assertTrue(owner.google_sync_connected)
        self.assertEqual(owner.google_sync_email, "owner@example.com")
        values = owner.read(["google_sync_state", "google_sync_email"])[0]
        self.assertEqual(values["google_sync_state"], "connected")
        self.assertNotIn("secret", repr(values))

    def test_other_users_calendars_and_links_invisible(self):
        self.assertEqual(
            self.env["crm.google.calendar"].with_user(self.owner).search([]), self.calendar
        )
        self.assertFalse(self.env["crm.google.calendar"].with_user(self.other).search([]))
        self.assertFalse(self.env["crm.google.event.link"].with_user(self.other).search([]))
        with self.assertRaises(AccessError):
            self.calendar.with_user(self.other).read(["name"])
        with self.assertRaises(AccessError):
            self.calendar.with_user(self.owner).write({"name": "renamed"})
        with self.assertRaises(AccessError):
            self.env["crm.google.calendar"].with_user(self.portal).search([])

    def test_other_user_cannot_change_settings_or_revoke(self):
        with self.assertRaises(AccessError):
            self.owner.with_user(self.other).write({"google_sync_private": True})
        with self.assertRaises(UserError):
            self.owner.with_user(self.other).action_google_sync_revoke()
        self.assertTrue(self.token.exists())

    def test_owner_writes_own_settings(self):
        self.owner.with_user(self.owner).write(
            {
                "google_sync_private": True,
                "google_sync_source_calendar_ids": [(6, 0, self.calendar.ids)],
                "google_sync_target_calendar_id": self.calendar.id,
            }
        )
        self.assertTrue(self.owner.google_sync_private)
        self.assertTrue(self.token.sync_enabled)

    def test_admin_sees_all_calendars(self):
        self.assertIn(
            self.calendar, self.env["crm.google.calendar"].with_user(self.admin).search([])
        )
