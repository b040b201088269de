# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Per-user Google OAuth credentials.

Only system administrators have access rights on this model. The owner's own
sync reaches the row through ``sudo()`` in the few methods below, so neither
the owner nor any other user can read the secrets over RPC.
"""

import logging
import threading
import time
from contextlib import contextmanager
from datetime import timedelta

from odoo import SUPERUSER_ID, api, fields, models
from odoo.tools import SQL, config
from odoo.tools.misc import hmac

from ..sync import errors, oauth, port
from . import sync_texts

_logger = logging.getLogger(__name__)

# Refresh the access token when less than this is left, so a sync cycle never
# starts with a token that expires half-way through.
REFRESH_MARGIN = oauth.REFRESH_MARGIN
HTTP_TIMEOUT = 20
RETRY_BUDGET_SECONDS = 60
# Google's documented defaults: about 600 calls a minute per user, 10,000 per
# project; every call inside a batch counts.
USER_REQUESTS_PER_MINUTE = 600
PROJECT_REQUESTS_PER_MINUTE = 10000
QUOTA_SHARE = 0.9
# The project quota's shared position (see ProjectQuota): a sequence, so that
# booking calls writes no row, holds no lock and survives a rolled-back sync.
QUOTA_SEQUENCE = "crm_google_quota_position"
DEFAULT_WINDOW_DAYS = port.DEFAULT_WINDOW_DAYS
CALENDAR_LIST_MAX_AGE = timedelta(hours=6)
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
# When the runs of one job that Odoo makes in a row began, per process.
_JOB_STARTS = {}
# Shortest timeout of a Google call made close to a deadline.
MIN_HTTP_TIMEOUT = 5
# Several cron jobs (each run by whichever Odoo cron worker is free) share the
# users by token id modulo their number.
CRON_XMLID = "crm_google_calendar_sync.ir_cron_google_calendar_sync"
MAX_CRON_JOBS = 16
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


def _float_param(params, name, default):
    try:
        return float(params.get_param(f"crm_google_calendar_sync.{name}") or default)
    except ValueError:
        _logger.warning("Ignoring the invalid system parameter crm_google_calendar_sync.%s", name)
        return default


class CrmGoogleToken(models.Model):
    _name = "crm.google.token"
    _description = "Google Calendar OAuth Token"
    _rec_name = "user_id"

    user_id = fields.Many2one(
        "res.users", required=True, ondelete="cascade", index=True, readonly=True
    )
    google_email = fields.Char("Google Account", readonly=True)
    access_token = fields.Char(groups="base.group_system", copy=False, readonly=True)
    refresh_token = fields.Char(groups="base.group_system", copy=False, readonly=True)
    token_expiry = fields.Datetime(groups="base.group_system", copy=False, readonly=True)
    scope = fields.Char(readonly=True)
    state = fields.Selection(
        [("connected", "Connected"), ("error", "Error")],
        default="connected",
        required=True,
        readonly=True,
    )
    error_message = fields.Char(
        readonly=True, help="A problem worded when it happened (no code for it)."
    )
    error_code = fields.Char(
        readonly=True,
        help="The problem of an error state, worded in the reader's language when shown "
        "(see sync_texts.ERROR_FIXES).",
    )
    error_args = fields.Json(readonly=True)
    calendar_problem = fields.Boolean(
        readonly=True, help="A chosen calendar vanished; cleared when the user saves choices."
    )
    auth_failed = fields.Boolean(
        default=False,
        readonly=True,
        help="Google refused the authorisation (revoked or expired): the sync waits "
        "until the user connects again.",
    )
    last_sync = fields.Datetime("Last Synchronisation", readonly=True)
    calendar_list_checked = fields.Datetime(readonly=True)
    initial_sync_done = fields.Boolean(
        readonly=True, help="The first complete synchronisation of this user has finished."
    )
    last_summary = fields.Json(
        readonly=True,
        help="Counts and reason codes of the last run, worded when shown; written only "
        "when it differs from the run before, so idle runs write nothing.",
    )
    sync_enabled = fields.Boolean(
        readonly=True,
        help="Set when the user saved their sync settings; the cron syncs only then.",
    )
    next_sync = fields.Datetime(
        "Synchronisation Requested",
        readonly=True,
        index=True,
        help="Set when the user connects or saves their settings: the cron synchronises "
        "these users first, in the order of this date, before its regular round.",
    )

    _sql_constraints = [
        ("user_uniq", "unique(user_id)", "A user can only have one Google connection."),
    ]

    def init(self):
        result = super().init()
        # The name is a module constant, never user input; DDL takes no parameters.
        self.env.cr.execute(SQL("CREATE SEQUENCE IF NOT EXISTS %s", SQL.identifier(QUOTA_SEQUENCE)))
        return result

    # ------------------------------------------------------------------
    # Configuration
    # ------------------------------------------------------------------
    @api.model
    def _get_client_config(self):
        """The OAuth client and endpoints from the system parameters."""
        params = self.env["ir.config_parameter"].sudo()
        prefix = "crm_google_calendar_sync."
        client_id = params.get_param(prefix + "client_id") or ""
        client_secret = params.get_param(prefix + "client_secret") or ""
        defaults = self.env["res.config.settings"]._crm_google_default_endpoints()
        endpoints = oauth.OAuthEndpoints(
            auth_uri=params.get_param(prefix + "auth_uri") or defaults["auth_uri"],
            token_uri=params.get_param(prefix + "token_uri") or defaults["token_uri"],
            revoke_uri=params.get_param(prefix + "revoke_uri") or defaults["revoke_uri"],
        )
        return oauth.ClientConfig(
            client_id=client_id, client_secret=client_secret, endpoints=endpoints
        )

    @api.model
    def _get_api_root(self):
        params = self.env["ir.config_parameter"].sudo()
        root = (
            params.get_param("crm_google_calendar_sync.api_root")
            or (self.env["res.config.settings"]._crm_google_default_endpoints()["api_root"])
        )
        return root if root.endswith("/") else root + "/"

    @api.model
    def _is_configured(self):
        params = self.env["ir.config_parameter"].sudo()
        return bool(
            params.get_param("crm_google_calendar_sync.client_id")
            and params.get_param("crm_google_calendar_sync.client_secret")
        )

    @api.model
    def _event_id_namespace(self):
        """What the ids of the events we push are derived from: the database's
        uuid, or the namespace a neutralized copy got (see data/neutralize.sql),
        so that a copy's ids never meet production's."""
        params = self.env["ir.config_parameter"].sudo()
        return params.get_param("crm_google_calendar_sync.event_id_namespace") or params.get_param(
            "database.uuid"
        )

    @api.model
    def _get_redirect_uri(self):
        base_url = self.env["ir.config_parameter"].sudo().get_param("web.base.url")
        return base_url.rstrip("/") + "/crm_google_calendar_sync/oauth2callback"

    # ------------------------------------------------------------------
    # Token life cycle
    # ------------------------------------------------------------------
    @api.model
    def _store_tokens(self, user, token_set, google_email):
        """Create or replace the connection of ``user`` after a successful consent."""
        token = self.sudo().search([("user_id", "=", user.id)])
        values = {
            "access_token": token_set.access_token,
            "refresh_token": token_set.refresh_token or (token and token.refresh_token),
            "token_expiry": token_set.expiry,
            "scope": " ".join(token_set.scopes or []),
            "google_email": google_email,
            "state": "connected",
            "error_message": False,
            "auth_failed": False,
            "next_sync": fields.Datetime.now(),
        }
        if token:
            token.write(values)
        else:
            token = self.sudo().create(dict(values, user_id=user.id))
        return token

    def _token_set(self):
        self.ensure_one()
        token = self.sudo()
        return oauth.TokenSet(
            access_token=token.access_token,
            refresh_token=token.refresh_token,
            expiry=token.token_expiry,
            scopes=(token.scope or "").split(),
            token_type="Bearer",
        )

    def _get_valid_token_set(self):
        """Return a token set that stays valid for the next minutes.

        Refreshes ahead of expiry and writes only when a refresh happened, so an
        idle cycle with a valid token causes no database write.
        ``invalid_grant`` puts the user into the error state; the stored tokens
        are kept so that an administrator can see what happened, and a
        reconnect replaces them.
        """
        self.ensure_one()
        token = self.sudo()
        token_set = token._token_set()
        expiry = token_set.expiry
        if expiry and expiry - REFRESH_MARGIN > fields.Datetime.now() and token_set.access_token:
            return token_set
        if not token.refresh_token:
            token._set_error_code("no_offline_access")
            raise errors.InvalidGrant(400, "invalid_grant", "no refresh token")
        try:
            fresh = oauth.refresh(
                self._get_client_config(), token.refresh_token, timeout=HTTP_TIMEOUT
            )
        except errors.InvalidGrant:
            token._set_error_code("auth_revoked", auth_failed=True)
            raise
        token.write(
            {
                "access_token": fresh.access_token,
                "refresh_token": fresh.refresh_token or token.refresh_token,
                "token_expiry": fresh.expiry,
            }
        )
        return token._token_set()

    def _google_client(self, deadline=None):
        """A Calendar API client for this user, with a valid access token.

        System parameters ``crm_google_calendar_sync.http_timeout`` (seconds per
        HTTP call) and ``crm_google_calendar_sync.retry_budget_seconds`` (time
        one user's cycle may spend waiting for retries, so a throttled user
        cannot hold up the cron) tune it. Neither runs far past ``deadline``
        (a ``time.monotonic()`` value), the end of the user's sync.
        """
        from ..sync import google_client

        self.ensure_one()
        params = self.env["ir.config_parameter"].sudo()
        timeout = _float_param(params, "http_timeout", HTTP_TIMEOUT)
        budget = _float_param(params, "retry_budget_seconds", RETRY_BUDGET_SECONDS)
        if deadline is not None:
            left = max(deadline - time.monotonic(), 0)
            timeout = min(timeout, max(left, MIN_HTTP_TIMEOUT))
            budget = min(budget, left)
        token_set = self._get_valid_token_set()
        credentials = oauth.credentials_for(self._get_client_config(), token_set)
        return google_client.GoogleCalendarClient(
            credentials,
            self._get_api_root(),
            timeout=timeout,
            budget=google_client.RetryBudget(budget),
        )

    def _set_error(self, message, auth_failed=False):
        """Error state with a text worded now; prefer :meth:`_set_error_code`."""
        self._write_error({"error_message": message, "error_code": False}, auth_failed)

    def _set_error_code(self, code, auth_failed=False, **args):
        """Error state ``code`` (see sync_texts), worded in the reader's language."""
        self._write_error(
            {"error_code": code, "error_args": args or False, "error_message": False},
            auth_failed,
        )

    def _write_error(self, values, auth_failed):
        values = dict(values, state="error")
        if auth_failed:
            values["auth_failed"] = True
        for token in self.sudo():
            if any(token[name] != value for name, value in values.items()):
                token.write(values)

    def _error_text(self):
        """The problem of the error state, in the language of ``self.env``."""
        self.ensure_one()
        token = self.sudo()
        if token.state != "error":
            return False
        if token.error_code:
            return sync_texts.error_text(self.env, token.error_code, token.error_args)
        return token.error_message or sync_texts.error_text(self.env, "unexpected")

    def _error_fix(self):
        """The action that ends the error state: reconnect, save choices or retry."""
        self.ensure_one()
        token = self.sudo()
        if token.state != "error":
            return False
        if token.auth_failed:
            return sync_texts.FIX_RECONNECT
        if token.calendar_problem:
            return sync_texts.FIX_SAVE
        return sync_texts.ERROR_FIXES.get(token.error_code, sync_texts.FIX_RETRY)

    def _revoke(self):
        """Revoke at Google (best effort) and forget the tokens locally.

        Local removal never depends on Google: an unreachable endpoint or an
        already invalid token must not leave the user stuck "connected".
        Returns False when Google could not confirm the revocation.
        """
        config = self._get_client_config()
        revoked = True
        for token in self.sudo():
            secret = token.refresh_token or token.access_token
            if secret:
                try:
                    oauth.revoke(config, secret, timeout=HTTP_TIMEOUT)
                except errors.GoogleSyncError as exc:
                    revoked = False
                    _logger.warning(
                        "Revoking the Google token of user %s failed (%s); "
                        "removing the local copy anyway.",
                        token.user_id.id,
                        type(exc).__name__,
                    )
            token.unlink()
        return revoked

    # ------------------------------------------------------------------
    # Scheduling
    # ------------------------------------------------------------------
    @api.model
    def _cron_job_count(self):
        """How many cron jobs share the users (system parameter
        ``crm_google_calendar_sync.cron_jobs``, set in the settings)."""
        params = self.env["ir.config_parameter"].sudo()
        count = int(_float_param(params, "cron_jobs", 1))
        return max(1, min(MAX_CRON_JOBS, count))

    @api.model
    def _cron_job(self, shard):
        """The cron job that synchronises the users of ``shard``."""
        if shard:
            cron = self.env.ref(f"{CRON_XMLID}_{shard}", raise_if_not_found=False)
            if cron:
                return cron
        return self.env.ref(CRON_XMLID)

    def _trigger_sync(self):
        """Start the cron jobs of these users now instead of within minutes."""
        count = self._cron_job_count()
        for shard in sorted({token.id % count for token in self}):
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
        self.env["crm.google.sync.round"].sudo().search([("shard", ">=", count)]).unlink()

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
        self.flush_model(["sync_enabled", "auth_failed", "next_sync"])
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
        Its position (``crm.google.sync.round``) is committed every
        ROUND_SAVE_SECONDS and at the end of the run, so a run that Odoo kills
        repeats no more than that, and a user without changes costs no write. The run stops starting users
        at ``_cron_deadline`` or after CRON_BATCH_SIZE users; the rest follows.
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
            self._sync_token_isolated(token_id, deadline)
            served.append(token_id)
        with self.env["crm.google.sync.round"]._open(shard) as round_:
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
                self._sync_token_isolated(token_id, deadline)
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
        counted from the start of its turn: over all the runs of the job it makes
        in a row and, with ``--workers``, its wait for jobs before.
        """
        now = time.monotonic()
        limit = config["limit_time_real_cron"]
        if limit is not None and limit < 0:
            limit = config["limit_time_real"]
        if not limit or limit <= 0:
            return now + CRON_TIME_BUDGET
        margin = min(CRON_TIME_MARGIN, limit / 4)
        spent, first = self._cron_turn_seconds(now, limit)
        budget = limit - spent - margin
        if first:
            # The first run of a turn always makes progress, even when the
            # assumed wait of a worker (--workers) leaves no room.
            budget = max(budget, margin)
        return now + min(CRON_TIME_BUDGET, budget)

    @api.model
    def _cron_turn_seconds(self, now, limit):
        """Seconds of the cron worker's turn gone before this run, and whether
        this is the turn's first run of the job."""
        start_time = getattr(threading.current_thread(), "start_time", None)
        if start_time:
            # Odoo's threaded server times its cron threads from this start.
            return time.time() - start_time, False
        # The runs Odoo makes in a row for one job share their lastcall; a turn
        # never lasts longer than the limit.
        cron_id = self.env.context.get("cron_id")
        key = (self.env.cr.dbname, cron_id, self.env.context.get("lastcall"))
        started = _JOB_STARTS.get(key) if cron_id else None
        first = started is None or now - started > limit
        if first:
            started = now
            for old in [k for k, begun in _JOB_STARTS.items() if now - begun > limit]:
                del _JOB_STARTS[old]
            if cron_id:
                _JOB_STARTS[key] = now
        spent = now - started
        if config["workers"]:
            spent += CRON_WORKER_WAIT
        return spent, first

    @api.model
    def _last_visits(self, tokens):
        """When the cron (or "Sync now") last synchronised each of ``tokens``."""
        shards = self._cron_job_count()
        rounds = {
            row.shard: row
            for row in self.env["crm.google.sync.round"]
            .sudo()
            .search([("shard_count", "=", shards)])
        }
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
    def _sync_token_isolated(self, token_id, deadline=None, manual=False):
        """Sync one user in a cursor of its own: its failure rolls back only itself.

        Returns ``(ran, report)``: ``ran`` is False when another worker holds
        the user (or the token is gone); ``report`` is the engine's report or
        None when Google could not be used (the token is then in its error
        state) or the database failed. ``manual``: started by the user ("Sync
        now"), which also (re)starts the scheduled sync and records the visit.
        Never raises for this user's failure: the cron goes on.

        Callers must not hold row locks on the token (no writes to it in their
        own transaction before), or this cursor would wait for them.
        """
        try:
            with self.env.registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                with env["crm.google.token"]._user_lock(token_id) as token:
                    if not token:
                        return False, None
                    return True, token._sync_locked(deadline, manual)
        except Exception:
            _logger.exception("Google sync of connection %s failed", token_id)
            return True, None

    def _event_id_key(self):
        """The user's secret for the ids of the events Odoo inserts into Google:
        derived from the database secret, so that no one can make the id of
        another user's copy of a meeting, and from the event id namespace, so
        that a neutralized copy never makes production's ids."""
        self.ensure_one()
        message = f"{self._event_id_namespace()}:{self.user_id.id}"
        return hmac(self.env(su=True), "crm_google_calendar_sync.event_id", message)

    def _sync_locked(self, deadline, manual):
        """Serve the user's request, run the cycle, log it: each step committed.

        Called with the user lock held; returns the engine's report or None.
        """
        self.ensure_one()
        cr = self.env.cr
        self.user_id.fetch(SYNC_USER_FIELDS)
        self.user_id.partner_id.fetch(["lang", "tz"])
        # Messages stored for the user are written in the user's language.
        token = self.with_context(lang=self.user_id.lang or "en_US")
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
            cr.commit()  # pylint: disable=invalid-commit
        started = time.monotonic()
        try:
            report = token._sync(deadline=deadline, manual=manual)
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

    @api.model
    @contextmanager
    def _user_lock(self, token_id):
        """Session-level advisory lock on the user of connection ``token_id``:
        survives the per-page commits of a sync and is released by PostgreSQL if
        the process dies. Yields the connection, or nothing when another worker
        holds its user or it is gone.

        Keyed on the user: a reconnect makes a new connection row. The lock
        outlives a failed transaction and the cursor (whose connection goes back
        to Odoo's pool), so it is released here whatever happened, after rolling
        back what the sync left uncommitted (an aborted transaction refuses it).
        """
        token = self._lock_and_read(token_id)
        if not token:
            yield token
            return
        user_id = token.user_id.id
        try:
            yield token
        finally:
            self.env.cr.rollback()
            self.env.cr.execute(
                "SELECT pg_advisory_unlock(%s, %s)", (ADVISORY_LOCK_CLASS, user_id)
            )

    @api.model
    def _lock_and_read(self, token_id):
        """Lock the user of connection ``token_id`` and read the connection, in
        one statement (an idle sync is a handful of them): the row comes back
        only when the lock was granted. The CASE takes the lock on this row
        alone, whatever order PostgreSQL evaluates the conditions in."""
        query = self._search([("id", "=", token_id)])
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
        prefetched = [name for name, field in self._fields.items() if field.prefetch is True]
        return self._fetch_query(query, self._determine_fields_to_fetch(prefetched))

    @api.model
    def _sync_interval(self):
        """Time between two syncs of a user: five minutes, as the product promises;
        ``crm_google_calendar_sync.sync_interval_minutes`` changes it (demo, tests)."""
        params = self.env["ir.config_parameter"].sudo()
        return timedelta(minutes=_float_param(params, "sync_interval_minutes", 5))

    @api.model
    def _window_days(self):
        """How many days back the sync reaches (``crm_google_calendar_sync.window_days``)."""
        params = self.env["ir.config_parameter"].sudo()
        return int(_float_param(params, "window_days", DEFAULT_WINDOW_DAYS))

    @api.model
    def _window_start(self):
        return fields.Datetime.now() - timedelta(days=self._window_days())

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

    def _sync(self, deadline=None, manual=False):
        """One sync cycle of this user (called with the user lock held).

        Returns the engine's report, or None when Google could not be used.
        Commits as it goes (see the engine's durability rules).
        """
        from ..sync.engine import SyncSettings, UserSync
        from ..sync.pacing import CallBudget
        from .sync_store import OdooSyncStore

        self.ensure_one()
        user = self.user_id
        try:
            client = self._google_client(deadline)
            params = self.env["ir.config_parameter"].sudo()
            user_rpm = _float_param(params, "user_requests_per_minute", USER_REQUESTS_PER_MINUTE)
            # One minute's worth of calls per cycle, with headroom for the user's
            # other Google clients (phone, browser) that share the same quota.
            calls = CallBudget(int(user_rpm * QUOTA_SHARE), self._project_quota_window())
            checked = self.calendar_list_checked
            if manual or not checked or checked < fields.Datetime.now() - CALENDAR_LIST_MAX_AGE:
                # The calendar list rarely changes: reading it every cycle would
                # double the requests of an idle user.
                calls.take(1)
                google_calendars = client.list_calendars()
                self.env["crm.google.calendar"]._sync_calendar_list(user, google_calendars)
                self.sudo().calendar_list_checked = fields.Datetime.now()
            settings = SyncSettings(
                user_tz=user.tz or "UTC",
                self_email=self.google_email or None,
                include_private=user.google_sync_private,
                window_start=self._window_start(),
                event_id_key=self._event_id_key(),
                deadline=deadline,
                calls=calls,
            )
            report = UserSync(client, OdooSyncStore(self), settings).run()
            self._store_refreshed_tokens(client)
        except errors.InvalidGrant:
            self.env.cr.rollback()
            self._set_error_code("auth_revoked", auth_failed=True)
            return None
        except errors.GoogleSyncError as exc:
            self.env.cr.rollback()
            _logger.info("Google sync of user %s stopped: %s", user.id, type(exc).__name__)
            code, args = sync_texts.error_code_for(exc)
            self._set_error_code(code, **args)
            return None
        # Nothing is written for an idle cycle: the cron's round records where
        # it stands once per run (see _cron_sync).
        values = {}
        target = user.google_sync_target_calendar_id
        forbidden = {"forbidden", "requiredAccessLevel", "insufficientPermissions"}
        if forbidden & set(report.errors) or any(
            reason == "no_writable_calendar" for _key, reason in report.skipped
        ):
            # Sharing changed in Google: re-read the calendar list next cycle.
            self.sudo().calendar_list_checked = False
        if report.unavailable_calendars:
            self._report_calendar_problem(
                self.env["crm.google.calendar"].browse(report.unavailable_calendars)
            )
        elif target and not target.is_writable:
            self._report_calendar_problem(target, "target_readonly", sticky=False, name=target.name)
        elif self.state != "connected" and not self.calendar_problem:
            values.update(state="connected", error_message=False, error_code=False)
        if not report.incomplete and not self.initial_sync_done:
            values["initial_sync_done"] = True
        if values:
            values["last_sync"] = fields.Datetime.now()
            self.sudo().write(values)
        return report

    def _report_calendar_problem(self, calendars, code="calendars_gone", sticky=True, **args):
        """Tell the user that chosen calendars are gone or read-only. A ``sticky``
        problem stays until they save their calendar choices again; otherwise it
        goes away by itself once Google gives access again."""
        if code == "calendars_gone":
            args.setdefault("names", ", ".join(calendars.mapped("name")))
        self._write_error(
            {
                "error_code": code,
                "error_args": args,
                "error_message": False,
                "calendar_problem": sticky,
            },
            auth_failed=False,
        )

    @api.model
    def _project_quota_window(self):
        """Google's per-minute quota of the OAuth client, shared by every worker
        of every server through the database."""
        from ..sync.pacing import ProjectQuota

        params = self.env["ir.config_parameter"].sudo()
        per_minute = int(
            _float_param(params, "project_requests_per_minute", PROJECT_REQUESTS_PER_MINUTE)
        )
        return ProjectQuota(per_minute, self._book_project_calls)

    @api.model
    def _book_project_calls(self, count, rate, burst):
        """ProjectQuota's shared step, in one statement: book ``count`` slots of
        the virtual clock (``rate`` slots a second, at most ``burst`` ahead of
        now) and return 0, or return the number of slots missing.

        The position is a sequence on the database's clock: ``nextval`` is
        atomic, writes no row and is not undone by a rollback (Google counted
        the calls). A position outside the allowed span (idle since, or another
        rate) starts again from now; two workers doing that at the same instant
        may lose a few slots.
        """
        self.env.cr.execute(
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
        return self.env.cr.fetchone()[0]

    def _store_refreshed_tokens(self, client):
        """Keep the access token that the client refreshed by itself (after a
        401 from Google), so the next cycle does not refresh again."""
        token = self.sudo()
        fresh = oauth.token_set_from_credentials(client.credentials, token._token_set())
        if fresh.access_token and fresh.access_token != token.access_token:
            token.write(
                {
                    "access_token": fresh.access_token,
                    "refresh_token": fresh.refresh_token or token.refresh_token,
                    "token_expiry": fresh.expiry,
                }
            )
