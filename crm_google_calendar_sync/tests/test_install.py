# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestInstall(TransactionCase):
    def test_models_and_contract_fields(self):
        for model in ("crm.google.token", "crm.google.calendar", "crm.google.event.link"):
            self.assertIn(model, self.env)
        calendar_fields = self.env["crm.google.calendar"]._fields
        for name in ("user_id", "google_id", "name", "access_role", "is_primary"):
            self.assertIn(name, calendar_fields)
        user_fields = self.env["res.users"]._fields
        for name in (
            "google_sync_connected",
            "google_sync_email",
            "google_sync_source_calendar_ids",
            "google_sync_target_calendar_id",
            "google_sync_private",
            "google_sync_last_sync",
            "google_sync_state",
            "google_sync_error",
        ):
            self.assertIn(name, user_fields)
        self.assertEqual(
            [key for key, _label in user_fields["google_sync_state"].selection],
            ["not_connected", "connected", "error"],
        )
        for method in (
            "action_google_sync_connect",
            "action_google_sync_revoke",
            "action_google_sync_now",
        ):
            self.assertTrue(callable(getattr(self.env["res.users"], method, None)))

    def test_cron_every_five_minutes(self):
        cron = self.env.ref("crm_google_calendar_sync.ir_cron_google_calendar_sync")
        self.assertTrue(cron.active)
        self.assertEqual((cron.interval_number, cron.interval_type), (5, "minutes"))
        self.assertEqual(cron.model_id.model, "crm.google.sync.round")

    def test_endpoint_defaults_are_googles(self):
        params = self.env["ir.config_parameter"].sudo()
        expected = {
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": "https://oauth2.googleapis.com/token",
            "revoke_uri": "https://oauth2.googleapis.com/revoke",
            "api_root": "https://www.googleapis.com/",
        }
        for key, url in expected.items():
            self.assertEqual(params.get_param(f"crm_google_calendar_sync.{key}"), url)
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(settings.crm_google_api_root, expected["api_root"])
        self.assertTrue(
            settings.crm_google_redirect_uri.endswith("/crm_google_calendar_sync/oauth2callback")
        )

    def test_google_calendar_module_excluded(self):
        module = self.env["ir.module.module"].search([("name", "=", "crm_google_calendar_sync")])
        self.assertEqual(module.state, "installed")
        self.assertIn("google_calendar", module.exclusion_ids.mapped("name"))

    def test_unique_indexes(self):
        self.env.cr.execute(
            """SELECT indexdef FROM pg_indexes
                WHERE tablename IN ('crm_google_event_link', 'crm_google_calendar',
                                    'crm_google_token')"""
        )
        indexes = " ".join(row[0] for row in self.env.cr.fetchall())
        self.assertIn("UNIQUE INDEX crm_google_event_link_calendar_google_event_uniq", indexes)
        # One link per event and calendar, besides the instance links of a series.
        self.assertIn(
            "UNIQUE INDEX crm_google_event_link_event_calendar_own_uniq ON public."
            "crm_google_event_link USING btree (event_id, calendar_id) "
            "WHERE (recurring_event_id IS NULL)",
            indexes,
        )
        self.assertIn(
            "UNIQUE INDEX crm_google_event_link_event_calendar_instance_uniq ON public."
            "crm_google_event_link USING btree (event_id, calendar_id) "
            "WHERE (recurring_event_id IS NOT NULL)",
            indexes,
        )
        self.assertIn("UNIQUE INDEX crm_google_calendar_user_google_id_uniq", indexes)
        self.assertIn("UNIQUE INDEX crm_google_token_user_uniq", indexes)

    def test_cron_takes_requested_users_first(self):
        user = self.env["res.users"].create({"name": "Due", "login": "gcal_due"})
        token = self.env["crm.google.token"].create(
            {"user_id": user.id, "sync_enabled": True, "next_sync": "2000-01-01 00:00:00"}
        )
        scheduler = self.env["crm.google.sync.round"]

        def requested():
            return scheduler._shard_token_ids(0, 1, requested=True)

        self.assertIn(token.id, requested())
        for values in ({"next_sync": False}, {"sync_enabled": False}, {"auth_failed": True}):
            with self.subTest(values=values):
                token.write(dict({"next_sync": "2000-01-01", "sync_enabled": True}, **values))
                token.auth_failed = values.get("auth_failed", False)
                self.assertNotIn(token.id, requested())
