# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The cron's round over the users: idle cycles without writes, requested users
first, runs bounded and continued, several cron jobs sharing the users."""

from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from ..models import crm_google_sync_scheduler
from ..store import user_run
from .common import SyncCase

USERS = 3
# SQL statements of an idle user's sync, and those a cron run adds whatever
# number of users it visits (up to 500): 8 + 8/500 statements per idle user.
IDLE_USER_STATEMENTS = 8
CRON_RUN_STATEMENTS = 8


@tagged("post_install", "-at_install")
class TestScheduling(SyncCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Token = cls.env["crm.google.token"]
        cls.users = cls.env["res.users"]
        for index in range(USERS):
            user, _token = cls.connect_user(f"gcal_sched_{index}", f"sched-{index}@example.com")
            cls.users |= user
        cls.tokens = cls.Token.search([("user_id", "in", cls.users.ids)], order="id")
        # Only this class's users take part in the rounds.
        cls.Token.search([("id", "not in", cls.tokens.ids)]).write({"sync_enabled": False})

    def setUp(self):
        super().setUp()
        self.cron = self.env.ref("crm_google_calendar_sync.ir_cron_google_calendar_sync")
        # Every user had their first sync; the round is finished and not due.
        self.run_cron()
        self.emulator.reset_requests()

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------
    def run_cron(self, shard=0):
        """One run of the cron job as ir.cron makes it: with a progress record."""
        progress = self.env["ir.cron.progress"].create({"cron_id": self.cron.id})
        self.env.flush_all()
        done = (
            self.env["crm.google.sync.round"]
            .with_context(ir_cron_progress_id=progress.id)
            ._cron_sync(shard=shard)
        )
        self.env.invalidate_all()
        return done, progress

    def make_round_due(self):
        long_ago = fields.Datetime.now() - timedelta(hours=1)
        self.env["crm.google.sync.round"].search([]).write(
            {"started": long_ago, "finished": long_ago + timedelta(minutes=1)}
        )

    def list_calls_by_user(self):
        return [r.user for r in self.emulator.requests if r.api_call == "events.list"]

    # ------------------------------------------------------------------
    def test_idle_round_writes_nothing_but_its_position(self):
        done, _progress = self.run_cron()
        self.assertEqual(done, 0, "a finished round waits for the sync interval")
        self.assertFalse(self.emulator.requests)

        self.tokens.write({"last_sync": "2000-01-01 00:00:00"})
        self.make_round_due()
        runs = []
        written = self.rows_written_by(lambda: runs.append(self.run_cron()))
        done, progress = runs[0]

        self.assertEqual(done, USERS)
        self.assertEqual((progress.done, progress.remaining), (USERS, 0))
        self.assertEqual(self.emulator.counters.get("http_requests"), USERS)
        self.assertEqual(
            sorted(self.list_calls_by_user()), [f"sched-{i}@example.com" for i in range(USERS)]
        )
        self.assertEqual(
            written,
            # crm_google_sync_round: the round's position, committed every few
            # seconds and at the end of the run, not after every user: once here.
            # ir_cron_progress: the run's progress record, created and updated
            # as ir.cron itself does for every run.
            {"crm_google_sync_round": 1, "ir_cron_progress": 2},
            "an idle cycle writes only the round's position, once per run",
        )
        # The preferences still show when the user was last synchronised.
        self.assertEqual(self.tokens[0].last_sync.year, 2000)
        self.assertGreater(self.users[0].google_sync_last_sync.year, 2000)

    def test_settings_show_the_last_round(self):
        # What the settings form of a new record gets (a compute would stay empty).
        info = self.env["res.config.settings"].default_get(["crm_google_sync_rounds"])
        self.assertRegex(
            info["crm_google_sync_rounds"], rf"^Job 1: {USERS} user\(s\) in \d+ s, finished "
        )
        # While the next round runs, the last complete one stays on show.
        self.make_round_due()
        with patch.object(crm_google_sync_scheduler, "CRON_BATCH_SIZE", 1):
            self.run_cron()
        info = self.env["res.config.settings"].create({}).crm_google_sync_rounds
        self.assertRegex(info, rf"^Job 1: {USERS} user\(s\) in \d+ s, finished ")

    def test_idle_user_costs_a_handful_of_queries(self):
        """No N+1 and no re-reads: an idle user's sync is a fixed, small number of
        SQL statements (lock and connection, user, partner, chosen calendars and
        their rows, the project quota, outgoing changes, unlock), and a cron run
        adds a fixed few of its own (its users, the round, the progress), so
        that an idle user costs at most 9 statements."""
        token = self.tokens[0]
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        ran, report = user_run.sync_user(self.env, token.id)
        queries = self.env.cr.sql_log_count - before
        self.assertTrue(ran)
        self.assertFalse(report.changed_anything)
        self.assertLessEqual(queries, IDLE_USER_STATEMENTS)
        # The lock statement locked this user only, and let go of it.
        for user in self.users:
            self.assertTrue(self.lock_is_free(user), f"lock of {user.login} left behind")

        self.make_round_due()
        self.env.flush_all()
        before = self.env.cr.sql_log_count
        done, _progress = self.run_cron()
        queries = self.env.cr.sql_log_count - before
        self.assertEqual(done, USERS)
        self.assertLessEqual(queries, USERS * IDLE_USER_STATEMENTS + CRON_RUN_STATEMENTS)

    def test_requested_user_goes_first_and_once(self):
        self.make_round_due()
        last = self.tokens[-1]
        last.next_sync = fields.Datetime.now() - timedelta(seconds=1)
        done, _progress = self.run_cron()
        self.assertEqual(done, USERS)
        calls = self.list_calls_by_user()
        self.assertEqual(calls[0], last.google_email)
        self.assertEqual(calls.count(last.google_email), 1)
        self.assertFalse(last.next_sync, "the request is served")

    def test_saving_settings_requests_a_sync_and_triggers_the_cron(self):
        user = self.users[1]
        triggers = self.env["ir.cron.trigger"].search([("cron_id", "=", self.cron.id)])
        user.write({"google_sync_private": True})
        token = self.tokens.filtered(lambda t: t.user_id == user)
        self.assertTrue(token.next_sync)
        new = self.env["ir.cron.trigger"].search([("cron_id", "=", self.cron.id)]) - triggers
        self.assertTrue(new)
        done, _progress = self.run_cron()
        self.assertEqual(done, 1)
        self.assertEqual(self.list_calls_by_user(), [token.google_email])

    def test_run_stops_and_reports_the_rest(self):
        self.make_round_due()
        with patch.object(crm_google_sync_scheduler, "CRON_BATCH_SIZE", 2):
            done, progress = self.run_cron()
            self.assertEqual((done, progress.done, progress.remaining), (2, 2, USERS - 2))
            round_ = self.env["crm.google.sync.round"].search([("shard", "=", 0)])
            self.assertFalse(round_.finished)
            self.assertEqual(round_.cursor_token_id, self.tokens[1].id)
            done, progress = self.run_cron()
            self.assertEqual((done, progress.remaining), (USERS - 2, 0))
            self.assertTrue(round_.finished)
        self.assertEqual(len(self.list_calls_by_user()), USERS, "each user once per round")

    def test_first_round_of_a_new_installation_is_continued(self):
        """No round yet (fresh install, first cron runs): the round is created
        by the first run and continued by the next ones until everyone had a turn."""
        self.env["crm.google.sync.round"].search([]).unlink()
        self.tokens.write({"next_sync": False})
        with patch.object(crm_google_sync_scheduler, "CRON_BATCH_SIZE", 2):
            done, progress = self.run_cron()
            self.assertEqual((done, progress.remaining), (2, USERS - 2))
            done, progress = self.run_cron()
            self.assertEqual((done, progress.remaining), (USERS - 2, 0))
            self.assertEqual(self.run_cron()[0], 0)

    def test_round_tolerates_an_early_cron_run(self):
        round_ = self.env["crm.google.sync.round"]._for_shard(0)
        now = fields.Datetime.now()
        interval = timedelta(minutes=5)
        round_.write({"started": now - timedelta(minutes=4), "finished": now})
        self.assertTrue(round_._is_due(now, interval), "a run up to 90 s early still counts")
        round_.started = now - timedelta(minutes=3)
        self.assertFalse(round_._is_due(now, interval))

    def test_several_cron_jobs_share_the_users(self):
        settings = self.env["res.config.settings"].create({"crm_google_cron_jobs": 2})
        settings.execute()
        second = self.env.ref(
            "crm_google_calendar_sync.ir_cron_google_calendar_sync_1", raise_if_not_found=False
        )
        self.assertTrue(second)
        self.assertEqual(second.code, "model._cron_sync(shard=1)")
        self.assertTrue(second.active)
        for shard, cron in ((0, self.cron), (1, second)):
            with self.subTest(shard=shard):
                self.emulator.reset_requests()
                # Through ir.cron itself: its server action code and progress record.
                self.env.flush_all()
                cron.method_direct_trigger()
                self.env.invalidate_all()
                expected = self.tokens.filtered(lambda t, s=shard: t.id % 2 == s)
                self.assertEqual(sorted(self.list_calls_by_user()), expected.mapped("google_email"))
                progress = self.env["ir.cron.progress"].search(
                    [("cron_id", "=", cron.id)], order="id desc", limit=1
                )
                self.assertEqual((progress.done, progress.remaining), (len(expected), 0))
        # A user of the second job who asks for a sync triggers that job.
        token = self.tokens.filtered(lambda t: t.id % 2 == 1)[0]
        self.env["crm.google.sync.round"]._trigger_sync(token)
        self.assertTrue(self.env["ir.cron.trigger"].search([("cron_id", "=", second.id)]))

        self.env["res.config.settings"].create({"crm_google_cron_jobs": 1}).execute()
        self.assertFalse(second.exists())
        self.assertEqual(self.run_cron(shard=1)[0], 0, "a removed job's leftover run is a no-op")
        with self.assertRaises(UserError):
            self.env["res.config.settings"].create({"crm_google_cron_jobs": 0}).execute()
