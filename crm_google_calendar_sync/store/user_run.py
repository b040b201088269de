# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""One user's sync run: lock the user, serve his request, run the engine with a
Google client, record the outcome on his connection and in the sync log."""

import logging
import time
from contextlib import contextmanager
from datetime import timedelta

from odoo import SUPERUSER_ID, api, fields
from odoo.tools import SQL

from .. import sync_texts
from ..sync import errors
from ..sync.engine import UserSync
from ..sync.port import SyncSettings
from . import params, quota

_logger = logging.getLogger(__name__)

CALENDAR_LIST_MAX_AGE = timedelta(hours=6)
# What a sync reads of its user, fetched in one statement: the private Google
# fields are a prefetch group of their own (res_users.PRIVATE_PREFETCH), which
# would cost an idle sync a second read of the user's row.
SYNC_USER_FIELDS = (
    "partner_id",
    "google_sync_private",
    "google_sync_target_calendar_id",
    "google_sync_source_calendar_ids",
)
# Key space of the PostgreSQL advisory locks that keep one user from being
# synchronised twice at the same time (cron workers, "Sync now").
ADVISORY_LOCK_CLASS = 0x6743616C  # "gCal"


def sync_user(env, token_id, deadline=None, manual=False):
    """Sync the user of connection ``token_id`` in a cursor of its own: its
    failure rolls back only itself.

    Returns ``(ran, report)``: ``ran`` is False when another worker holds
    the user (or the connection is gone); ``report`` is the engine's report or
    None when Google could not be used (the connection is then in its error
    state) or the database failed. ``manual``: started by the user ("Sync
    now"), which also (re)starts the scheduled sync and records the visit.
    ``deadline``: a ``time.monotonic()`` value. Never raises for this user's
    failure: the cron goes on.

    Callers must not hold row locks on the connection (no writes to it in their
    own transaction before), or this cursor would wait for them.
    """
    try:
        with env.registry.cursor() as cr:
            run_env = api.Environment(cr, SUPERUSER_ID, {})
            with user_lock(run_env, token_id) as token:
                if not token:
                    return False, None
                return True, _run_and_log(token, deadline, manual)
    except Exception:
        _logger.exception("Google sync of connection %s failed", token_id)
        return True, None


@contextmanager
def user_lock(env, token_id):
    """Session-level advisory lock on the user of connection ``token_id``:
    survives the per-page commits of a sync and is released by PostgreSQL if
    the process dies. Yields the connection, or nothing when another worker
    holds its user or it is gone.

    Keyed on the user: a reconnect makes a new connection row. The lock
    outlives a failed transaction and the cursor (whose connection goes back
    to Odoo's pool), so it is released here whatever happened, after rolling
    back what the sync left uncommitted (an aborted transaction refuses it).
    """
    token = _lock_and_read(env["crm.google.token"], token_id)
    if not token:
        yield token
        return
    user_id = token.user_id.id
    try:
        yield token
    finally:
        env.cr.rollback()
        env.cr.execute("SELECT pg_advisory_unlock(%s, %s)", (ADVISORY_LOCK_CLASS, user_id))


def _lock_and_read(Token, token_id):
    """Lock the user of connection ``token_id`` and read the connection, in
    one statement (an idle sync is a handful of them): the row comes back
    only when the lock was granted. The CASE takes the lock on this row
    alone, whatever order PostgreSQL evaluates the conditions in."""
    query = Token._search([("id", "=", token_id)])
    row = SQL.identifier(query.table, "id")
    query.add_where(
        SQL(
            "CASE WHEN %s = %s THEN pg_try_advisory_lock(%s, %s) END",
            row,
            token_id,
            ADVISORY_LOCK_CLASS,
            SQL.identifier(query.table, "user_id"),
        )
    )
    prefetched = [name for name, field in Token._fields.items() if field.prefetch is True]
    return Token._fetch_query(query, Token._determine_fields_to_fetch(prefetched))


def _run_and_log(token, deadline, manual):
    """Serve the user's request, run the cycle, log it: each step committed.

    Called with the user lock held; returns the engine's report or None.
    """
    cr = token.env.cr
    token.user_id.fetch(SYNC_USER_FIELDS)
    token.user_id.partner_id.fetch(["lang", "tz"])
    # Messages stored for the user are written in the user's language.
    token = token.with_context(lang=token.user_id.lang or "en_US")
    _serve_request(token, manual)
    started = time.monotonic()
    try:
        report = run_cycle(token, deadline=deadline, manual=manual)
    except Exception:
        cr.rollback()
        _logger.exception("Google sync of user %s failed", token.user_id.id)
        token._set_error_code("unexpected")
        report = None
    token.env["crm.google.sync.log"]._record(
        token, report, time.monotonic() - started, "manual" if manual else "cron"
    )
    cr.commit()  # pylint: disable=invalid-commit
    return report


def _serve_request(token, manual):
    """Mark the user's request ("Sync now", or a sync asked for by saving his
    settings) as served by this run."""
    values = {}
    if manual:
        values.update(sync_enabled=True, auth_failed=False, last_sync=fields.Datetime.now())
    if token.next_sync:
        # The request is served by this sync; one made while it runs
        # sets the date again and is served by the next run.
        values["next_sync"] = False
    if values:
        token.write(values)
        # This user's own cursor: served and visible before the sync,
        # which commits page by page anyway.
        token.env.cr.commit()  # pylint: disable=invalid-commit


def run_cycle(token, deadline=None, manual=False):
    """One sync cycle of ``token``'s user (called with the user lock held).

    Returns the engine's report, or None when Google could not be used.
    Commits as it goes (see the engine's durability rules).
    """
    from .odoo_store import OdooSyncStore

    token.ensure_one()
    try:
        client = token._google_client(deadline)
        calls = quota.call_budget(token.env)
        _refresh_calendar_list(token, client, calls, manual)
        settings = _engine_settings(token, deadline, calls)
        store = OdooSyncStore(token)
        report = UserSync(client, store, settings).run()
        token._store_refreshed_tokens(client)
    except errors.InvalidGrant:
        token.env.cr.rollback()
        token._set_error_code("auth_revoked", auth_failed=True)
        return None
    except errors.GoogleSyncError as exc:
        token.env.cr.rollback()
        _logger.info("Google sync of user %s stopped: %s", token.user_id.id, type(exc).__name__)
        code, args = sync_texts.error_code_for(exc)
        token._set_error_code(code, **args)
        return None
    _record_outcome(token, report)
    return report


def _refresh_calendar_list(token, client, calls, manual):
    """Read the user's calendar list when it is old (or asked for by hand)."""
    checked = token.calendar_list_checked
    if manual or not checked or checked < fields.Datetime.now() - CALENDAR_LIST_MAX_AGE:
        # The calendar list rarely changes: reading it every cycle would
        # double the requests of an idle user.
        calls.take(1)
        google_calendars = client.list_calendars()
        token.env["crm.google.calendar"]._sync_calendar_list(token.user_id, google_calendars)
        token.sudo().calendar_list_checked = fields.Datetime.now()


def _engine_settings(token, deadline, calls):
    """The engine's settings for this cycle, read once (the store gets them too)."""
    user = token.user_id
    return SyncSettings(
        user_tz=user.tz or "UTC",
        self_email=token.google_email or None,
        include_private=user.google_sync_private,
        window_start=params.window_start(token.env),
        event_id_key=token._event_id_key(),
        deadline=deadline,
        calls=calls,
    )


def _record_outcome(token, report):
    """The connection's state after a cycle that reached Google.

    Nothing is written for an idle cycle: the cron's round records where it
    stands once per run.
    """
    values = {}
    user = token.user_id
    target = user.google_sync_target_calendar_id
    if sync_texts.REFUSED_REASONS & set(report.errors) or any(
        reason == "no_writable_calendar" for _key, reason in report.skipped
    ):
        # Sharing changed in Google: re-read the calendar list next cycle.
        token.sudo().calendar_list_checked = False
    if report.unavailable_calendars:
        token._report_calendar_problem(
            token.env["crm.google.calendar"].browse(report.unavailable_calendars)
        )
    elif target and not target.is_writable:
        token._report_calendar_problem(target, "target_readonly", sticky=False, name=target.name)
    elif token.state != "connected" and not token.calendar_problem:
        values.update(state="connected", error_message=False, error_code=False)
    if not report.incomplete and not token.initial_sync_done:
        values["initial_sync_done"] = True
    if values:
        values["last_sync"] = fields.Datetime.now()
        token.sudo().write(values)
