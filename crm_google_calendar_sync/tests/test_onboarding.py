# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The first minutes of a user: connect, the sync starts, the page says what
happens, wider settings bring in what they now cover, every error offers its
fix, and stored results read in the reader's language."""

from urllib.parse import quote

import requests

from odoo.tests import tagged

from .common import OnboardingCase

CRON_XMLID = "crm_google_calendar_sync.ir_cron_google_calendar_sync"


@tagged("post_install", "-at_install")
class TestOnboarding(OnboardingCase):
    PREFIX = "onb"
    USER_LANG = "en_US"

    def delete_in_google(self, path):
        """Delete through Google's API with the user's own access, as in Google's UI."""
        issued = self.emulator.issue_tokens(self.email)
        answer = requests.delete(
            f"{self.emulator.base_url}calendar/v3/{path}",
            headers={"Authorization": f"Bearer {issued['access_token']}"},
            timeout=10,
        )
        self.assertEqual(answer.status_code, 204, answer.text)

    def google_event(self, calendar, summary, days, **extra):
        return self.seed_google_event(self.email, calendar, summary, days, **extra)

    def names(self, user):
        events = self.env["calendar.event"].search([("partner_ids", "in", user.partner_id.ids)])
        return sorted(events.mapped("name"))

    def run_cron(self):
        self.env.flush_all()
        self.env["crm.google.sync.round"]._cron_sync()
        self.env.invalidate_all()

    def triggers(self):
        cron = self.env.ref(CRON_XMLID)
        return self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])

    # ------------------------------------------------------------------
    # Connect: the sync is on at once and the first one needs no click
    # ------------------------------------------------------------------
    def test_consent_starts_the_sync_without_a_click(self):
        user = self.new_user()
        self.google_event(self.email, "Kundentermin", 2)
        triggers = self.triggers()
        token = self.consent(user, self.email)
        # Preselected counts as chosen: on, requested, the cron started.
        self.assertTrue(token.sync_enabled)
        self.assertTrue(token.next_sync)
        self.assertGreater(self.triggers(), triggers)
        self.assertTrue(user.google_sync_enabled)
        self.assertIn("On: every 5 minutes", user.google_sync_schedule)
        self.assertEqual(user.google_sync_next_sync, "Within the next minute")
        self.assertFalse(user.google_sync_last_sync, "the page says “never”")
        self.run_cron()
        self.assertIn("Kundentermin", self.names(user))
        self.assertTrue(user.google_sync_last_sync)
        self.assertIn("1 change(s) from Google", user.google_sync_last_result)
        self.assertIn("In about 5 minutes", user.google_sync_next_sync)

    def test_no_calendar_chosen_means_off(self):
        user = self.new_user()
        token = self.consent(user, self.email)
        user.with_user(user).write(
            {
                "google_sync_source_calendar_ids": [(5, 0, 0)],
                "google_sync_target_calendar_id": False,
            }
        )
        self.assertFalse(token.sync_enabled)
        self.assertFalse(user.google_sync_next_sync)
        self.assertIn("Off: choose at least one calendar", user.google_sync_schedule)
        action = user.with_user(user).action_google_sync_save()
        self.assertIn("off until you choose", action["params"]["message"])

    def test_save_confirms_even_without_changes(self):
        user = self.new_user()
        token = self.consent(user, self.email)
        self.run_cron()
        self.assertFalse(token.next_sync)
        action = user.with_user(user).action_google_sync_save()
        self.assertEqual(action["tag"], "display_notification")
        self.assertEqual(action["params"]["type"], "success")
        self.assertIn("synchronised now and then every 5 minutes", action["params"]["message"])
        self.assertTrue(token.next_sync, "saving asks for a sync right away")
        # The preferences dialog: a notification and the dialog closes, unless the
        # language changed (then the interface reloads in it).
        as_user = user.with_user(user).with_context(lang="en_US", tz="Europe/Berlin")
        action = as_user.preference_save()
        self.assertEqual(action["params"]["next"], {"type": "ir.actions.act_window_close"})
        as_user.write({"lang": "de_DE"})
        self.assertEqual(as_user.preference_save()["tag"], "reload_context")

    def test_texts_show_the_configured_interval(self):
        user = self.new_user()
        self.consent(user, self.email)
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("crm_google_calendar_sync.sync_interval_minutes", "1")
        self.env.invalidate_all()
        self.assertIn("On: every minute,", user.google_sync_schedule)
        self.assertIn(
            "every minute", user.with_user(user).action_google_sync_save()["params"]["message"]
        )
        params.set_param("crm_google_calendar_sync.sync_interval_minutes", "15")
        params.set_param("crm_google_calendar_sync.window_days", "60")
        self.env.invalidate_all()
        self.assertIn("every 15 minutes, meetings of the last 60 days", user.google_sync_schedule)
        settings = self.env["res.config.settings"].with_user(self.admin).create({})
        self.assertIn("every 15 minutes", settings.crm_google_sync_schedule)
        german = user.with_context(lang="de_DE")
        self.assertIn("alle 15 Minuten", german.google_sync_schedule)

    # ------------------------------------------------------------------
    # Settings that widen the rules
    # ------------------------------------------------------------------
    def test_private_on_brings_in_existing_private_appointments(self):
        user = self.new_user()
        token = self.consent(user, self.email)
        self.google_event(self.email, "Öffentlich", 2)
        self.google_event(self.email, "Arzttermin", 3, visibility="private")
        self.run_cron()
        self.assertEqual(self.names(user), ["Öffentlich"])
        user.with_user(user).write({"google_sync_private": True})
        self.assertTrue(token.next_sync, "the change is synchronised right away")
        report = self.sync(token)
        self.assertEqual(self.names(user), ["Arzttermin", "Öffentlich"])
        self.assertEqual((report.pulled_created, report.pulled_updated), (1, 0), report)
        # The next cycle is idle again: incremental, nothing written.
        calendar = user.google_sync_source_calendar_ids
        self.env.cr.execute(
            "SELECT write_date FROM crm_google_calendar WHERE id = %s", [calendar.id]
        )
        before = self.env.cr.fetchone()
        self.emulator.reset_requests()
        report = self.sync(token)
        self.assertFalse(report.changed_anything, report)
        lists = [r for r in self.emulator.requests if r.api_call == "events.list"]
        self.assertTrue(all("syncToken" in r.query for r in lists), "incremental again")
        self.env.cr.execute(
            "SELECT write_date FROM crm_google_calendar WHERE id = %s", [calendar.id]
        )
        self.assertEqual(self.env.cr.fetchone(), before)

    def test_longer_window_brings_in_older_events(self):
        user = self.new_user()
        token = self.consent(user, self.email)
        self.google_event(self.email, "Vor 45 Tagen", -45)
        self.google_event(self.email, "Morgen", 1)
        self.run_cron()
        self.assertEqual(self.names(user), ["Morgen"])
        self.env["ir.config_parameter"].with_user(self.admin).set_param(
            "crm_google_calendar_sync.window_days", "60"
        )
        report = self.sync(token)
        self.assertEqual(self.names(user), ["Morgen", "Vor 45 Tagen"])
        self.assertEqual((report.pulled_created, report.pulled_updated), (1, 0), report)

    def test_newly_chosen_source_calendar_and_one_seen_before(self):
        user = self.new_user()
        token = self.consent(user, self.email)
        projects = self.emulator.add_calendar(self.email, summary="Projekte")
        self.google_event(projects, "Projektstart", 2)
        self.google_event(projects, "Privat im Projekt", 4, visibility="private")
        self.run_cron()
        self.assertNotIn("Projektstart", self.names(user))
        projects_cal = user.google_sync_calendar_ids.filtered(lambda c: c.google_id == projects)
        as_user = user.with_user(user)
        as_user.write({"google_sync_source_calendar_ids": [(4, projects_cal.id)]})
        self.sync(token)
        self.assertIn("Projektstart", self.names(user))
        self.assertNotIn("Privat im Projekt", self.names(user))
        # Seen before under narrower rules: left out of the selection, private
        # turned on meanwhile, chosen again -> what it left out arrives.
        as_user.write({"google_sync_source_calendar_ids": [(3, projects_cal.id)]})
        as_user.write({"google_sync_private": True})
        self.sync(token)
        as_user.write({"google_sync_source_calendar_ids": [(4, projects_cal.id)]})
        report = self.sync(token)
        self.assertIn("Privat im Projekt", self.names(user))
        self.assertEqual(self.names(user).count("Projektstart"), 1)
        self.assertEqual(report.pulled_updated, 0, report)

    # ------------------------------------------------------------------
    # Every error state offers the action that ends it
    # ------------------------------------------------------------------
    def test_access_withdrawn_offers_reconnect_which_keeps_the_choices(self):
        user = self.new_user()
        team = self.emulator.add_calendar(self.email, summary="Team")
        token = self.consent(user, self.email)
        team_cal = user.google_sync_calendar_ids.filtered(lambda c: c.google_id == team)
        user.with_user(user).write(
            {
                "google_sync_source_calendar_ids": [(4, team_cal.id)],
                "google_sync_target_calendar_id": team_cal.id,
            }
        )
        self.run_cron()
        self.emulator.revoke_all(self.email)
        token.write({"token_expiry": "2000-01-01 00:00:00"})
        self.assertIsNone(self.sync(token))
        self.assertEqual(user.google_sync_state, "error")
        self.assertEqual(user.google_sync_fix, "reconnect")
        self.assertIn("connect Google again", user.google_sync_error)
        self.assertIn("Paused", user.google_sync_schedule)
        self.assertFalse(user.google_sync_next_sync)
        action = user.with_user(user).action_google_sync_connect()
        self.assertEqual(action["url"], "/crm_google_calendar_sync/connect")
        # The consent again: the choices stay, the sync resumes without a click.
        sources = user.google_sync_source_calendar_ids
        self.consent(user, self.email)
        self.assertEqual(user.google_sync_source_calendar_ids, sources)
        self.assertEqual(user.google_sync_target_calendar_id, team_cal)
        self.assertEqual(user.google_sync_state, "connected")
        self.assertFalse(user.google_sync_error)
        self.assertTrue(token.next_sync)
        self.google_event(team, "Nach dem Wiederverbinden", 2)
        self.run_cron()
        self.assertIn("Nach dem Wiederverbinden", self.names(user))

    def test_vanished_calendar_offers_saving_the_choices(self):
        user = self.new_user()
        crm = self.emulator.add_calendar(self.email, summary="CRM")
        token = self.consent(user, self.email)
        crm_cal = user.google_sync_calendar_ids.filtered(lambda c: c.google_id == crm)
        user.with_user(user).write({"google_sync_source_calendar_ids": [(4, crm_cal.id)]})
        self.run_cron()
        self.delete_in_google(f"calendars/{quote(crm)}")
        token.sudo().calendar_list_checked = False
        self.sync(token)
        self.assertEqual(user.google_sync_fix, "save")
        self.assertIn("CRM", user.google_sync_error)
        # Saving the remaining choice, unchanged, ends it.
        user.with_user(user).action_google_sync_save()
        self.env.invalidate_all()
        self.assertEqual(user.google_sync_state, "connected")
        self.assertFalse(user.google_sync_error)

    def test_google_unreachable_offers_trying_again(self):
        user = self.new_user()
        token = self.consent(user, self.email)
        self.emulator.faults.add("503", times=None)
        self.emulator.faults.add("drop", times=None)
        self.env["ir.config_parameter"].sudo().set_param(
            "crm_google_calendar_sync.retry_budget_seconds", "0"
        )
        self.assertIsNone(self.sync(token))
        self.assertEqual(user.google_sync_fix, "retry")
        self.emulator.faults.clear()
        action = user.with_user(user).action_google_sync_now()
        self.assertEqual(action["params"]["type"], "success", action)
        self.env.invalidate_all()
        self.assertEqual(user.google_sync_state, "connected")

    # ------------------------------------------------------------------
    # Stored results in the reader's language
    # ------------------------------------------------------------------
    def test_results_and_log_read_in_the_readers_language(self):
        ben = self.new_user(lang="de_DE")
        token = self.consent(ben, self.email)
        self.google_event(self.email, "Angebot besprechen", 2)
        self.run_cron()
        as_admin = ben.with_user(self.admin).with_context(lang="en_US")
        as_ben = ben.with_user(ben).with_context(lang="de_DE")
        self.assertIn("1 change(s) from Google", as_admin.google_sync_last_result)
        self.assertIn("1 Änderung(en) von Google", as_ben.google_sync_last_result)
        self.assertIn("On: every 5 minutes", as_admin.google_sync_schedule)
        self.assertIn("alle 5 Minuten", as_ben.google_sync_schedule)
        log = self.env["crm.google.sync.log"].search([("user_id", "=", ben.id)], limit=1)
        self.assertIn("Created in Odoo: Angebot besprechen", log.with_user(self.admin).change_lines)
        # The same stored line, read by Ben.
        self.assertIn(
            "In Odoo angelegt: Angebot besprechen", log.with_context(lang="de_DE").change_lines
        )
        # An error, stored as a code, is worded for each reader.
        self.emulator.revoke_all(self.email)
        token.write({"token_expiry": "2000-01-01 00:00:00"})
        self.sync(token)
        self.assertIn("connect Google again", as_admin.google_sync_error)
        self.assertIn("verbinden Sie Google erneut", as_ben.google_sync_error)

    def test_last_changes_after_a_sync_without_changes(self):
        user = self.new_user()
        token = self.consent(user, self.email)
        self.google_event(self.email, "Einmal", 2)
        self.run_cron()
        self.assertIn("1 change(s) from Google", user.google_sync_last_result)
        action = user.with_user(user).action_google_sync_now()
        self.assertIn("No changes", action["params"]["message"])
        self.env.invalidate_all()
        self.assertIn("No changes", user.google_sync_last_result)
        self.assertTrue(token.initial_sync_done)

    def test_reload_calendar_list_confirms(self):
        user = self.new_user()
        self.consent(user, self.email)
        self.emulator.add_calendar(self.email, summary="Neu")
        action = user.with_user(user).action_google_sync_refresh_calendars()
        self.assertEqual(action["params"]["type"], "success")
        self.assertIn("2 Google calendar(s)", action["params"]["message"])
        self.assertIn("Neu", user.google_sync_calendar_ids.mapped("name"))
        # From the preferences dialog, the full sync page opens with the result.
        in_dialog = user.with_user(user).with_context(crm_google_sync_from_preferences=True)
        action = in_dialog.action_google_sync_refresh_calendars()
        self.assertEqual(action["params"]["next"]["res_model"], "res.users")

    # ------------------------------------------------------------------
    # Calendars users can tell apart
    # ------------------------------------------------------------------
    def test_calendars_say_whose_they_are(self):
        user = self.new_user()
        self.emulator.add_calendar(self.email, summary="Team")
        shared = self.emulator.add_calendar("onb-anna@example.com", summary="Team")
        self.emulator.share_calendar(shared, self.email, "writer")
        holidays = self.emulator.add_calendar(self.email, summary="Feiertage", access_role="reader")
        self.consent(user, self.email)
        names = sorted(user.with_user(user).google_sync_calendar_ids.mapped("display_name"))
        owner = self.emulator.backend.calendars[holidays].owner
        self.assertEqual(
            names,
            [
                f"Feiertage (shared by {owner}, read only)",
                "Team (shared by onb-anna@example.com, you may edit it)",
                "Team (your calendar)",
                f"{self.email} (your main calendar)",
            ],
        )
        german = user.with_user(user).google_sync_calendar_ids.with_context(lang="de_DE")
        self.assertIn(
            "Team (geteilt von onb-anna@example.com, Sie dürfen ihn bearbeiten)",
            german.mapped("display_name"),
        )
