# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Where the cron stands in its round over the connected users.

A round visits every connected user once, in the order of their token ids.
One row per cron job ("shard") keeps the round's start and the last token it
visited; a cron run writes that row once at its end. So a user whose sync has
nothing to do causes no database write at all: the time of their last visit
is derived from the round (see ``crm.google.token._last_visits``).
"""

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
