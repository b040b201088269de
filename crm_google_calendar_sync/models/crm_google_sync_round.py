# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Where each cron job ("shard") stands in its round over the connected users:
one row per job, moved by the scheduler (crm_google_sync_scheduler.py)."""

from contextlib import contextmanager
from datetime import timedelta

from odoo import api, fields, models

# Odoo's cron workers poll about once a minute, so a run starts up to this much
# earlier or later than its schedule.
CRON_WAKE_JITTER = timedelta(seconds=90)


class CrmGoogleSyncRound(models.Model):
    _name = "crm.google.sync.round"
    _description = "Google Calendar Sync Round"
    _rec_name = "shard"
    _order = "shard"
    # The row is the cron's cursor: create/write bookkeeping would only add
    # columns to the one UPDATE per run.
    _log_access = False

    shard = fields.Integer(
        "Sync Job", required=True, readonly=True, help="Index of the cron job (0 = main)."
    )
    shard_count = fields.Integer(
        "Number of Sync Jobs",
        required=True,
        readonly=True,
        help="Number of cron jobs when this round started; a change starts a new round.",
    )
    started = fields.Datetime("Round Started", readonly=True)
    cursor_token_id = fields.Integer(
        "Last Visited Connection",
        readonly=True,
        help="Id of the last connection visited in the current round.",
    )
    cursor_moved = fields.Datetime("Last Run", readonly=True)
    finished = fields.Datetime("Round Finished", readonly=True)
    visited_count = fields.Integer("Users Visited", readonly=True)
    previous_started = fields.Datetime("Previous Round Started", readonly=True)
    previous_finished = fields.Datetime("Previous Round Finished", readonly=True)
    previous_visited_count = fields.Integer("Users Visited in Previous Round", readonly=True)

    _sql_constraints = [
        ("shard_uniq", "unique(shard)", "There is one round per cron job."),
    ]

    @api.model
    def _for_shard(self, shard):
        """The round row of ``shard`` (created on the first run of its cron)."""
        row = self.sudo().search([("shard", "=", shard)], limit=1)
        return row or self.sudo().create({"shard": shard, "shard_count": 0})

    @api.model
    @contextmanager
    def _open(self, shard):
        """The round of ``shard`` in a cursor of its own, for one cron run,
        committed by ``_save`` and when the run ends; the cron's own
        transaction, a snapshot taken before the run, never writes the row. A
        run killed by Odoo commits nothing more."""
        with self.env.registry.cursor() as cr:
            yield self.with_env(self.env(cr=cr, su=True))._for_shard(shard)

    def _start_values(self, shard_count, now, interval):
        """Values that start a new round, ``{}`` to continue this one, or None
        when it is finished and the next one is not due yet."""
        self.ensure_one()
        if self.shard_count == shard_count and not (self.finished and self._is_due(now, interval)):
            return None if self.finished else {}
        return {
            "shard_count": shard_count,
            "started": now,
            "cursor_token_id": 0,
            "finished": False,
            "visited_count": 0,
            "previous_started": self.started,
            "previous_finished": self.finished or self.cursor_moved,
            "previous_visited_count": self.visited_count,
        }

    def _record_visit(self, token_id, start=None, finished=False):
        """Move the round past ``token_id`` (None: there was nobody to visit,
        the round is over); ``start``: values of a new round. Kept in the
        cursor's cache until ``_save`` or the end of the run."""
        self.ensure_one()
        now = fields.Datetime.now()
        values = dict(start or {}, cursor_moved=now)
        if token_id:
            values["cursor_token_id"] = token_id
            values["visited_count"] = values.get("visited_count", self.visited_count) + 1
        if finished or not token_id:
            values["finished"] = now
        self.write(values)

    def _save(self):
        """Commit the round's position: a run that Odoo kills later repeats
        only the users visited since."""
        self.env.cr.commit()  # pylint: disable=invalid-commit

    def _is_due(self, now, interval):
        """A finished round starts again ``interval`` after it started.

        A round that started late in its run must not make the next run skip a
        whole interval.
        """
        self.ensure_one()
        if not self.finished or not self.started:
            return True
        tolerance = min(interval / 2, CRON_WAKE_JITTER)
        return now >= self.started + interval - tolerance

    def _visit_time(self, token):
        """When the round last visited ``token`` (None if it did not yet)."""
        self.ensure_one()
        if self.started and self.cursor_token_id and token.id <= self.cursor_token_id:
            return self.cursor_moved
        return self.previous_finished or None

    def _last_complete_round(self):
        """(started, finished, users) of the newest finished round, or None."""
        self.ensure_one()
        if self.finished and self.started:
            return self.started, self.finished, self.visited_count
        if self.previous_finished and self.previous_started:
            return self.previous_started, self.previous_finished, self.previous_visited_count
        return None
