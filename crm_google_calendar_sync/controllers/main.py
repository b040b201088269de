# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""OAuth 2.0 connect and callback routes.

The ``state`` sent to Google is a random single-use nonce. The nonce, the PKCE
code verifier, the user and the database are kept in the user's server-side
HTTP session, so a state only works for the browser session and user that
started the flow, only once, and only for a few minutes.
"""

import hmac
import logging
import secrets
import time

from odoo import http
from odoo.http import request

from ..sync import errors, oauth

_logger = logging.getLogger(__name__)

SESSION_KEY = "crm_google_calendar_sync_oauth"
STATE_LIFETIME = 600  # seconds between "connect" and Google's redirect back
MAX_PENDING_STATES = 5
# The sync settings page (server action crm_google_calendar_sync.action_google_sync_settings).
SETTINGS_URL = "/odoo/google-calendar-sync"


class GoogleCalendarSyncController(http.Controller):
    @http.route("/crm_google_calendar_sync/connect", type="http", auth="user", methods=["GET"])
    def connect(self, **kwargs):
        user = request.env.user
        if user.share:
            return self._error_page(
                request.env._("Only internal users can connect Google Calendar."), 403
            )
        token_model = request.env["crm.google.token"]
        if not token_model._is_configured():
            return self._error_page(
                request.env._(
                    "Google Calendar is not set up yet. An administrator must enter the "
                    "Google OAuth client ID and secret in Settings first."
                ),
                status=409,
            )
        state = secrets.token_urlsafe(32)
        try:
            config = token_model._get_client_config()
            authorization_url, code_verifier = oauth.start_authorization(
                config, token_model._get_redirect_uri(), state
            )
        except ValueError as exc:  # e.g. plain http to a non-loopback endpoint
            _logger.warning("Google connect refused for user %s: %s", user.id, exc)
            return self._error_page(
                request.env._(
                    "The Google endpoints in Settings are invalid. Please ask an administrator."
                ),
                status=500,
            )
        pending = self._pending_states()
        pending[state] = {
            "verifier": code_verifier,
            "uid": user.id,
            "db": request.db,
            "expires": time.time() + STATE_LIFETIME,
        }
        # Keep only the newest few: a user may click "connect" twice, but the
        # session must not grow without bound.
        newest = sorted(pending.items(), key=lambda item: item[1]["expires"])[-MAX_PENDING_STATES:]
        request.session[SESSION_KEY] = dict(newest)
        return request.redirect(authorization_url, local=False)

    @http.route(
        "/crm_google_calendar_sync/oauth2callback", type="http", auth="user", methods=["GET"]
    )
    def oauth2callback(self, state=None, code=None, error=None, **kwargs):
        user = request.env.user
        pending_state = self._pop_state(state)
        if pending_state is None:
            _logger.warning(
                "Google OAuth callback with an unknown or used state (user %s)", user.id
            )
            return self._error_page(
                request.env._(
                    "This Google sign-in link is invalid, was already used or has expired. "
                    "Please start the connection again from your preferences."
                )
            )
        if pending_state["uid"] != user.id or pending_state["db"] != request.db:
            _logger.warning("Google OAuth callback for another user or database (user %s)", user.id)
            return self._error_page(
                request.env._(
                    "This Google sign-in was started by another user. Please start again."
                )
            )
        if error:
            if error == "access_denied":
                message = request.env._(
                    "You did not allow access to Google Calendar. Nothing was changed."
                )
            else:
                message = request.env._(
                    "Google reported an error (%(error)s). Nothing was changed.", error=error[:64]
                )
            return self._error_page(message)
        if not code:
            return self._error_page(
                request.env._("Google did not send an authorisation code. Please try again.")
            )
        token_model = request.env["crm.google.token"]
        config = token_model._get_client_config()
        try:
            token_set = oauth.exchange_code(
                config,
                token_model._get_redirect_uri(),
                code,
                pending_state["verifier"],
                timeout=20,
            )
            token = token_model._store_tokens(user, token_set, google_email=False)
            google_calendars = token._google_client().list_calendars()
        except errors.GoogleSyncError as exc:
            request.env.cr.rollback()
            _logger.warning(
                "Google OAuth code exchange failed for user %s: %s", user.id, type(exc).__name__
            )
            return self._error_page(
                request.env._(
                    "Google did not accept the sign-in (%(reason)s). Please try again.",
                    reason=getattr(exc, "reason", "") or type(exc).__name__,
                )
            )
        primary = next((cal for cal in google_calendars if cal.get("primary")), None)
        token.google_email = primary.get("id") if primary else False
        calendars = request.env["crm.google.calendar"]._sync_calendar_list(user, google_calendars)
        user._google_sync_apply_default_choices(calendars)
        return request.redirect(SETTINGS_URL)

    # ------------------------------------------------------------------
    def _pending_states(self):
        now = time.time()
        pending = dict(request.session.get(SESSION_KEY) or {})
        return {key: value for key, value in pending.items() if value.get("expires", 0) > now}

    def _pop_state(self, state):
        """Return and consume the pending flow for ``state`` (constant-time compare)."""
        if not state or not isinstance(state, str):
            return None
        pending = self._pending_states()
        match = next((key for key in pending if hmac.compare_digest(key, state)), None)
        found = pending.pop(match, None) if match else None
        request.session[SESSION_KEY] = pending
        return found

    def _error_page(self, message, status=400):
        return request.render(
            "crm_google_calendar_sync.oauth_message_page",
            {"message": message, "back_url": "/odoo"},
            status=status,
        )
