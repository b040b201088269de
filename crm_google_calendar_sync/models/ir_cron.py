# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The turn of an Odoo cron worker: it runs every ready job of a database one
after the other (``ir.cron._process_jobs``), and Odoo's time limit counts from
the turn's start, so a job that plans its time (the sync's scheduler) must know
when the turn began and which jobs ran before it."""

import threading
import time
import weakref

from odoo import models

_TURNS = threading.local()


class CronTurn:
    """One turn of this thread's cron worker: when its first job began, the
    jobs run since, and how many runs of the job on hand began."""

    def __init__(self, cursor):
        # One cursor serves the whole turn; a new one means a new turn.
        self.cursor = weakref.ref(cursor)
        self.started = time.monotonic()
        self.jobs = []
        self.job = None
        self.runs = 0

    def begin_job(self, job_id):
        self.jobs.append(job_id)
        self.job, self.runs = job_id, 0

    def begin_run(self):
        """Count a run of the job on hand; True for its first in the turn."""
        self.runs += 1
        return self.runs == 1


def current_turn(cron_id):
    """The turn in which this thread's cron worker runs the job ``cron_id``
    now, or None (not run by a cron worker's turn: a shell, "Run Manually")."""
    turn = getattr(_TURNS, "turn", None)
    if turn is None or not cron_id or turn.job != cron_id:
        return None
    return turn


class IrCron(models.Model):
    _inherit = "ir.cron"

    @classmethod
    def _process_job(cls, db, cron_cr, job):
        """Note the worker's turn (started by its first job) around each job."""
        turn = getattr(_TURNS, "turn", None)
        if turn is None or turn.cursor() is not cron_cr:
            turn = _TURNS.turn = CronTurn(cron_cr)
        turn.begin_job(job["id"])
        try:
            return super()._process_job(db, cron_cr, job)
        finally:
            turn.job = None
