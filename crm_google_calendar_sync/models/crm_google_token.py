# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Per-user Google OAuth credentials, their configuration and their error state.

Only system administrators have access rights on this model. The owner's own
sync reaches the row through ``sudo()`` in the few methods below, so neither
the owner nor any other user can read the secrets over RPC.
"""

import logging
import time

from odoo import api, fields, models
from odoo.tools.misc import hmac

from .. import sync_texts
from ..store.params import float_param
from ..sync import errors, oauth
from ..sync.oauth import REFRESH_MARGIN

_logger = logging.getLogger(__name__)

HTTP_TIMEOUT = 20
RETRY_BUDGET_SECONDS = 60
# Shortest timeout of a Google call made close to a deadline.
MIN_HTTP_TIMEOUT = 5


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

    def _event_id_key(self):
        """The user's secret for the ids of the events Odoo inserts into Google:
        derived from the database secret, so that no one can make the id of
        another user's copy of a meeting, and from the event id namespace, so
        that a neutralized copy never makes production's ids."""
        self.ensure_one()
        message = f"{self._event_id_namespace()}:{self.user_id.id}"
        return hmac(self.env(su=True), "crm_google_calendar_sync.event_id", message)

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
        timeout = float_param(self.env, "http_timeout", HTTP_TIMEOUT)
        budget = float_param(self.env, "retry_budget_seconds", RETRY_BUDGET_SECONDS)
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
    # Error state
    # ------------------------------------------------------------------
    def _set_error_code(self, code, auth_failed=False, **args):
        """Error state ``code`` (see sync_texts), worded in the reader's language."""
        self._write_error(
            {"error_code": code, "error_args": args or False, "error_message": False},
            auth_failed,
        )

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
