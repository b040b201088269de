# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The first minutes of a German and an English sales rep in a real browser:
connect, land on the editable sync page, save, and the cron syncs without a
click; private appointments on; access withdrawn and reconnected from the
error; the administrator reads another user's status in English."""

from odoo import fields
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools.translate import code_translations

from .common import EmulatorMixin

MODULE = "crm_google_calendar_sync"
CRON_XMLID = "crm_google_calendar_sync.ir_cron_google_calendar_sync"
LANGS = {"de": "de_DE", "en": "en_US"}


@tagged("post_install", "-at_install")
class TestOnboardingTours(EmulatorMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("de_DE")
        cls.env["ir.module.module"]._load_module_terms(
            ["base", "web", "calendar", "mail", MODULE], ["de_DE"], overwrite=True
        )
        code_translations.python_translations.pop((MODULE, "de_DE"), None)
        # The browser cannot be scripted on the emulator's page (another origin,
        # no tour code there): the emulator approves at once, as Google does for
        # a browser that is signed in and consented before.
        cls.emulator.auto_approve = True
        cls.cron = cls.env.ref(CRON_XMLID)

    def user(self, kind, short_lang):
        """A sales rep of ``kind`` speaking ``short_lang`` and their Google account."""
        email = f"{kind}-{short_lang}@example.com"
        self.emulator.add_account(email, time_zone="Europe/Berlin")
        self.emulator.oauth.auto_approve_email = email
        user = new_test_user(
            self.env,
            login=f"gcal_{kind}_{short_lang}",
            name=f"{kind.title()} {short_lang}",
            groups="base.group_user",
            tz="Europe/Berlin",
            lang=LANGS[short_lang],
        )
        return user, email

    def cron_runs(self):
        """The scheduled action runs, as Odoo's cron worker starts it."""
        self.env.flush_all()
        self.cron.method_direct_trigger()
        self.env.invalidate_all()

    def requested(self, token):
        self.env.invalidate_all()
        triggers = self.env["ir.cron.trigger"].search([("cron_id", "=", self.cron.id)])
        return bool(token.next_sync and token.sync_enabled and triggers)

    def names(self, user):
        events = self.env["calendar.event"].search([("partner_ids", "in", user.partner_id.ids)])
        return set(events.mapped("name"))

    # ------------------------------------------------------------------
    def _first_sync(self, short_lang):
        """Connect and land (the consent alone starts the sync), keep the defaults
        and save, then the cron syncs and the page shows it."""
        user, email = self.user("first", short_lang)
        self.seed_google_event(email, email, f"Kundentermin {short_lang}", 2)
        self.env["ir.cron.trigger"].search([("cron_id", "=", self.cron.id)]).unlink()
        self.start_tour(
            "/odoo", f"crm_google_calendar_sync_first_sync_{short_lang}", login=user.login
        )
        token = self.env["crm.google.token"].search([("user_id", "=", user.id)])
        self.assertTrue(self.requested(token), "the consent alone started the cron")
        self.start_tour(
            "/odoo/google-calendar-sync",
            f"crm_google_calendar_sync_save_{short_lang}",
            login=user.login,
        )
        self.cron_runs()
        self.assertIn(f"Kundentermin {short_lang}", self.names(user))
        self.start_tour(
            "/odoo/google-calendar-sync",
            f"crm_google_calendar_sync_after_cron_{short_lang}",
            login=user.login,
        )

    def test_first_sync_german(self):
        self._first_sync("de")

    def test_first_sync_english(self):
        self._first_sync("en")

    def _private_on(self, short_lang):
        user, email = self.user("private", short_lang)
        token = self.consent(user, email)
        self.seed_google_event(email, email, "Arzttermin aus Google", 3, visibility="private")
        self.cron_runs()
        self.assertNotIn("Arzttermin aus Google", self.names(user))
        self.start_tour(
            "/odoo", f"crm_google_calendar_sync_private_on_{short_lang}", login=user.login
        )
        self.assertTrue(user.google_sync_private)
        self.assertTrue(self.requested(token))
        self.cron_runs()
        self.assertIn("Arzttermin aus Google", self.names(user))
        self.start_tour(
            "/odoo/calendar?view_type=list",
            "crm_google_calendar_sync_meeting_arrived",
            login=user.login,
        )

    def test_private_on_german(self):
        self._private_on("de")

    def test_private_on_english(self):
        self._private_on("en")

    def _reconnect(self, short_lang):
        user, email = self.user("reconnect", short_lang)
        team = self.emulator.add_calendar(email, summary="Team")
        token = self.consent(user, email)
        team_cal = user.google_sync_calendar_ids.filtered(lambda cal: cal.google_id == team)
        user.with_user(user).write({"google_sync_source_calendar_ids": [(4, team_cal.id)]})
        self.cron_runs()
        # Access withdrawn in Google; the next scheduled sync finds out.
        self.emulator.revoke_all(email)
        token.write({"token_expiry": "2000-01-01 00:00:00", "next_sync": fields.Datetime.now()})
        self.cron_runs()
        self.assertEqual(user.google_sync_state, "error")
        self.seed_google_event(email, team, f"Nach dem Wiederverbinden {short_lang}", 2)
        self.start_tour(
            "/odoo", f"crm_google_calendar_sync_reconnect_{short_lang}", login=user.login
        )
        self.assertEqual(user.google_sync_source_calendar_ids.mapped("google_id"), [email, team])
        self.assertTrue(self.requested(token))
        self.cron_runs()
        self.assertIn(f"Nach dem Wiederverbinden {short_lang}", self.names(user))
        self.assertEqual(user.google_sync_state, "connected")

    def test_reconnect_from_the_error_german(self):
        self._reconnect("de")

    def test_reconnect_from_the_error_english(self):
        self._reconnect("en")

    def test_admin_reads_a_german_users_status_in_english(self):
        ben, email = self.user("ben", "de")
        token = self.consent(ben, email)
        self.seed_google_event(email, email, "Angebot für Ben", 2)
        self.cron_runs()
        # Ben reads German …
        german = ben.with_user(ben).with_context(lang="de_DE")
        self.assertIn("Änderung(en) von Google übernommen", german.google_sync_last_result)
        # … then his access is withdrawn, which he is told in German.
        self.emulator.revoke_all(email)
        token.write({"token_expiry": "2000-01-01 00:00:00", "next_sync": fields.Datetime.now()})
        self.cron_runs()
        self.assertIn("verbinden Sie Google erneut", german.google_sync_error)
        admin = self.env.ref("base.user_admin")
        self.assertEqual(admin.lang, "en_US")
        self.start_tour(
            f"/odoo/action-base.action_res_users/{ben.id}",
            "crm_google_calendar_sync_admin_reads_status",
            login="admin",
        )
        log_action = self.env.ref("crm_google_calendar_sync.action_crm_google_sync_log")
        first_run = self.env["crm.google.sync.log"].search(
            [("user_id", "=", ben.id), ("pulled_created", ">", 0)], limit=1
        )
        self.start_tour(
            f"/odoo/action-{log_action.id}/{first_run.id}",
            "crm_google_calendar_sync_admin_reads_log",
            login="admin",
        )
