# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The scheduler on the round model: the cron jobs share the users (shards), and
each run serves the users who asked for a sync, then continues its round, within
Odoo's time limit for cron workers, reporting its progress to Odoo."""

import threading
import time

from odoo import api, fields, models
from odoo.tools import config

from ..store import params, quota, user_run
from .ir_cron import current_turn

# One cron run handles at most this many users and stops starting new ones
# after CRON_TIME_BUDGET seconds, or earlier under Odoo's time limit for cron
# workers (see _cron_deadline); the rest follows in the next runs.
CRON_BATCH_SIZE = 500
CRON_TIME_BUDGET = 240
# A run stops starting users this long before Odoo's limit (at most a quarter
# of it): the user on hand then ends within one Google call.
CRON_TIME_MARGIN = 15
# A multi-worker cron worker starts the watchdog's clock before it waits for
# jobs (Odoo's SLEEP_INTERVAL, 60 s, plus up to 10 s): that much may be gone.
CRON_WORKER_WAIT = 70
# A cron run commits its round's position at most this often, and at its end:
# a run that Odoo kills repeats at most this much of its work (the sync of an
# idle user again: one request per calendar, no write).
ROUND_SAVE_SECONDS = 5
# Several cron jobs (each run by whichever Odoo cron worker is free) share the
# users by token id modulo their number.
CRON_XMLID = "crm_google_calendar_sync.ir_cron_google_calendar_sync"
MAX_CRON_JOBS = 16


class CrmGoogleSyncRound(models.Model):
    _inherit = "crm.google.sync.round"

    def init(self):
        result = super().init()
        quota.create_quota_sequence(self.env.cr)
        return result

    @api.model
    def _sync_interval(self):
        """Time between two syncs of a user (see params.sync_interval)."""
        return params.sync_interval(self.env)

    @api.model
    def _cron_job_count(self):
        """How many cron jobs share the users (system parameter
        ``crm_google_calendar_sync.cron_jobs``, set in the settings)."""
        count = int(params.float_param(self.env, "cron_jobs", 1))
        return max(1, min(MAX_CRON_JOBS, count))

    @api.model
    def _cron_job(self, shard):
        """The cron job that synchronises the users of ``shard``."""
        if shard:
            cron = self.env.ref(f"{CRON_XMLID}_{shard}", raise_if_not_found=False)
            if cron:
                return cron
        return self.env.ref(CRON_XMLID)

    @api.model
    def _trigger_sync(self, tokens):
        """Start the cron jobs of the users of ``tokens`` now instead of within minutes."""
        count = self._cron_job_count()
        for shard in sorted({token.id % count for token in tokens}):
            self._cron_job(shard).sudo()._trigger()

    @api.model
    def _update_cron_jobs(self):
        """Create or remove the extra cron jobs so that ``_cron_job_count`` jobs
        exist: job ``k`` synchronises the users whose token id modulo the count is
        ``k``, so several Odoo cron workers share a large installation."""
        count = self._cron_job_count()
        main = self.env.ref(CRON_XMLID).sudo()
        module, name = CRON_XMLID.split(".")
        for shard in range(1, MAX_CRON_JOBS):
            cron = self.env.ref(f"{CRON_XMLID}_{shard}", raise_if_not_found=False)
            if shard < count and not cron:
                cron = (
                    self.env["ir.cron"]
                    .sudo()
                    .create(
                        {
                            "name": f"{main.name} ({shard + 1})",
                            "model_id": main.model_id.id,
                            "state": "code",
                            "code": f"model._cron_sync(shard={shard})",
                            "interval_number": main.interval_number,
                            "interval_type": main.interval_type,
                            "active": main.active,
                        }
                    )
                )
                # In the module's namespace, so that uninstalling removes it.
                self.env["ir.model.data"].sudo().create(
                    {
                        "module": module,
                        "name": f"{name}_{shard}",
                        "model": "ir.cron",
                        "res_id": cron.id,
                        "noupdate": True,
                    }
                )
            elif shard >= count and cron:
                cron.sudo().unlink()
        self.sudo().search([("shard", ">=", count)]).unlink()

    @api.model
    def _shard_token_ids(self, shard, shards, after=0, requested=False, limit=None):
        """Ids of the enabled users of ``shard``: those who requested a sync, in
        the order they asked, or the round's users after token id ``after``."""
        where, args = self._shard_where(shard, shards, after, requested)
        order = "next_sync, id" if requested else "id"
        query = f"SELECT id FROM crm_google_token WHERE {where} ORDER BY {order}"
        if limit:
            query += " LIMIT %s"
            args.append(limit)
        self.env.cr.execute(query, args)
        return [row[0] for row in self.env.cr.fetchall()]

    @api.model
    def _shard_token_count(self, shard, shards, after=0):
        """How many enabled users of ``shard`` come after token id ``after``."""
        where, args = self._shard_where(shard, shards, after)
        self.env.cr.execute(f"SELECT count(*) FROM crm_google_token WHERE {where}", args)
        return self.env.cr.fetchone()[0]

    @api.model
    def _shard_where(self, shard, shards, after=0, requested=False):
        """WHERE clause of the users of ``shard``; with ``requested``, only those
        who asked for a sync right away (connected, saved their settings)."""
        self.env["crm.google.token"].flush_model(["sync_enabled", "auth_failed", "next_sync"])
        # Constant SQL text; every value travels as a parameter.
        where = "sync_enabled AND auth_failed IS NOT TRUE AND id %% %s = %s AND id > %s"
        args = [shards, shard, after]
        if requested:
            where += " AND next_sync <= %s"
            args.append(fields.Datetime.now())
        return where, args

    @api.model
    def _cron_sync(self, shard=0):
        """One run of the cron job of ``shard``: the users who asked for a sync,
        then the round over all users of the shard, each user in a transaction of
        its own.

        A round visits every user once per sync interval, in token id order.
        Its position is committed every ROUND_SAVE_SECONDS and at the end of
        the run, so a run that Odoo kills repeats no more than that, and a user
        without changes costs no write. The run stops starting users at
        ``_cron_deadline`` or after CRON_BATCH_SIZE users; the rest follows.
        """
        shards = self._cron_job_count()
        if shard >= shards:
            # A job left over from a larger setting; the settings remove it.
            self.env["ir.cron"]._notify_progress(done=0, remaining=0)
            return 0
        deadline = self._cron_deadline()
        requested = self._shard_token_ids(shard, shards, requested=True)
        served = []
        for token_id in requested[:CRON_BATCH_SIZE]:
            if time.monotonic() >= deadline:
                break
            user_run.sync_user(self.env, token_id, deadline)
            served.append(token_id)
        with self._open(shard) as round_:
            done, remaining = self._continue_round(round_, shards, set(served), deadline)
        # Counted here: this run's snapshot does not see the requests it served.
        remaining += len(requested) - len(served)
        self._report_cron_progress(shard, len(served) + done, remaining, deadline)
        return len(served) + done

    @api.model
    def _continue_round(self, round_, shards, synced, deadline):
        """Visit the next users of ``round_`` (syncing those not in ``synced``)
        until ``deadline``; returns (users synced, users left in the round)."""
        start = round_._start_values(shards, fields.Datetime.now(), self._sync_interval())
        if start is None:
            return 0, 0  # the round is finished and the next one is not due yet
        after = start.get("cursor_token_id", round_.cursor_token_id)
        batch = self._shard_token_ids(round_.shard, shards, after=after, limit=CRON_BATCH_SIZE)
        if not batch:
            round_._record_visit(None, start)
            return 0, 0
        done = 0
        saved = time.monotonic()
        for token_id in batch:
            if time.monotonic() >= deadline:
                break
            if token_id not in synced:
                user_run.sync_user(self.env, token_id, deadline)
                done += 1
            last = token_id == batch[-1] and len(batch) < CRON_BATCH_SIZE
            round_._record_visit(token_id, start, finished=last)
            if time.monotonic() - saved >= ROUND_SAVE_SECONDS:
                round_._save()
                saved = time.monotonic()
            after, start = token_id, {}
        left = self._shard_token_count(round_.shard, shards, after=after)
        if not left and not round_.finished:
            round_._record_visit(None, start)
        return done, left

    @api.model
    def _report_cron_progress(self, shard, done, remaining, deadline):
        """Tell Odoo how far the run got.

        Odoo runs a job that reports work left again at once, in the same turn
        of its worker, whose time limit keeps running. A run that stopped for
        time therefore reports nothing left and triggers its job for a new turn.
        """
        if remaining and time.monotonic() >= deadline:
            self._cron_job(shard).sudo()._trigger()
            remaining = 0
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)

    @api.model
    def _cron_deadline(self):
        """When this run stops starting users (a ``time.monotonic()`` value).

        Odoo kills a cron worker after ``limit_time_real_cron`` seconds
        (``limit_time_real`` when that is negative, no limit when it is 0),
        counted from the start of its turn: over every job it runs in the turn
        (with Parallel Sync Jobs, several of ours), the runs of this job it
        makes in a row and, with ``--workers``, its wait for jobs before.
        """
        now = time.monotonic()
        limit = config["limit_time_real_cron"]
        if limit is not None and limit < 0:
            limit = config["limit_time_real"]
        if not limit or limit <= 0:
            return now + CRON_TIME_BUDGET
        margin = min(CRON_TIME_MARGIN, limit / 4)
        spent, first, opened = self._cron_run_in_turn()
        room = limit - spent
        budget = room - margin
        if first:
            # A job's first run in a turn makes progress when the worker's
            # assumed wait (--workers) leaves less than the margin, with at most
            # half of what is left; the turn's first job with a second at
            # least, a later one with nothing when the jobs before it took the
            # turn (it then triggers itself for a new turn, a new clock).
            floor = min(margin, room / 2)
            budget = max(budget, max(floor, 1) if opened else floor)
        return now + min(CRON_TIME_BUDGET, budget)

    @api.model
    def _cron_run_in_turn(self):
        """This run's place in the cron worker's turn, counting the run: the
        seconds of the turn gone before it, whether it is the job's first run
        in the turn, and whether the turn began with the job."""
        start_time = getattr(threading.current_thread(), "start_time", None)
        if start_time:
            # Odoo's threaded server times its cron threads from this start,
            # the beginning of the turn over every ready job.
            return time.time() - start_time, False, False
        spent, first, opened = 0, True, True  # a shell, "Run Manually"
        turn = current_turn(self.env.context.get("cron_id"))
        if turn:
            spent = time.monotonic() - turn.started
            first, opened = turn.begin_run(), turn.jobs[0] == turn.job
        if config["workers"]:
            spent += CRON_WORKER_WAIT
        return spent, first, opened

    @api.model
    def _last_visits(self, tokens):
        """When the cron (or "Sync now") last synchronised each of ``tokens``."""
        shards = self._cron_job_count()
        rounds = {row.shard: row for row in self.sudo().search([("shard_count", "=", shards)])}
        visits = {}
        for token in tokens.sudo():
            times = [token.last_sync]
            round_ = rounds.get(token.id % shards)
            if round_ and token.sync_enabled and not token.auth_failed:
                times.append(round_._visit_time(token))
            # Datetime fields keep whole seconds, create_date keeps microseconds.
            created = token.create_date.replace(microsecond=0)
            times = [t for t in times if t and t >= created]
            visits[token.id] = max(times) if times else False
        return visits

    @api.model
    def _next_visits(self, tokens, last_visits):
        """When the cron will next synchronise each of ``tokens`` (None: not scheduled)."""
        interval = self._sync_interval()
        shards = self._cron_job_count()
        now = fields.Datetime.now()
        visits = {}
        for token in tokens.sudo():
            if not token.sync_enabled or token.auth_failed:
                visits[token.id] = None
                continue
            if token.next_sync:
                # Requested: the cron job was triggered to run right away.
                visits[token.id] = max(token.next_sync, now)
                continue
            last = last_visits.get(token.id)
            due = last + interval if last else now
            cron = self._cron_job(token.id % shards).sudo()
            visits[token.id] = max(due, cron.nextcall or now, now)
        return visits
