# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""What the merged product showed when walked in a browser as Ben (German), Anna
(English) and the administrator: every sentence true, in the reader's words."""

from datetime import datetime, timedelta

from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import OnboardingCase


@tagged("post_install", "-at_install")
class TestOnboardingReview(OnboardingCase):
    PREFIX = "rev"
    USER_LANG = "de_DE"

    def refuse_meetings_named(self, name):
        """A real database error when the sync saves a meeting of that name, as a
        failing constraint of another module would raise it."""
        self.env.cr.execute(
            """
            CREATE FUNCTION pg_temp.refuse_meeting() RETURNS trigger AS $$
            BEGIN
                IF NEW.name = %s THEN RAISE EXCEPTION 'refused by a trigger'; END IF;
                RETURN NEW;
            END $$ LANGUAGE plpgsql;
            CREATE TRIGGER refuse_meeting BEFORE INSERT OR UPDATE ON calendar_event
                FOR EACH ROW EXECUTE FUNCTION pg_temp.refuse_meeting();
            """,
            [name],
        )

    # ------------------------------------------------------------------
    # Words
    # ------------------------------------------------------------------
    def test_german_calendar_labels_say_the_direction(self):
        """Issue 14 item 7: the merge had brought back the label without "into Odoo"."""
        labels = (
            self.env["res.users"]
            .with_context(lang="de_DE")
            .fields_get(
                ["google_sync_source_calendar_ids", "google_sync_target_calendar_id"], ["string"]
            )
        )
        self.assertEqual(
            labels["google_sync_source_calendar_ids"]["string"],
            "Google-Kalender, deren Termine in Odoo übernommen werden",
        )
        self.assertEqual(
            labels["google_sync_target_calendar_id"]["string"],
            "Google-Kalender, der die Odoo-Termine erhält",
        )

    def test_administrator_reads_another_users_calendars_without_your(self):
        """Ben's calendars, read by the administrator, are not "your main calendar"."""
        ben = self.new_user()
        shared = self.emulator.add_calendar("rev-anna@example.com", summary="Team")
        self.emulator.share_calendar(shared, self.email, "writer")
        self.consent(ben, self.email)
        as_admin = ben.with_user(self.admin).with_context(lang="en_US")
        names = sorted(as_admin.google_sync_calendar_ids.mapped("display_name"))
        self.assertEqual(
            names,
            [
                "Team (shared by rev-anna@example.com, may be edited)",
                f"{self.email} (main calendar)",
            ],
        )
        # Ben himself still reads his own words.
        own = ben.with_user(ben).with_context(lang="de_DE").google_sync_calendar_ids
        own = own.mapped("display_name")
        self.assertIn(f"{self.email} (Ihr Hauptkalender)", own)
        self.assertIn("Team (geteilt von rev-anna@example.com, Sie dürfen ihn bearbeiten)", own)

    # ------------------------------------------------------------------
    # A meeting whose Google change cannot be saved
    # ------------------------------------------------------------------
    @mute_logger("odoo.sql_db", "odoo.addons.crm_google_calendar_sync.sync.engine")
    def test_quarantined_meeting_says_so_on_its_form_and_on_the_status_page(self):
        ben = self.new_user()
        token = self.consent(ben, self.email)
        event = self.seed_google_event(self.email, self.email, "Budgetplanung", 3)
        self.sync(token)
        meeting = self.env["calendar.event"].search([("name", "=", "Budgetplanung")])
        self.assertEqual(meeting.with_user(ben).google_sync_status, "synced")
        self.refuse_meetings_named("Budgetplanung (verschoben)")
        self.service(self.email).events().patch(
            calendarId=self.email,
            eventId=event["id"],
            body={"summary": "Budgetplanung (verschoben)"},
        ).execute()
        self.sync(token)
        as_ben = meeting.with_user(ben).with_context(lang="de_DE")
        # Tried again at the next sync: the form says that Google's change waits.
        self.assertEqual(as_ben.google_sync_status, "error")
        self.assertIn("erneut versucht", as_ben.google_sync_status_reason)
        self.sync(token)
        self.sync(token)
        self.env.invalidate_all()
        self.assertEqual(as_ben.google_sync_status, "error")
        self.assertIn("bis er in Google geändert wird", as_ben.google_sync_status_reason)
        # A later run without changes does not hide it from the status page.
        self.sync(token)
        user_ben = ben.with_user(ben).with_context(lang="de_DE")
        self.assertIn("Keine Änderungen", user_ben.google_sync_last_result)
        self.assertIn("1 Termin(e) aus Google", user_ben.google_sync_left_out)
        # The administrator reads it in English.
        as_admin = ben.with_user(self.admin).with_context(lang="en_US")
        self.assertIn("1 event(s) from Google", as_admin.google_sync_left_out)
        # Changed again in Google (the cause gone), it comes in and the note goes.
        self.service(self.email).events().patch(
            calendarId=self.email, eventId=event["id"], body={"summary": "Budgetplanung neu"}
        ).execute()
        self.sync(token)
        self.env.invalidate_all()
        self.assertEqual(as_ben.name, "Budgetplanung neu")
        self.assertEqual(as_ben.google_sync_status, "synced")
        self.assertFalse(user_ben.google_sync_left_out)

    # ------------------------------------------------------------------
    # The sync log
    # ------------------------------------------------------------------
    def test_a_failed_run_is_not_summed_up_as_no_changes(self):
        ben = self.new_user()
        token = self.consent(ben, self.email)
        self.sync(token)
        self.emulator.revoke_all(self.email)
        token.write({"token_expiry": "2000-01-01 00:00:00"})
        self.assertIsNone(self.sync(token))
        line = self.env["crm.google.sync.log"].search(
            [("user_id", "=", ben.id)], order="id desc", limit=1
        )
        self.assertEqual(line.state, "failed")
        summary = line.with_user(self.admin).with_context(lang="en_US").summary
        self.assertNotIn("No changes", summary)
        self.assertIn("connect Google again", summary)

    def test_summary_names_only_the_sides_that_changed(self):
        ben = self.new_user(lang="en_US")
        token = self.consent(ben, self.email)
        self.sync(token)
        in_two_days = datetime.utcnow().replace(microsecond=0, second=0) + timedelta(days=2)
        self.meeting(ben, "Angebot Müller", in_two_days)
        self.sync(token)
        self.assertEqual(ben.with_user(ben).google_sync_last_result, "1 change(s) sent to Google.")
        self.seed_google_event(self.email, self.email, "Rückruf", 2)
        self.sync(token)
        self.assertEqual(
            ben.with_user(ben).google_sync_last_result, "1 change(s) from Google applied in Odoo."
        )

    def test_a_user_opens_his_own_sync_log(self):
        ben = self.new_user()
        anna = new_test_user(self.env, login="gcal_rev_anna", groups="base.group_user")
        token = self.consent(ben, self.email)
        self.sync(token)
        action = ben.with_user(ben).action_google_sync_open_log()
        self.assertEqual(action["res_model"], "crm.google.sync.log")
        lines = self.env["crm.google.sync.log"].with_user(ben).search(action["domain"])
        self.assertTrue(lines)
        self.assertEqual(lines.user_id, ben)
        # A colleague's log stays out of reach, whatever domain he sends.
        theirs = self.env["crm.google.sync.log"].with_user(anna).search(action["domain"])
        self.assertFalse(theirs)

    # ------------------------------------------------------------------
    # Which Google calendar a meeting lives in
    # ------------------------------------------------------------------
    def test_meetings_of_two_team_calendars_are_told_apart(self):
        ben = self.new_user()
        own_team = self.emulator.add_calendar(self.email, summary="Team")
        shared = self.emulator.add_calendar("rev-anna2@example.com", summary="Team")
        self.emulator.share_calendar(shared, self.email, "writer")
        self.seed_google_event(self.email, own_team, "Team lunch", 2)
        self.seed_google_event("rev-anna2@example.com", shared, "Team lunch", 2)
        token = self.consent(ben, self.email)
        ben.with_user(ben).write(
            {"google_sync_source_calendar_ids": [(6, 0, ben.google_sync_calendar_ids.ids)]}
        )
        self.sync(token)
        lunches = (
            self.env["calendar.event"]
            .with_user(ben)
            .with_context(lang="de_DE")
            .search([("name", "=", "Team lunch")])
        )
        self.assertEqual(len(lunches), 2)
        self.assertEqual(
            sorted(lunches.mapped("google_sync_calendar")),
            [
                "Team (Ihr Kalender)",
                "Team (geteilt von rev-anna2@example.com, Sie dürfen ihn bearbeiten)",
            ],
        )

    # ------------------------------------------------------------------
    # Where the buttons of the preferences dialog lead
    # ------------------------------------------------------------------
    def test_dialog_buttons_open_the_sync_page_without_stacking_it(self):
        ben = self.new_user()
        self.consent(ben, self.email)
        in_dialog = ben.with_user(ben).with_context(crm_google_sync_from_preferences=True)
        action = in_dialog.action_google_sync_refresh_calendars()
        following = action["params"]["next"]
        self.assertEqual(following["res_model"], "res.users")
        # Opened from the sync page itself, a second "Ben" in the breadcrumbs
        # would lead back to the same page.
        self.assertEqual(following["target"], "main")

    def test_settings_show_what_parallel_jobs_mean_and_dates_as_everywhere(self):
        arch = self.env["res.config.settings"].get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn("max_cron_threads", arch)
        self.env["crm.google.sync.round"]._cron_sync()
        admin_settings = self.env["res.config.settings"].with_user(self.admin)
        text = admin_settings._crm_google_sync_rounds_text()
        if "finished" in text:
            # The language's own date format, as Odoo shows dates everywhere else.
            self.assertRegex(text, r"finished \d\d/\d\d/\d{4} \d\d:\d\d:\d\d")
