# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Google's per-minute quotas: the user's share per cycle, and the OAuth
client's quota shared by every worker of every server through the database."""

from functools import partial

from odoo.tools import SQL

from ..sync.pacing import CallBudget, ProjectQuota
from .params import float_param

# Google's documented defaults: about 600 calls a minute per user, 10,000 per
# project; every call inside a batch counts.
USER_REQUESTS_PER_MINUTE = 600
PROJECT_REQUESTS_PER_MINUTE = 10000
QUOTA_SHARE = 0.9
# The project quota's shared position (see ProjectQuota): a sequence, so that
# booking calls writes no row, holds no lock and survives a rolled-back sync.
QUOTA_SEQUENCE = "crm_google_quota_position"


def create_quota_sequence(cr):
    """Create the project quota's sequence if it does not exist yet."""
    # The name is a module constant, never user input; DDL takes no parameters.
    cr.execute(SQL("CREATE SEQUENCE IF NOT EXISTS %s", SQL.identifier(QUOTA_SEQUENCE)))


def call_budget(env):
    """The Google calls one user's cycle may make."""
    user_rpm = float_param(env, "user_requests_per_minute", USER_REQUESTS_PER_MINUTE)
    # One minute's worth of calls per cycle, with headroom for the user's
    # other Google clients (phone, browser) that share the same quota.
    return CallBudget(int(user_rpm * QUOTA_SHARE), project_quota(env))


def project_quota(env):
    """Google's per-minute quota of the OAuth client, shared by every worker
    of every server through the database."""
    per_minute = int(float_param(env, "project_requests_per_minute", PROJECT_REQUESTS_PER_MINUTE))
    return ProjectQuota(per_minute, partial(book_project_calls, env.cr))


def book_project_calls(cr, count, rate, burst):
    """ProjectQuota's shared step, in one statement: book ``count`` slots of
    the virtual clock (``rate`` slots a second, at most ``burst`` ahead of
    now) and return 0, or return the number of slots missing.

    The position is a sequence on the database's clock: ``nextval`` is
    atomic, writes no row and is not undone by a rollback (Google counted
    the calls). A position outside the allowed span (idle since, or another
    rate) starts again from now; two workers doing that at the same instant
    may lose a few slots.
    """
    cr.execute(
        SQL(
            """
            WITH clock AS (
                SELECT last_value AS position,
                       floor(extract(epoch FROM clock_timestamp()) * %(rate)s)::bigint AS now
                  FROM %(sequence)s
            ), booking AS (
                SELECT position,
                       CASE WHEN position BETWEEN now AND now + %(burst)s THEN position
                            ELSE now END AS first,
                       now + %(burst)s AS horizon
                  FROM clock
            )
            SELECT CASE
                   WHEN first + %(count)s > horizon THEN first + %(count)s - horizon
                   WHEN first <> position THEN 0 * setval(%(name)s, first + %(count)s)
                   ELSE 0 * (SELECT max(nextval(%(name)s)) FROM generate_series(1, %(count)s))
                   END
              FROM booking
            """,
            rate=rate,
            burst=burst,
            count=count,
            name=QUOTA_SEQUENCE,
            sequence=SQL.identifier(QUOTA_SEQUENCE),
        )
    )
    return cr.fetchone()[0]
