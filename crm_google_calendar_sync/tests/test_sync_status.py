# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Status the user can see: the sync log and the per-event sync indicator."""

from datetime import datetime, timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from ..store.marks import SYNC_MARK_CONTEXT
from ..sync.port import SyncReport
from .common import SyncCase

BOB = "status-bob@example.com"


def _google_time(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


@tagged("post_install", "-at_install")
class TestSyncStatus(SyncCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bob, cls.bob_token = cls.connect_user("gcal_status_bob", BOB)
        cls.admin = new_test_user(
            cls.env, login="gcal_status_admin", groups="base.group_user,base.group_system"
        )
        cls.Log = cls.env["crm.google.sync.log"]

    def setUp(self):
        super().setUp()
        # The emulator keeps its state across tests (no rollback there): every
        # test syncs a Google account of its own.
        name = self._testMethodName.removeprefix("test_")
        self.email = f"status-{name}@example.com"
        self.alice, self.alice_token = self.connect_user(f"gcal_status_{name}", self.email)

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------
    def sync(self, token=None, expect_ran=True):
        return super().sync(token or self.alice_token, expect_ran)

    def logs(self, user):
        return self.Log.sudo().search([("user_id", "=", user.id)])

    def future(self, days):
        return datetime.utcnow().replace(microsecond=0, second=0) + timedelta(days=days)

    def meeting(self, user, name, days=3):
        start = self.future(days)
        return (
            self.env["calendar.event"]
            .with_user(user)
            .create(
                {
                    "name": name,
                    "start": fields.Datetime.to_string(start),
                    "stop": fields.Datetime.to_string(start + timedelta(hours=1)),
                    "partner_ids": [(6, 0, user.partner_id.ids)],
                }
            )
        )

    def seed_google_event(self, email, summary, days=2):
        start = self.future(days)
        return self.emulator.add_event(
            email,
            email,
            {
                "summary": summary,
                "start": {"dateTime": _google_time(start)},
                "end": {"dateTime": _google_time(start + timedelta(hours=1))},
            },
        )

    def revoke(self, email, token):
        self.emulator.revoke_all(email)
        # An expired access token makes the sync refresh it, which Google refuses.
        token.write({"token_expiry": "2000-01-01 00:00:00"})

    def status(self, event, user):
        event = event.with_user(user)
        event.invalidate_recordset(["google_sync_status", "google_sync_status_reason"])
        return event.google_sync_status, event.google_sync_status_reason

    # ------------------------------------------------------------------
    # The log model (independent of where the sync calls it)
    # ------------------------------------------------------------------
    def test_record_counts_and_idle_run_writes_nothing(self):
        self.seed_google_event(self.email, "Aus Google")
        self.meeting(self.alice, "Aus Odoo")
        report = self.sync()
        self.assertEqual((report.pulled_created, report.pushed_inserted), (1, 1), report)

        log = self.Log._record(self.alice_token, report, 1.25, "cron")
        self.assertEqual(len(log), 1)
        self.assertEqual(log.user_id, self.alice)
        self.assertEqual(log.state, "success")
        self.assertEqual(log.trigger, "cron")
        self.assertEqual((log.pulled_created, log.pulled_updated, log.pulled_deleted), (1, 0, 0))
        self.assertEqual((log.pushed_inserted, log.pushed_updated, log.pushed_deleted), (1, 0, 0))
        self.assertEqual((log.pulled_total, log.pushed_total), (1, 1))
        self.assertEqual((log.conflicts, log.skipped_count), (0, 0))
        self.assertFalse(log.error_message)
        self.assertAlmostEqual(log.duration, 1.25)
        self.assertLessEqual(log.date_start, fields.Datetime.now() - timedelta(seconds=1))

        idle = self.sync()
        self.assertFalse(idle.changed_anything, idle)
        before = self.Log.sudo().search_count([])
        self.assertFalse(self.Log._record(self.alice_token, idle, 0.1, "cron"))
        self.assertEqual(self.Log.sudo().search_count([]), before)

    def test_record_partial_run_in_plain_language(self):
        report = SyncReport(
            pulled_updated=2,
            pushed_updated=1,
            conflicts=1,
            skipped=[(11, "forbidden"), (12, "end_before_start"), (13, "end_before_start")],
            errors=["forbidden"],
        )
        log = self.Log._record(self.alice_token, report, 0.5, "manual")
        self.assertEqual(log.state, "partial")
        self.assertEqual(log.trigger, "manual")
        self.assertEqual((log.pulled_updated, log.pushed_updated, log.conflicts), (2, 1, 1))
        self.assertEqual(log.skipped_count, 3)
        self.assertIn("The event ends before it starts. (2 times)", log.skipped_reasons)
        self.assertIn("Google refused the change", log.skipped_reasons)
        self.assertIn("Google refused the change", log.error_message)
        # No raw reason code is shown where a plain text exists.
        self.assertNotIn("end_before_start", log.skipped_reasons)
        # Unknown and temporary codes still read as sentences.
        self.assertEqual(
            self.Log._reason_text("weirdReason"), "Google reported a problem (weirdReason)."
        )
        self.assertIn("temporary problem", self.Log._reason_text("http_503"))

    def test_record_failed_run_uses_the_plain_reason(self):
        self.revoke(self.email, self.alice_token)
        report = self.sync()
        self.assertIsNone(report)
        log = self.Log._record(self.alice_token, None, 0.3, "cron")
        self.assertEqual(log.state, "failed")
        self.assertIn("connect Google again", log.error_message)
        self.assertNotIn(self.alice_token.refresh_token, log.error_message)
        explicit = self.Log._record(self.alice_token, None, 0.3, "cron", error_message="Kaputt")
        self.assertEqual(explicit.error_message, "Kaputt")
        # An error alone is worth a line even when the report is idle.
        idle_with_error = self.Log._record(
            self.alice_token, SyncReport(), 0.1, "cron", error_message="Kalender weg"
        )
        self.assertEqual(idle_with_error.state, "partial")

    def test_autovacuum_removes_only_old_logs(self):
        old, recent = self.Log.sudo().create(
            [
                {
                    "user_id": self.alice.id,
                    "date_start": fields.Datetime.now() - timedelta(days=31),
                    "pulled_created": 1,
                },
                {
                    "user_id": self.alice.id,
                    "date_start": fields.Datetime.now() - timedelta(days=29),
                    "pulled_created": 1,
                },
            ]
        )
        self.assertTrue(getattr(type(self.Log)._gc_old_logs, "_autovacuum", False))
        self.Log._gc_old_logs()
        self.assertFalse(old.exists())
        self.assertTrue(recent.exists())

    def test_users_see_only_their_own_logs(self):
        mine, theirs = self.Log.sudo().create(
            [
                {"user_id": self.alice.id, "date_start": fields.Datetime.now()},
                {"user_id": self.bob.id, "date_start": fields.Datetime.now()},
            ]
        )
        as_alice = self.Log.with_user(self.alice)
        self.assertEqual(as_alice.search([("id", "in", (mine | theirs).ids)]), mine)
        with self.assertRaises(AccessError):
            theirs.with_user(self.alice).read(["error_message"])
        with self.assertRaises(AccessError):
            mine.with_user(self.alice).write({"state": "failed"})
        with self.assertRaises(AccessError):
            as_alice.create({"user_id": self.alice.id, "date_start": fields.Datetime.now()})
        as_admin = self.Log.with_user(self.admin)
        self.assertEqual(as_admin.search([("id", "in", (mine | theirs).ids)]), mine | theirs)
        menu = self.env.ref("crm_google_calendar_sync.menu_crm_google_sync_log")
        self.assertIn(self.env.ref("base.group_system"), menu.groups_id)

    # ------------------------------------------------------------------
    # End to end: these need the sync to call _record (the lead's hook)
    # ------------------------------------------------------------------
    def test_sync_writes_a_log_for_changes_only(self):
        self.seed_google_event(self.email, "Import")
        self.meeting(self.alice, "Export")
        self.sync()
        logs = self.logs(self.alice)
        self.assertEqual(len(logs), 1, "a run with changes writes one log line")
        self.assertEqual((logs.pulled_created, logs.pushed_inserted), (1, 1))
        self.assertEqual((logs.state, logs.trigger), ("success", "cron"))
        self.assertGreaterEqual(logs.duration, 0.0)

        # It names the meetings it changed.
        self.assertEqual(
            logs.change_lines.splitlines(), ["Created in Odoo: Import", "Created in Google: Export"]
        )

        # The first scheduled run without changes after it is recorded, once.
        self.sync()
        quiet = self.logs(self.alice) - logs
        self.assertEqual(len(quiet), 1)
        self.assertEqual((quiet.pulled_total, quiet.pushed_total, quiet.trigger), (0, 0, "cron"))
        self.assertIn("No changes", quiet.summary)
        self.sync()
        self.assertEqual(self.logs(self.alice), logs | quiet, "an idle run writes no log line")

        self.meeting(self.alice, "Per Knopf")
        self.env.flush_all()
        self.alice.with_user(self.alice).action_google_sync_now()
        self.env.invalidate_all()
        manual = self.logs(self.alice) - logs - quiet
        self.assertEqual(len(manual), 1)
        self.assertEqual((manual.trigger, manual.pushed_inserted), ("manual", 1))
        # "Sync now" is recorded even when it finds nothing to do.
        self.sync()  # reads the echo of the insert
        before = self.logs(self.alice)
        self.alice.with_user(self.alice).action_google_sync_now()
        self.env.invalidate_all()
        idle_manual = self.logs(self.alice) - before
        self.assertEqual(len(idle_manual), 1)
        self.assertEqual((idle_manual.trigger, idle_manual.pulled_total), ("manual", 0))

    def test_failing_sync_writes_a_failed_log(self):
        self.revoke(self.email, self.alice_token)
        self.assertIsNone(self.sync())
        log = self.logs(self.alice)
        self.assertEqual(len(log), 1)
        self.assertEqual(log.state, "failed")
        self.assertIn("connect Google again", log.error_message)

    # ------------------------------------------------------------------
    # Per-event indicator
    # ------------------------------------------------------------------
    def test_event_status_follows_the_sync(self):
        meeting = self.meeting(self.alice, "Statusprobe")
        self.assertEqual(self.status(meeting, self.alice), ("not_synced", False))
        self.sync()
        self.assertEqual(self.status(meeting, self.alice), ("synced", False))
        # Another user without a link to it sees no status.
        self.assertEqual(self.status(meeting, self.bob)[0], "not_synced")

        meeting.with_user(self.alice).write({"name": "Statusprobe 2"})
        self.assertEqual(self.status(meeting, self.alice)[0], "pending")
        self.sync()
        self.assertEqual(self.status(meeting, self.alice)[0], "synced")

        meeting.sudo().google_link_ids.write({"state": "error", "error_message": "forbidden"})
        status, reason = self.status(meeting, self.alice)
        self.assertEqual(status, "error")
        self.assertIn("Google refused the change", reason)

    def test_event_status_error_when_google_refuses_the_authorisation(self):
        meeting = self.meeting(self.alice, "Widerrufen")
        self.sync()
        self.revoke(self.email, self.alice_token)
        self.sync()
        status, reason = self.status(meeting, self.alice)
        self.assertEqual(status, "error")
        self.assertIn("connect Google again", reason)

    def test_event_status_without_connection_is_not_synced(self):
        meeting = self.meeting(self.alice, "Getrennt")
        self.sync()
        self.assertEqual(self.status(meeting, self.alice)[0], "synced")
        self.alice_token.sudo().unlink()
        self.assertEqual(self.status(meeting, self.alice)[0], "not_synced")

    def test_event_status_is_computed_in_batch(self):
        meetings = self.env["calendar.event"]
        for index in range(6):
            meetings |= self.meeting(self.alice, f"Batch {index}", days=3 + index)
        self.sync()
        one = meetings[:1].with_user(self.alice)
        six = meetings.with_user(self.alice)

        def count_queries(records):
            self.env.invalidate_all()
            records.mapped("name")  # the records themselves are read before
            before = self.env.cr.sql_log_count
            records.mapped("google_sync_status")
            return self.env.cr.sql_log_count - before

        self.assertEqual(six.mapped("google_sync_status"), ["synced"] * 6)
        self.assertEqual(count_queries(six), count_queries(one))

    def test_sync_again_pushes_the_event(self):
        meeting = self.meeting(self.alice, "Nochmal")
        self.sync()
        self.sync()  # reads the echo of the insert back from Google
        link = meeting.sudo().google_link_ids
        google_id = link.google_event_id
        # A change that the regular sync does not see (no new revision), and a
        # push that failed: only "Sync again" sends the event once more.
        meeting.sudo().with_context(**SYNC_MARK_CONTEXT).write({"name": "Nochmal senden"})
        link.write({"state": "error", "error_message": "http_503"})
        self.sync()
        self.assertEqual(self.emulator.get_event_raw(self.email, google_id)["summary"], "Nochmal")
        self.assertEqual(self.status(meeting, self.alice)[0], "error")

        action = meeting.with_user(self.alice).action_google_sync_again()
        self.env.invalidate_all()
        self.assertEqual(action["params"]["type"], "success", action)
        self.assertIn("1 change(s) sent to Google", action["params"]["message"])
        google = self.emulator.get_event_raw(self.email, google_id)
        self.assertEqual(google["summary"], "Nochmal senden")
        self.assertEqual((link.state, link.error_message), ("synced", False))
        self.assertEqual(self.status(meeting, self.alice), ("synced", False))

    def test_sync_again_needs_a_connection(self):
        stranger = new_test_user(self.env, login="gcal_status_stranger", groups="base.group_user")
        meeting = self.meeting(stranger, "Ohne Google")
        with self.assertRaisesRegex(UserError, "Connect your Google account"):
            meeting.with_user(stranger).action_google_sync_again()
        self.assertEqual(self.status(meeting, stranger)[0], "not_synced")

    def test_form_view_shows_the_indicator(self):
        arch = (
            self.env["calendar.event"]
            .with_user(self.alice)
            .get_view(self.env.ref("calendar.view_calendar_event_form").id, "form")["arch"]
        )
        self.assertIn('name="google_sync_status"', arch)
        self.assertIn('name="action_google_sync_again"', arch)
        # Portal users (attendees) never see the indicator.
        portal = new_test_user(self.env, login="gcal_status_portal", groups="base.group_portal")
        fields_seen = self.env["calendar.event"].with_user(portal).fields_get()
        self.assertIn("name", fields_seen)
        self.assertNotIn("google_sync_status", fields_seen)
        self.assertNotIn("google_sync_status_reason", fields_seen)
