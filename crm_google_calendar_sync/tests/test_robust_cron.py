# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The cron under faults: database errors around one user's sync, the user lock,
Odoo's time limit for cron workers, a run killed half-way, the project quota
shared by every server.

Faults are real: database errors come from a PL/pgSQL trigger that raises on the
rows of one user, the lock of a sync running elsewhere is held by a second
database connection, a second Odoo server is a second process, and the cron runs
through Odoo's own job runner (``ir.cron._process_job``) under a real
``limit_time_real_cron``.
"""

import contextlib
import itertools
import subprocess
import sys
import textwrap
import time
from datetime import timedelta
from unittest.mock import patch
from urllib.parse import unquote

from odoo import fields
from odoo.sql_db import db_connect
from odoo.tests import tagged
from odoo.tools import config

from ..models import crm_google_sync_scheduler
from ..store import quota, user_run
from .test_reliability import ReliabilityCase

_trigger_names = itertools.count()


class WorkerKilled(BaseException):
    """What a worker killed by Odoo's watchdog looks like from inside: nothing
    after this point runs (not even ``except Exception`` handlers)."""


@tagged("post_install", "-at_install")
class TestRobustCron(ReliabilityCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Token = cls.env["crm.google.token"]
        cls.cron = cls.env.ref("crm_google_calendar_sync.ir_cron_google_calendar_sync")

    def setUp(self):
        super().setUp()
        # Only the users of each test take part in the cron's runs.
        self.Token.search([]).write({"sync_enabled": False, "next_sync": False})
        self.env["crm.google.sync.round"].search([]).unlink()

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------
    def connect_users(self, prefix, count):
        """``count`` users taking part in the cron's round, each synced once."""
        tokens = self.Token
        for index in range(count):
            _user, token = self.connect_user(f"{prefix}{index}", f"{prefix}{index}@example.com")
            self.sync(token)
            tokens |= token
        tokens.write({"sync_enabled": True, "next_sync": False})
        return tokens.sorted("id")

    def run_cron(self):
        """One run of the cron job with a progress record, as ir.cron makes it."""
        progress = self.env["ir.cron.progress"].create({"cron_id": self.cron.id})
        self.env.flush_all()
        done = (
            self.env["crm.google.sync.round"]
            .with_context(ir_cron_progress_id=progress.id)
            ._cron_sync()
        )
        self.env.invalidate_all()
        return done, progress

    def run_job_like_a_worker(self, crons=None):
        """One turn of an Odoo cron worker (``ir.cron._process_jobs``) over our
        jobs ``crons`` (default: the main one), in one cursor: ``_process_job``
        runs each, again at once (up to 10 times) while it reports work left,
        then reschedules it. Returns the seconds the turn took."""
        IrCron = self.env["ir.cron"]
        crons = crons or self.cron
        # Due for the worker. The test transaction's clock stands still at its
        # start, so the jobs' own triggers never look due to the database.
        self.env.cr.execute("SELECT now() at time zone 'UTC' - interval '1 minute'")
        crons.nextcall = self.env.cr.fetchone()[0]
        self.env.flush_all()
        with self.registry.cursor() as cron_cr:
            started = time.monotonic()
            for cron in crons:
                job = IrCron._acquire_one_job(cron_cr, cron.id)
                self.assertTrue(job, "the job is ready")
                IrCron._process_job(None, cron_cr, job)
            elapsed = time.monotonic() - started
        self.env.invalidate_all()
        return elapsed

    def synced_users(self):
        """Google accounts whose (primary) calendar was listed since the last
        reset, in order; answered or not."""
        paths = [r.path for r in self.emulator.requests if r.api_call == "events.list"]
        return [unquote(path).split("/calendars/")[1].split("/")[0] for path in paths]

    def make_round_due(self):
        self.env["crm.google.sync.round"].search([]).write(
            {"started": "2000-01-01 00:00:00", "finished": "2000-01-01 00:01:00"}
        )

    @contextlib.contextmanager
    def database_fault(self, table, when, event="UPDATE"):
        """A real database error: ``event`` on rows of ``table`` matching ``when``
        (a trigger condition over OLD/NEW) raises inside PostgreSQL."""
        name = f"crm_gcal_test_fault_{next(_trigger_names)}"
        cr = self.env.cr
        cr.execute(
            """CREATE OR REPLACE FUNCTION crm_gcal_test_fault() RETURNS trigger
               LANGUAGE plpgsql AS $$
               BEGIN RAISE EXCEPTION 'injected database fault'; END $$"""
        )
        cr.execute(
            f"CREATE TRIGGER {name} BEFORE {event} ON {table} FOR EACH ROW "
            f"WHEN ({when}) EXECUTE FUNCTION crm_gcal_test_fault()"
        )
        try:
            yield
        finally:
            cr.execute(f"DROP TRIGGER {name} ON {table}")

    @contextlib.contextmanager
    def user_synced_elsewhere(self, user):
        """Hold ``user``'s lock in a real second connection, as a cron worker in
        the middle of this user's sync does."""
        cr = db_connect(self.env.cr.dbname).cursor()
        key = (user_run.ADVISORY_LOCK_CLASS, user.id)
        try:
            cr.execute("SELECT pg_try_advisory_lock(%s, %s)", key)
            self.assertTrue(cr.fetchone()[0])
            yield
        finally:
            cr.execute("SELECT pg_advisory_unlock(%s, %s)", key)
            cr.close()

    # ------------------------------------------------------------------
    # One user's database error
    # ------------------------------------------------------------------
    def test_database_errors_around_a_sync_never_stop_the_run(self):
        """The first write, the log line and the final write of three users fail in
        PostgreSQL; the fourth user is synchronised in the same run, and no lock
        is left behind on the pooled connection."""
        tokens = self.connect_users("gcal_dberr", 4)
        users = tokens.user_id
        first, log_line, final, healthy = tokens
        for token in tokens:
            self.meeting(token.user_id, f"Pending {token.google_email}", self.future(3))
        first.next_sync = fields.Datetime.now() - timedelta(minutes=1)
        self.make_round_due()
        self.emulator.reset_requests()
        with (
            self.database_fault(
                "crm_google_token",
                f"OLD.id = {first.id} AND OLD.next_sync IS NOT NULL AND NEW.next_sync IS NULL",
            ),
            self.database_fault(
                "crm_google_sync_log", f"NEW.user_id = {log_line.user_id.id}", event="INSERT"
            ),
            self.database_fault(
                "crm_google_token",
                f"OLD.id = {final.id} AND NEW.last_summary IS DISTINCT FROM OLD.last_summary",
            ),
            self.assertLogs(level="ERROR") as logs,
        ):
            done, progress = self.run_cron()
        self.assertIn("injected database fault", "\n".join(logs.output))
        self.assertEqual((done, progress.remaining), (4, 0))
        self.assertEqual(
            len(self.google_events(healthy.google_email, "Pending")), 1, "the next user's sync ran"
        )
        for user in users:
            self.assertTrue(self.lock_is_free(user), f"lock of {user.login} left behind")
        # The failed users are synchronised again by the next round.
        self.make_round_due()
        self.run_cron()
        for token in tokens:
            self.assertEqual(len(self.google_events(token.google_email, "Pending")), 1)

    def test_one_sync_per_user_across_a_reconnect(self):
        """A reconnect after "Revoke" makes a new connection row: a sync still
        running for the user's old connection must keep the new one waiting."""
        (token,) = self.connect_users("gcal_relock", 1)
        user, email = token.user_id, token.google_email
        self.meeting(user, "Not twice", self.future(2))
        with self.user_synced_elsewhere(user):
            user.with_user(user).action_google_sync_revoke()
            new_token = self.reconnect(user, email)
            self.assertNotEqual(new_token, token)
            # What the OAuth callback does after storing the tokens.
            calendars = self.env["crm.google.calendar"]._sync_calendar_list(
                user, new_token._google_client().list_calendars()
            )
            user._google_sync_apply_default_choices(calendars)
            new_token.write({"sync_enabled": True})
            self.emulator.reset_requests()
            self.run_cron()
            self.assertFalse(self.synced_users(), "a second sync of the same user ran")
            action = user.with_user(user).action_google_sync_now()
            self.assertIn("already running", action["params"]["message"])
        self.assertTrue(self.lock_is_free(user))

    # ------------------------------------------------------------------
    # Odoo's time limit for cron workers
    # ------------------------------------------------------------------
    def test_runs_fit_odoos_time_limit_and_continue(self):
        """Odoo kills a cron worker after ``limit_time_real_cron`` seconds, counted
        over all the runs of the job it makes in one go (it runs the job again at
        once while a run reports users left, here after every 3 users). Every
        worker turn ends in time, keeps the round's position user by user, and
        the next one continues: every user is visited once."""
        tokens = self.connect_users("gcal_limit", 10)
        self.make_round_due()
        self.emulator.reset_requests()
        # Each user's list request takes half a second at Google.
        self.emulator.faults.add("slow", path=r"/events$", delay=0.5, times=None)
        limit = 4
        visited = []
        triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", self.cron.id)])
        with (
            patch.dict(config.options, {"limit_time_real_cron": limit}),
            patch.object(crm_google_sync_scheduler, "CRON_BATCH_SIZE", 3),
        ):
            for _iteration in range(5):
                elapsed = self.run_job_like_a_worker()
                self.assertLess(elapsed, limit, "Odoo would have killed the worker")
                round_ = self.env["crm.google.sync.round"].search([("shard", "=", 0)])
                listed = self.synced_users()
                self.assertTrue(listed[len(visited) :], "each iteration makes progress")
                visited = listed
                if round_.finished:
                    break
                self.assertEqual(
                    round_.cursor_token_id,
                    tokens.filtered(lambda t, last=listed[-1]: t.google_email == last).id,
                    "the round's position is kept user by user",
                )
        self.assertTrue(round_.finished)
        self.assertEqual(visited, tokens.mapped("google_email"), "each user once, in order")
        self.assertGreater(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", self.cron.id)]),
            triggers,
            "a run stopped for time starts a new turn of its job",
        )

    def test_two_jobs_in_one_worker_turn_fit_odoos_time_limit(self):
        """With --workers, a cron worker waits up to 70 s for jobs and then runs
        every ready job of the database in one turn, under one time limit: with
        Parallel Sync Jobs = 2 it runs both of ours, and the second one counts
        the time the turn has taken. Jobs that stopped for time trigger a new
        turn at once, whose clock starts afresh: turns follow back to back,
        each ends within the limit, and each gives both jobs users to sync
        until every user was visited once."""
        tokens = self.connect_users("gcal_turn", 40)
        Round = self.env["crm.google.sync.round"]
        self.env["ir.config_parameter"].set_param("crm_google_calendar_sync.cron_jobs", 2)
        Round._update_cron_jobs()
        crons = self.cron | Round._cron_job(1)
        shard_of = {token.google_email: token.id % 2 for token in tokens}
        users = [list(shard_of.values()).count(shard) for shard in (0, 1)]
        self.emulator.reset_requests()
        self.emulator.faults.add("slow", path=r"/events$", delay=0.3, times=None)
        # 6 s of the turn are left after the worker's assumed wait.
        room = 6
        limit = crm_google_sync_scheduler.CRON_WORKER_WAIT + room
        visited = [0, 0]
        with patch.dict(config.options, {"limit_time_real_cron": limit, "workers": 2}):
            for _turn in range(10):
                self.assertLess(self.run_job_like_a_worker(crons), room, "the worker was killed")
                listed = [shard_of[email] for email in self.synced_users()]
                for shard in (0, 1):
                    if visited[shard] < users[shard]:
                        self.assertGreater(listed.count(shard), visited[shard], "job starved")
                visited = [listed.count(0), listed.count(1)]
                if sum(visited) == len(tokens):
                    break
        self.assertCountEqual(self.synced_users(), tokens.mapped("google_email"))

    def kill_run_at(self, victim):
        """One cron run that Odoo's watchdog kills in the middle of ``victim``'s
        sync (while the retry budget waits after Google's 429)."""
        self.emulator.faults.add("429", path=victim.google_email, retry_after=1, times=1)

        def killed_by_odoo():
            raise WorkerKilled()

        self.sleep_hook = killed_by_odoo
        # Not assertRaises: Odoo's rolls back what the block committed.
        killed = False
        try:
            self.run_cron()
        except WorkerKilled:
            killed = True
        self.assertTrue(killed, "the worker was not killed")
        self.assertTrue(self.lock_is_free(victim.user_id))

    def test_killed_run_repeats_only_its_last_seconds(self):
        """The round's position is committed every few seconds and at the end of
        a run, not after every user: a killed run loses the users of its last
        seconds, whose sync the next run repeats for one request each and no
        write, and goes on from there."""
        tokens = self.connect_users("gcal_killed", 4)
        self.run_cron()  # a round done before: its row exists, as on any live server
        self.make_round_due()
        self.emulator.reset_requests()
        self.kill_run_at(tokens[2])
        self.assertEqual(self.synced_users(), tokens[:3].mapped("google_email"))

        self.emulator.reset_requests()
        runs = []
        written = self.rows_written_by(lambda: runs.append(self.run_cron()))
        done, progress = runs[0]
        # This test's run is far shorter than ROUND_SAVE_SECONDS: nothing of the
        # killed run was kept, the first two users are synchronised again.
        self.assertEqual(self.synced_users(), tokens.mapped("google_email"))
        self.assertEqual(self.emulator.counters.get("http_requests"), len(tokens))
        self.assertEqual((done, progress.remaining), (4, 0))
        self.assertEqual(written, {"crm_google_sync_round": 1, "ir_cron_progress": 2})

    def test_killed_run_keeps_the_position_it_committed(self):
        tokens = self.connect_users("gcal_killed", 4)
        self.make_round_due()
        self.emulator.reset_requests()
        with patch.object(crm_google_sync_scheduler, "ROUND_SAVE_SECONDS", 0):
            self.kill_run_at(tokens[2])
        self.assertEqual(self.synced_users(), tokens[:3].mapped("google_email"))

        self.emulator.reset_requests()
        done, progress = self.run_cron()
        self.assertEqual(self.synced_users(), tokens[2:].mapped("google_email"))
        self.assertEqual((done, progress.remaining), (2, 0))

    # ------------------------------------------------------------------
    # Google's project quota
    # ------------------------------------------------------------------
    def test_project_quota_is_shared_by_all_servers(self):
        """Calls that another Odoo server (another process on the same database)
        made count in this server's window."""
        script = textwrap.dedent(
            """
            import sys, time
            import odoo
            from odoo import SUPERUSER_ID, api
            from odoo.modules.registry import Registry
            odoo.tools.config.parse_config(sys.argv[1:])
            registry = Registry(odoo.tools.config["db_name"])
            from odoo.addons.crm_google_calendar_sync.store import quota
            with registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                window = quota.project_quota(env)
                taken = 0
                while window.acquire(1, deadline=time.monotonic()):
                    taken += 1
                print(taken, time.time())
            """
        )
        args = ["--addons-path", config["addons_path"], "-d", self.env.cr.dbname]
        for option in ("db_host", "db_port", "db_user", "db_password"):
            if config[option]:
                args += [f"--{option}", str(config[option])]
        other = subprocess.run(
            [sys.executable, "-c", script, *args, "--log-level", "warn"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        self.assertEqual(other.returncode, 0, other.stderr[-2000:])
        taken_there, finished_there = other.stdout.split()[-2:]
        self.assertGreater(int(taken_there), 0)
        window = quota.project_quota(self.env)
        taken_here = 0
        while window.acquire(1, deadline=time.monotonic()):
            taken_here += 1
        # What the window refilled since the other server stopped, and no more.
        elapsed = time.time() - float(finished_there)
        refill = quota.PROJECT_REQUESTS_PER_MINUTE / 60 * elapsed
        self.assertLessEqual(taken_here, refill + 2, (taken_there, elapsed))
